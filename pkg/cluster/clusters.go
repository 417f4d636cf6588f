package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Clusters resolves Application destinations to clusters: the cluster Capstan
// runs in, and the clusters described by Argo CD cluster Secrets. A Secret's
// cluster is connected on first use and kept until the Secret changes or goes.
type Clusters struct {
	ctx       context.Context
	inCluster *Cluster
	// qps and burst are the client-side rate limits of the in-cluster
	// configuration, given to the clusters of Secrets too.
	qps     float32
	burst   int
	secrets corev1listers.SecretNamespaceLister

	handlersMu sync.RWMutex
	// handlers are told about every change of a managed object.
	handlers []ChangeFunc
	// keep limits every cluster's cache to the replica's shard; nil keeps all.
	keep KeepFunc

	mu sync.Mutex
	// bySecret holds the clusters built from Secrets, by Secret namespace/name.
	bySecret map[string]*secretCluster
}

// secretCluster is a cluster built from one version of a Secret; cancel stops
// its watches when the Secret changes or is deleted.
type secretCluster struct {
	resourceVersion string
	cluster         *Cluster
	cancel          context.CancelFunc
}

// NewClusters returns the destinations Capstan can deploy to: the cluster it
// runs in, reached with config, and the clusters of the Argo CD cluster
// Secrets listed by secrets (nil for none). Handlers added with
// AddEventHandler are told about every change of a managed object in any of
// them.
func NewClusters(ctx context.Context, config *rest.Config, secrets corev1listers.SecretNamespaceLister) (*Clusters, error) {
	c := &Clusters{
		ctx:      ctx,
		qps:      config.QPS,
		burst:    config.Burst,
		secrets:  secrets,
		bySecret: map[string]*secretCluster{},
	}
	inCluster, err := New(ctx, InClusterServer, InClusterName, config, c.notify)
	if err != nil {
		return nil, err
	}
	c.inCluster = inCluster
	return c, nil
}

// AddEventHandler adds a handler that is told the InstanceLabel value of every
// managed object that changes in any destination, from now on: a controller
// built after the clusters (it reads their caches) subscribes this way.
func (c *Clusters) AddEventHandler(handler ChangeFunc) {
	c.handlersMu.Lock()
	defer c.handlersMu.Unlock()
	c.handlers = append(c.handlers, handler)
}

// notify tells every handler about a changed managed object.
func (c *Clusters) notify(instanceLabel string) {
	c.handlersMu.RLock()
	defer c.handlersMu.RUnlock()
	for _, handler := range c.handlers {
		handler(instanceLabel)
	}
}

// ErrUnknownDestination is returned for a destination no cluster matches.
var ErrUnknownDestination = fmt.Errorf("unknown destination cluster")

// For returns the cluster of a destination, by server URL or, when the server
// is not set, by name.
func (c *Clusters) For(destination v1alpha1.ApplicationDestination) (*Cluster, error) {
	server := normalizeServer(destination.Server)
	switch {
	case server == InClusterServer, server == "" && destination.Name == InClusterName:
		return c.inCluster, nil
	case server == "" && destination.Name == "":
		return nil, fmt.Errorf("%w: the destination sets neither server nor name", ErrUnknownDestination)
	}
	secret, err := c.findSecret(server, destination.Name)
	if err != nil {
		return nil, err
	}
	if secret == nil {
		if server != "" {
			return nil, fmt.Errorf("%w: server %q is neither %s nor the server of a cluster Secret", ErrUnknownDestination, destination.Server, InClusterServer)
		}
		return nil, fmt.Errorf("%w: name %q is neither %s nor the name of a cluster Secret", ErrUnknownDestination, destination.Name, InClusterName)
	}
	if secretServer(secret) == InClusterServer {
		// A Secret may give the in-cluster destination another name.
		return c.inCluster, nil
	}
	return c.fromSecret(secret)
}

