package cluster

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// KeepFunc tells whether the cache keeps the objects of the Application whose
// InstanceLabel value is instanceLabel: the replica's shard.
type KeepFunc func(instanceLabel string) bool

// ShardBy limits the cache to the objects keep accepts: with several
// replicas, each caches only the objects of the Applications it owns. The
// watches still carry every managed object; the others are dropped as they
// arrive. Call Reset when keep's answers change. Nil keeps everything.
func (c *ObjectCache) ShardBy(keep KeepFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keep = keep
}

// keeps tells whether the cache holds the objects of instanceLabel.
func (c *ObjectCache) keeps(instanceLabel string) bool {
	c.mu.Lock()
	keep := c.keep
	c.mu.Unlock()
	return keep == nil || keep(instanceLabel)
}

// Reset stops every watch, so that the next Watch of each kind lists its
// objects again, through the current KeepFunc.
func (c *ObjectCache) Reset() {
	c.mu.Lock()
	resources := c.resources
	c.resources = map[schema.GroupVersionResource]*watchedResource{}
	c.mu.Unlock()
	for _, watched := range resources {
		watched.stop()
	}
}

// LiveObjectsOf returns the objects whose InstanceLabel is instanceLabel
// across every watched kind: from the cache when it keeps them, otherwise
// listed from the cluster (the diff of an Application another replica owns
// is computed wherever the request lands).
func (c *ObjectCache) LiveObjectsOf(ctx context.Context, instanceLabel string) ([]*unstructured.Unstructured, error) {
	if c.keeps(instanceLabel) {
		return c.ObjectsOf(instanceLabel), nil
	}
	c.mu.Lock()
	type listed struct {
		gvr        schema.GroupVersionResource
		namespaces []string
	}
	var resources []listed
	for gvr, watched := range c.resources {
		entry := listed{gvr: gvr}
		for namespace := range watched.informers {
			entry.namespaces = append(entry.namespaces, namespace)
		}
		resources = append(resources, entry)
	}
	c.mu.Unlock()
	selector := InstanceLabel + "=" + instanceLabel
	var out []*unstructured.Unstructured
	for _, resource := range resources {
		for _, namespace := range resource.namespaces {
			list, err := c.client.Resource(resource.gvr).Namespace(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
			if err != nil {
				return nil, fmt.Errorf("list %s of %s: %w", resource.gvr.Resource, instanceLabel, err)
			}
			for i := range list.Items {
				out = append(out, &list.Items[i])
			}
		}
	}
	return out, nil
}

// newSharedInformer returns an informer over the managed objects of gvr in
// namespace (all when empty), keeping only those of the shard when the cache
// is sharded. The caller holds c.mu.
func (c *ObjectCache) newSharedInformer(gvr schema.GroupVersionResource, namespace string) cache.SharedIndexInformer {
	indexers := cache.Indexers{instanceIndex: indexByInstance}
	keep := c.keep
	if keep == nil {
		return dynamicinformer.NewFilteredDynamicInformer(c.client, gvr, namespace, 0, indexers,
			func(options *metav1.ListOptions) { options.LabelSelector = InstanceLabel }).Informer()
	}
	resource := c.client.Resource(gvr).Namespace(namespace)
	kept := func(obj runtime.Object) bool {
		u, ok := obj.(*unstructured.Unstructured)
		return ok && keep(u.GetLabels()[InstanceLabel])
	}
	listWatch := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, options metav1.ListOptions) (runtime.Object, error) {
			options.LabelSelector = InstanceLabel
			list, err := resource.List(ctx, options)
			if err != nil {
				return nil, err
			}
			items := list.Items[:0]
			for i := range list.Items {
				if kept(&list.Items[i]) {
					items = append(items, list.Items[i])
				}
			}
			list.Items = items
			return list, nil
		},
		WatchFuncWithContext: func(ctx context.Context, options metav1.ListOptions) (watch.Interface, error) {
			options.LabelSelector = InstanceLabel
			w, err := resource.Watch(ctx, options)
			if err != nil {
				return nil, err
			}
			return watch.Filter(w, func(event watch.Event) (watch.Event, bool) {
				switch event.Type {
				case watch.Added:
					return event, kept(event.Object)
				case watch.Modified:
					if !kept(event.Object) {
						// Moved out of the shard (relabelled): forget it.
						event.Type = watch.Deleted
					}
				}
				return event, true
			}), nil
		},
	}
	// The filtered watch streams the initial list as the client does, when it can.
	return cache.NewSharedIndexInformerWithOptions(cache.ToListWatcherWithWatchListSemantics(listWatch, c.client), &unstructured.Unstructured{},
		cache.SharedIndexInformerOptions{Indexers: indexers, ObjectDescription: gvr.String() + " (shard)"})
}
