// Package cluster gives access to destination clusters: clients, discovery and
// the cache of the objects Capstan manages there.
package cluster

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"capstan.dev/capstan/pkg/codec"
)

const (
	// InClusterServer is the destination server of the cluster Capstan runs in.
	InClusterServer = "https://kubernetes.default.svc"
	// InClusterName is the destination name of the cluster Capstan runs in.
	InClusterName = "in-cluster"
)

// Cluster is one destination cluster.
type Cluster struct {
	// Server and Name identify the cluster in Application destinations.
	Server string
	Name   string
	// Namespaces, when set, are the only namespaces the credentials reach
	// (from a cluster Secret); ClusterResources then says whether
	// cluster-scoped resources may still be managed.
	Namespaces       []string
	ClusterResources bool
	// Project, when set, scopes the cluster to one AppProject (the cluster
	// Secret's project key): only that project's Applications may use it.
	Project string
	// Dynamic is a client for any kind in the cluster.
	Dynamic dynamic.Interface
	// Cache holds the objects Capstan manages in the cluster.
	Cache *ObjectCache
	// NamespaceObjects holds every object of the namespaces whose orphaned
	// resources are reported; it watches nothing until asked.
	NamespaceObjects *NamespaceObjects
	// NamespaceIndex knows which namespaces exist; it watches nothing until asked.
	NamespaceIndex *NamespaceIndex
	// Schemas checks objects against the cluster's OpenAPI schemas.
	Schemas *SchemaValidator

	discovery discovery.CachedDiscoveryInterface
	// probe asks the cluster for its version, uncached: see Reachable.
	probe rest.Interface
	// config reaches the cluster with Capstan's own credentials; impersonating
	// clients are derived from it.
	config *rest.Config

	reachability reachability

	mu          sync.Mutex
	kubeVersion string
	apiVersions []string
	// impersonating holds the clients of Impersonating, by user.
	impersonating map[string]dynamic.Interface
}

// discoveryTimeout bounds one discovery request to a destination.
const discoveryTimeout = 30 * time.Second

// New connects to a cluster. onChange is told about every change of a managed object.
func New(ctx context.Context, server, name string, config *rest.Config, onChange ChangeFunc) (*Cluster, error) {
	// Requests that fail below HTTP (the destination refuses or drops
	// connections, or times out) make the cluster suspect: see Reachable.
	// Informers retry such failures by themselves and tell nobody, so the
	// transport is where they are seen.
	watcher := &networkFailures{}
	config = rest.CopyConfig(config)
	config.Wrap(watcher.wrap)
	collectWarnings(config)
	dynamicClient, err := codec.NewDynamicClient(config)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", server, err)
	}
	// Discovery runs under a lock shared by every Application of the cluster:
	// a destination that stopped answering must not hold it forever.
	discoveryConfig := rest.CopyConfig(config)
	if discoveryConfig.Timeout == 0 {
		discoveryConfig.Timeout = discoveryTimeout
	}
	discoveryClient, err := discovery.NewDiscoveryClientForConfig(discoveryConfig)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", server, err)
	}
	metadataClient, err := metadata.NewForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", server, err)
	}
	cached := memory.NewMemCacheClient(discoveryClient)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(cached)
	cluster := &Cluster{
		Server:           server,
		Name:             name,
		Dynamic:          dynamicClient,
		Cache:            NewObjectCache(ctx, dynamicClient, mapper, onChange),
		NamespaceObjects: NewNamespaceObjects(ctx, metadataClient, cached),
		NamespaceIndex:   newNamespaceIndex(ctx, metadataClient),
		Schemas:          NewSchemaValidator(discoveryClient.OpenAPIV3()),
		discovery:        cached,
		probe:            discoveryClient.RESTClient(),
		config:           config,
	}
	watcher.failed = cluster.networkFailure
	return cluster, nil
}

// reachability is what Reachable last learnt of the cluster.
type reachability struct {
	mu      sync.Mutex
	checked time.Time
	// since is when the current outage was first seen; err says what failed.
	since time.Time
	err   error
	// suspect is set by a request that failed below HTTP since the last
	// probe: only then does Reachable ask the cluster. It is not guarded by
	// mu: the probe's own failure sets it while Reachable holds mu.
	suspect atomic.Bool
}

