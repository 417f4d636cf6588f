package cluster

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// instanceIndex indexes cached objects by the value of their InstanceLabel.
const instanceIndex = "capstan-instance"

// ChangeFunc is told the InstanceLabel value of an object that was added,
// changed or deleted, so that the Application it belongs to can be refreshed.
type ChangeFunc func(instanceLabel string)

// ObjectCache holds the Capstan-managed objects of one cluster. It watches only
// the kinds that Applications manage, and of those only objects carrying
// InstanceLabel, so its memory grows with the managed objects and never with
// the size of the cluster.
type ObjectCache struct {
	client   dynamic.Interface
	mapper   meta.ResettableRESTMapper
	onChange ChangeFunc
	ctx      context.Context

	// namespaces, when set, are the only namespaces watched (a cluster
	// Secret's namespaces); clusterResources then allows cluster-scoped kinds.
	namespaces       []string
	clusterResources bool
	// keep, when set, limits the cache to the replica's shard (shard.go).
	keep KeepFunc

	mu        sync.Mutex
	resources map[schema.GroupVersionResource]*watchedResource

	absent  absentObjects
	applied appliedObjects
	// versions are what this process's applies returned (see NotOlderThanApplied).
	versions appliedVersions
	// fieldSets shares equal managedFields field sets between cached objects.
	fieldSets *fieldSets
}

// watchedResource caches one resource: with one informer over every
// namespace, or one per namespace when the cache is restricted to namespaces.
type watchedResource struct {
	informers map[string]cache.SharedIndexInformer
	synced    chan struct{}
	// failed is closed, with err set, when listing failed before the first
	// sync (forbidden, unreachable): Watch reports it instead of waiting.
	failed   chan struct{}
	err      error
	failOnce sync.Once
	stop     context.CancelFunc
}

// NewObjectCache returns an empty cache; informers start on the first Watch of a
// kind and stop when ctx ends.
func NewObjectCache(ctx context.Context, client dynamic.Interface, mapper meta.ResettableRESTMapper, onChange ChangeFunc) *ObjectCache {
	return &ObjectCache{
		client:    client,
		mapper:    newRememberingMapper(mapper),
		onChange:  onChange,
		ctx:       ctx,
		resources: map[schema.GroupVersionResource]*watchedResource{},
		fieldSets: newFieldSets(),
	}
}

// RestrictTo limits the cache to namespaces, as a cluster Secret's namespaces
// do: namespaced kinds are watched in each of them, and cluster-scoped kinds
// only with clusterResources. Call it before the first Watch.
func (c *ObjectCache) RestrictTo(namespaces []string, clusterResources bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.namespaces = namespaces
	c.clusterResources = clusterResources
}

// NamespaceManaged tells whether objects of namespace may be managed: every
// namespace unless the cache is restricted to some.
func (c *ObjectCache) NamespaceManaged(namespace string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.namespaces) == 0 || slices.Contains(c.namespaces, namespace)
}

// Mapping returns the REST mapping of a kind, refreshing discovery once when
// the kind is unknown (a CRD installed since the last look).
func (c *ObjectCache) Mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	mapping, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset()
		mapping, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("kind %s is not served by the cluster: %w", gvk, err)
	}
	return mapping, nil
}

// Watch makes sure the managed objects of the kind are cached, and waits until
// the cache has listed them once.
func (c *ObjectCache) Watch(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	mapping, err := c.Mapping(gvk)
	if err != nil {
		return nil, err
	}
	namespaced := mapping.Scope.Name() == meta.RESTScopeNameNamespace
	watched, err := c.watch(mapping.Resource, namespaced)
	if err != nil {
		return nil, err
	}
	select {
	case <-watched.synced:
		return mapping, nil
	case <-watched.failed:
		// Forget the informer, so that the next Watch tries again (RBAC may
		// have been fixed, the cluster may be back).
		c.mu.Lock()
		if c.resources[mapping.Resource] == watched {
			delete(c.resources, mapping.Resource)
		}
		c.mu.Unlock()
		watched.stop()
		return nil, fmt.Errorf("list %s: %w", mapping.Resource, watched.err)
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the cache of %s: %w", mapping.Resource, ctx.Err())
	}
}

func (c *ObjectCache) watch(gvr schema.GroupVersionResource, namespaced bool) (*watchedResource, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if watched, ok := c.resources[gvr]; ok {
		return watched, nil
	}
	namespaces := []string{metav1.NamespaceAll}
	if len(c.namespaces) > 0 {
		if !namespaced && !c.clusterResources {
			return nil, fmt.Errorf("cluster-scoped resource %s is not managed: the cluster's credentials reach only the namespaces %v (clusterResources is false)", gvr.GroupResource(), c.namespaces)
		}
		if namespaced {
			namespaces = c.namespaces
		}
	}
	ctx, stop := context.WithCancel(c.ctx)
	watched := &watchedResource{informers: map[string]cache.SharedIndexInformer{}, synced: make(chan struct{}), failed: make(chan struct{}), stop: stop}
	var hasSynced []cache.InformerSynced
	for _, namespace := range namespaces {
		informer := c.newInformer(ctx, gvr, namespace, watched)
		watched.informers[namespace] = informer
		hasSynced = append(hasSynced, informer.HasSynced)
	}
	c.resources[gvr] = watched
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), hasSynced...) {
			close(watched.synced)
		}
	}()
	klog.FromContext(c.ctx).V(2).Info("Watching managed objects", "resource", gvr, "namespaces", namespaces)
	return watched, nil
}