// findSecret returns the cluster Secret of a server URL (when set) or of a
// name, or nil when none matches.
func (c *Clusters) findSecret(server, name string) (*corev1.Secret, error) {
	if c.secrets == nil {
		return nil, nil
	}
	secrets, err := c.secrets.List(clusterSecrets)
	if err != nil {
		return nil, fmt.Errorf("list cluster Secrets: %w", err)
	}
	c.forgetDeleted(secrets)
	var matches []*corev1.Secret
	for _, secret := range secrets {
		if server != "" && secretServer(secret) == server ||
			server == "" && strings.TrimSpace(secretValue(secret, "name")) == name {
			matches = append(matches, secret)
		}
	}
	switch len(matches) {
	case 0:
		return nil, nil
	case 1:
		return matches[0], nil
	}
	names := make([]string, 0, len(matches))
	for _, secret := range matches {
		names = append(names, secret.Namespace+"/"+secret.Name)
	}
	sort.Strings(names)
	what := fmt.Sprintf("server %q", server)
	if server == "" {
		what = fmt.Sprintf("name %q", name)
	}
	return nil, fmt.Errorf("destination %s matches %d cluster Secrets (%s); it must match one", what, len(matches), strings.Join(names, ", "))
}

// fromSecret returns the cluster of a Secret, built on first use and rebuilt
// when the Secret's resourceVersion changes.
func (c *Clusters) fromSecret(secret *corev1.Secret) (*Cluster, error) {
	key := secret.Namespace + "/" + secret.Name
	c.mu.Lock()
	defer c.mu.Unlock()
	if built, ok := c.bySecret[key]; ok {
		if built.resourceVersion == secret.ResourceVersion {
			return built.cluster, nil
		}
		// The Secret changed: never keep using the credentials it replaced.
		built.cancel()
		delete(c.bySecret, key)
	}
	parsed, err := FromSecret(secret)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(c.ctx)
	parsed.Config.QPS, parsed.Config.Burst = c.qps, c.burst
	cluster, err := New(ctx, parsed.Server, parsed.Name, parsed.Config, c.notify)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("cluster Secret %s: %w", key, err)
	}
	cluster.Namespaces = parsed.Namespaces
	cluster.ClusterResources = parsed.ClusterResources
	cluster.Project = parsed.Project
	cluster.Cache.RestrictTo(parsed.Namespaces, parsed.ClusterResources)
	c.handlersMu.RLock()
	cluster.Cache.ShardBy(c.keep)
	c.handlersMu.RUnlock()
	if len(parsed.Namespaces) > 0 {
		cluster.NamespaceIndex.disable()
	}
	c.bySecret[key] = &secretCluster{resourceVersion: secret.ResourceVersion, cluster: cluster, cancel: cancel}
	klog.FromContext(c.ctx).Info("Connected destination cluster", "server", parsed.Server, "name", parsed.Name,
		"secret", key, "resourceVersion", secret.ResourceVersion)
	return cluster, nil
}

// forgetDeleted stops the clusters whose Secret is no longer listed.
func (c *Clusters) forgetDeleted(secrets []*corev1.Secret) {
	listed := make(map[string]bool, len(secrets))
	for _, secret := range secrets {
		listed[secret.Namespace+"/"+secret.Name] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, built := range c.bySecret {
		if !listed[key] {
			built.cancel()
			delete(c.bySecret, key)
		}
	}
}

// All returns the in-cluster destination and every cluster built from a
// Secret so far, ordered by server URL after the in-cluster one.
func (c *Clusters) All() []*Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*Cluster, 0, 1+len(c.bySecret))
	for _, built := range c.bySecret {
		out = append(out, built.cluster)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Server < out[j].Server })
	return append([]*Cluster{c.inCluster}, out...)
}

// ShardBy limits the managed-object caches of every destination, present and
// future, to the objects keep accepts (the Applications this replica owns).
func (c *Clusters) ShardBy(keep KeepFunc) {
	c.handlersMu.Lock()
	c.keep = keep
	c.handlersMu.Unlock()
	for _, cluster := range c.All() {
		cluster.Cache.ShardBy(keep)
	}
}

// ResetCaches makes every managed-object cache list its objects again: the
// shard changed.
func (c *Clusters) ResetCaches() {
	for _, cluster := range c.All() {
		cluster.Cache.Reset()
	}
}