var (
	// reachabilityTTL is how long one answer of a destination stands for
	// every Application on it (a variable for tests).
	reachabilityTTL = 5 * time.Second
	// reachabilityTimeout bounds one probe of a destination.
	reachabilityTimeout = 5 * time.Second
)

// Reachable tells whether the cluster answers: it asks for /version at most
// once per reachabilityTTL, whatever the number of Applications asking. The
// cache's informers keep the last state they saw while the cluster is away
// and retry by themselves; a comparison must not take that state for the
// live one, nor act on it. The error names the cluster and since when it
// has been unreachable, and stays the same during one outage.
func (c *Cluster) Reachable(ctx context.Context) error {
	c.reachability.mu.Lock()
	defer c.reachability.mu.Unlock()
	r := &c.reachability
	if !r.suspect.Load() && r.err == nil {
		// No request failed since the cluster last answered: nothing to ask.
		return nil
	}
	if !r.checked.IsZero() && time.Since(r.checked) < reachabilityTTL {
		return r.err
	}
	if c.probe == nil { // a Cluster built by hand, in tests
		return nil
	}
	probeCtx, cancel := context.WithTimeout(ctx, reachabilityTimeout)
	defer cancel()
	err := c.probe.Get().AbsPath("/version").Do(probeCtx).Error()
	if err != nil && ctx.Err() != nil {
		// The caller gave up: that says nothing of the cluster.
		return fmt.Errorf("cluster %s: %w", c.Server, ctx.Err())
	}
	r.checked = time.Now()
	r.suspect.Store(false)
	if err == nil {
		r.since, r.err = time.Time{}, nil
		return nil
	}
	if r.since.IsZero() {
		r.since = r.checked
		r.err = fmt.Errorf("cluster %s is unreachable since %s: %w", c.Server, r.since.UTC().Format(time.RFC3339), err)
	}
	return r.err
}

// Impersonating returns a client for any kind in the cluster that acts as
// user (such as "system:serviceaccount:team-a:deployer"): Kubernetes then
// authorizes every request as that user, as Argo CD's sync impersonation
// does. Clients are built once per user.
func (c *Cluster) Impersonating(user string) (dynamic.Interface, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if client, ok := c.impersonating[user]; ok {
		return client, nil
	}
	config := rest.CopyConfig(c.config)
	config.Impersonate = rest.ImpersonationConfig{UserName: user}
	client, err := codec.NewDynamicClient(config)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: client impersonating %s: %w", c.Server, user, err)
	}
	if c.impersonating == nil {
		c.impersonating = map[string]dynamic.Interface{}
	}
	c.impersonating[user] = client
	return client, nil
}

// Versions returns the cluster's Kubernetes version (like "v1.37.2") and the
// group/versions it serves, as Helm's Capabilities want them. They are looked
// up once and cached.
func (c *Cluster) Versions() (string, []string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kubeVersion != "" {
		return c.kubeVersion, c.apiVersions, nil
	}
	kubeVersion, apiVersions, err := DiscoverVersions(c.discovery)
	if err != nil {
		return "", nil, fmt.Errorf("cluster %s: %w", c.Server, err)
	}
	c.kubeVersion, c.apiVersions = kubeVersion, apiVersions
	return c.kubeVersion, c.apiVersions, nil
}

// DiscoverVersions asks a cluster for its Kubernetes version and its API
// group versions (sorted), as Helm's --kube-version and --api-versions take
// them.
func DiscoverVersions(client discovery.DiscoveryInterface) (string, []string, error) {
	info, err := client.ServerVersion()
	if err != nil {
		return "", nil, fmt.Errorf("server version: %w", err)
	}
	groups, err := client.ServerGroups()
	if err != nil {
		return "", nil, fmt.Errorf("API groups: %w", err)
	}
	var versions []string
	for _, group := range groups.Groups {
		for _, version := range group.Versions {
			versions = append(versions, version.GroupVersion)
		}
	}
	sort.Strings(versions)
	return info.GitVersion, versions, nil
}

// networkFailure makes the cluster suspect after a request failed below
// HTTP. The first failure of an outage also compares every Application with
// objects in the cache again, so that they report the outage instead of the
// last state the watches saw.
func (c *Cluster) networkFailure() {
	if c.reachability.suspect.CompareAndSwap(false, true) && c.Cache != nil {
		c.Cache.notifyAll()
	}
}