// newInformer starts an informer over the labelled objects of gvr in
// namespace (all when empty); a failure of its first list fails watched.
// The caller holds c.mu.
func (c *ObjectCache) newInformer(ctx context.Context, gvr schema.GroupVersionResource, namespace string, watched *watchedResource) cache.SharedIndexInformer {
	informer := c.newSharedInformer(gvr, namespace)
	if c.fieldSets != nil {
		_ = informer.SetTransform(c.fieldSets.transform)
	}
	_, _ = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			c.watched(gvr, obj, false)
			c.notify(obj)
		},
		UpdateFunc: func(oldObj, newObj interface{}) {
			c.watched(gvr, newObj, false)
			c.notify(oldObj)
			if instanceOf(oldObj) != instanceOf(newObj) {
				c.notify(newObj)
			}
		},
		DeleteFunc: func(obj interface{}) {
			c.watched(gvr, obj, true)
			c.notify(obj)
		},
	})
	_ = informer.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
		if informer.HasSynced() {
			// The reflector retries a broken watch by itself (a cluster
			// that stopped answering is noticed by Cluster.Reachable).
			cache.DefaultWatchErrorHandler(ctx, r, err)
			return
		}
		watched.failOnce.Do(func() {
			watched.err = err
			close(watched.failed)
		})
	})
	go informer.RunWithContext(ctx)
	return informer
}

// notifyAll tells onChange about every Application with objects in the cache.
func (c *ObjectCache) notifyAll() {
	if c.onChange == nil {
		return
	}
	c.mu.Lock()
	var informers []cache.SharedIndexInformer
	for _, watched := range c.resources {
		for _, informer := range watched.informers {
			informers = append(informers, informer)
		}
	}
	c.mu.Unlock()
	seen := map[string]bool{}
	for _, informer := range informers {
		for _, instance := range informer.GetIndexer().ListIndexFuncValues(instanceIndex) {
			if !seen[instance] {
				seen[instance] = true
				c.onChange(instance)
			}
		}
	}
}

func (c *ObjectCache) notify(obj interface{}) {
	if c.onChange == nil {
		return
	}
	if instance := instanceOf(obj); instance != "" {
		c.onChange(instance)
	}
}

// ObjectsOf returns the cached objects whose InstanceLabel is instanceLabel,
// across every watched kind. The objects are shared: callers must not modify them.
func (c *ObjectCache) ObjectsOf(instanceLabel string) []*unstructured.Unstructured {
	c.mu.Lock()
	resources := make([]*watchedResource, 0, len(c.resources))
	for _, watched := range c.resources {
		resources = append(resources, watched)
	}
	c.mu.Unlock()
	var out []*unstructured.Unstructured
	for _, watched := range resources {
		for _, informer := range watched.informers {
			items, err := informer.GetIndexer().ByIndex(instanceIndex, instanceLabel)
			if err != nil {
				continue
			}
			for _, item := range items {
				if obj, ok := item.(*unstructured.Unstructured); ok {
					out = append(out, obj)
				}
			}
		}
	}
	return out
}

// Get returns a cached object of a watched resource, or the object a sync
// applied that the watch has not delivered yet; found is false when the
// object is not cached (not managed yet, or the kind is not watched).
func (c *ObjectCache) Get(gvr schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, bool) {
	if obj, ok := c.cached(gvr, namespace, name); ok {
		return obj, true
	}
	return c.appliedObject(gvr, namespace, name)
}

// cached returns an object of a watched resource from its informer.
func (c *ObjectCache) cached(gvr schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, bool) {
	c.mu.Lock()
	watched, ok := c.resources[gvr]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	informer, ok := watched.informers[metav1.NamespaceAll]
	if !ok {
		if informer, ok = watched.informers[namespace]; !ok {
			return nil, false
		}
	}
	key := name
	if namespace != "" {
		key = namespace + "/" + name
	}
	item, exists, err := informer.GetIndexer().GetByKey(key)
	if err != nil || !exists {
		return nil, false
	}
	obj, ok := item.(*unstructured.Unstructured)
	return obj, ok
}

// WatchedResources returns the resources the cache watches, for metrics and tests.
func (c *ObjectCache) WatchedResources() []schema.GroupVersionResource {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]schema.GroupVersionResource, 0, len(c.resources))
	for gvr := range c.resources {
		out = append(out, gvr)
	}
	return out
}

func indexByInstance(obj interface{}) ([]string, error) {
	if instance := instanceOf(obj); instance != "" {
		return []string{instance}, nil
	}
	return nil, nil
}

func instanceOf(obj interface{}) string {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return ""
	}
	instance, _ := Label(u, InstanceLabel)
	return instance
}

// RESTMapper maps kinds to resources in the cluster, with discovery cached.
func (c *ObjectCache) RESTMapper() meta.RESTMapper { return c.mapper }
