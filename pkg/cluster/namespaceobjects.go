package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// NamespaceObjects holds the metadata of every object of the namespaces some
// AppProject asks orphaned resources to be reported for, so that they can be
// found without an API request at each comparison.
//
// Reporting orphans needs the objects nobody manages, which the managed-object
// cache deliberately never holds. Listing the namespace at every refresh
// would cost one request per kind per refresh, and break the rule that an
// unchanged Application costs no request; watching the whole cluster would
// make memory grow with the cluster. So a namespace is watched only once an
// Application whose project enables orphanedResources is compared, only its
// namespaced kinds, metadata only (no Secret data, no specs), and its watches
// stop after IdleTimeout without such a comparison. Changes of these objects
// do not trigger refreshes: an orphan shows up at the Application's next
// refresh, as in Argo CD, where orphans are found when the resource tree is
// rebuilt.
type NamespaceObjects struct {
	client    metadata.Interface
	discovery discovery.DiscoveryInterface
	ctx       context.Context
	// IdleTimeout is how long a namespace stays watched after its last use.
	IdleTimeout time.Duration

	mu         sync.Mutex
	namespaces map[string]*watchedNamespace
}

// DefaultNamespaceIdleTimeout keeps a namespace watched across several
// periodic refreshes (180 s plus jitter by default).
const DefaultNamespaceIdleTimeout = 15 * time.Minute

// NamespacedObject is the metadata of one object of a watched namespace.
type NamespacedObject struct {
	Key    ResourceKey
	Object *metav1.PartialObjectMetadata
}

type watchedNamespace struct {
	cancel   context.CancelFunc
	lastUsed time.Time
	ready    chan struct{}
	err      error
	kinds    []watchedKind
}

type watchedKind struct {
	gvk      schema.GroupVersionKind
	informer cache.SharedIndexInformer
}

// NewNamespaceObjects returns an empty set; watches stop when ctx ends.
func NewNamespaceObjects(ctx context.Context, client metadata.Interface, disco discovery.DiscoveryInterface) *NamespaceObjects {
	return &NamespaceObjects{
		client:      client,
		discovery:   disco,
		ctx:         ctx,
		IdleTimeout: DefaultNamespaceIdleTimeout,
		namespaces:  map[string]*watchedNamespace{},
	}
}

// TopLevel returns the objects of namespace that have no ownerReferences,
// sorted by key, watching the namespace first when it is not yet watched.
func (n *NamespaceObjects) TopLevel(ctx context.Context, namespace string) ([]NamespacedObject, error) {
	watched := n.watch(namespace)
	select {
	case <-watched.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the objects of namespace %s: %w", namespace, ctx.Err())
	}
	if watched.err != nil {
		return nil, watched.err
	}
	var out []NamespacedObject
	for _, kind := range watched.kinds {
		for _, item := range kind.informer.GetStore().List() {
			obj, ok := item.(*metav1.PartialObjectMetadata)
			if !ok || len(obj.OwnerReferences) > 0 {
				continue
			}
			key := ResourceKey{Group: kind.gvk.Group, Kind: kind.gvk.Kind, Namespace: obj.Namespace, Name: obj.Name}
			out = append(out, NamespacedObject{Key: key, Object: obj})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key.String() < out[j].Key.String() })
	return out, nil
}

// WatchedNamespaces returns the namespaces being watched, for tests and metrics.
func (n *NamespaceObjects) WatchedNamespaces() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, 0, len(n.namespaces))
	for namespace := range n.namespaces {
		out = append(out, namespace)
	}
	sort.Strings(out)
	return out
}

func (n *NamespaceObjects) watch(namespace string) *watchedNamespace {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	n.stopIdle(now)
	if watched, ok := n.namespaces[namespace]; ok {
		watched.lastUsed = now
		return watched
	}
	ctx, cancel := context.WithCancel(n.ctx)
	watched := &watchedNamespace{cancel: cancel, lastUsed: now, ready: make(chan struct{})}
	n.namespaces[namespace] = watched
	go n.start(ctx, namespace, watched)
	return watched
}

// stopIdle stops the namespaces unused for IdleTimeout. Callers hold n.mu.
func (n *NamespaceObjects) stopIdle(now time.Time) {
	for namespace, watched := range n.namespaces {
		if now.Sub(watched.lastUsed) > n.IdleTimeout {
			watched.cancel()
			delete(n.namespaces, namespace)
			klog.FromContext(n.ctx).V(2).Info("Stopped watching an idle namespace for orphaned resources", "namespace", namespace)
		}
	}
}

// start watches every listable namespaced kind of the namespace and closes
// ready once all have listed, or with err set when discovery failed.
func (n *NamespaceObjects) start(ctx context.Context, namespace string, watched *watchedNamespace) {
	defer close(watched.ready)
	kinds, err := n.namespacedKinds()
	if err != nil {
		watched.err = fmt.Errorf("discover the namespaced kinds for orphaned resources: %w", err)
		n.forget(namespace, watched)
		return
	}
	var synced []cache.InformerSynced
	for gvr, gvk := range kinds {
		kindCtx, stopKind := context.WithCancel(ctx)
		informer := metadatainformer.NewFilteredMetadataInformer(n.client, gvr, namespace, 0, cache.Indexers{}, nil).Informer()
		// A kind whose first list fails (a CRD deleted since discovery, a
		// kind the server may not list) is not waited for: its objects are
		// not reported, and the other kinds still are.
		var failed atomic.Bool
		_ = informer.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
			if informer.HasSynced() || !cannotList(err) {
				cache.DefaultWatchErrorHandler(ctx, r, err)
				return
			}
			if failed.CompareAndSwap(false, true) {
				klog.FromContext(n.ctx).V(2).Info("Not reporting orphans of a kind that cannot be listed",
					"namespace", namespace, "resource", gvr, "err", err)
				n.invalidateDiscovery()
				stopKind()
			}
		})
		watched.kinds = append(watched.kinds, watchedKind{gvk: gvk, informer: informer})
		synced = append(synced, func() bool { return informer.HasSynced() || failed.Load() })
		go informer.RunWithContext(kindCtx)
	}
	klog.FromContext(n.ctx).V(2).Info("Watching a namespace for orphaned resources", "namespace", namespace, "kinds", len(kinds))
}

// cannotList tells whether a list failed for good: the kind is gone or may
// not be listed. Other errors are retried by the reflector.
func cannotList(err error) bool {
	return apierrors.IsNotFound(err) || apierrors.IsForbidden(err) || apierrors.IsMethodNotSupported(err)
}

// invalidateDiscovery makes the next namespace discover the kinds again,
// when discovery is cached: a kind that cannot be listed may be gone.
func (n *NamespaceObjects) invalidateDiscovery() {
	if cached, ok := n.discovery.(discovery.CachedDiscoveryInterface); ok {
		cached.Invalidate()
	}
}

// forget drops a namespace whose watch failed, so the next use tries again.
func (n *NamespaceObjects) forget(namespace string, watched *watchedNamespace) {
	watched.cancel()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.namespaces[namespace] == watched {
		delete(n.namespaces, namespace)
	}
}

// namespacedKinds returns the preferred version of every namespaced kind that
// can be listed and watched, except those Argo CD never watches by default.
// A group whose discovery fails is skipped: its objects are not reported.
func (n *NamespaceObjects) namespacedKinds() (map[schema.GroupVersionResource]schema.GroupVersionKind, error) {
	lists, err := discovery.ServerPreferredNamespacedResources(n.discovery)
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, err
	}
	out := map[schema.GroupVersionResource]schema.GroupVersionKind{}
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for _, resource := range list.APIResources {
			verbs := sets.New(resource.Verbs...)
			if strings.Contains(resource.Name, "/") || !verbs.HasAll("list", "watch") || excludedKind(gv.Group, resource.Kind) {
				continue
			}
			out[gv.WithResource(resource.Name)] = gv.WithKind(resource.Kind)
		}
	}
	return out, nil
}

// excludedKinds are the kinds Argo CD's default resource.exclusions (and its
// core exclusions) keep out of its cluster cache: objects that controllers
// create and churn, never user-managed. Keyed "group/Kind"; "group/*" excludes a group.
var excludedKinds = sets.New(
	"/Event", "events.k8s.io/*", "metrics.k8s.io/*",
	"/Endpoints", "discovery.k8s.io/EndpointSlice",
	"coordination.k8s.io/Lease",
	"authentication.k8s.io/*", "authorization.k8s.io/*",
	"cert-manager.io/CertificateRequest",
	"cilium.io/CiliumIdentity", "cilium.io/CiliumEndpoint", "cilium.io/CiliumEndpointSlice",
	"kyverno.io/*", "reports.kyverno.io/*", "wgpolicyk8s.io/*",
)

func excludedKind(group, kind string) bool {
	return excludedKinds.Has(group+"/"+kind) || excludedKinds.Has(group+"/*")
}
