package cluster

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

// appliedObjects bridge the moment a sync applies an object and the moment
// the watch delivers it: the object the API server returned is what the
// comparison after the sync reads, instead of a GET of each object the
// informer has not caught up with. An entry lives until the informer sees any
// event of its object (the informer is then at least as new), or AbsentTTL.
type appliedObjects struct {
	mu      sync.Mutex
	entries map[appliedKey]appliedEntry
	// deleted remembers when the informer last saw each object deleted, so
	// that an apply answered before a deletion the informer already saw is
	// not taken for the live state.
	deleted map[appliedKey]time.Time
}

type appliedKey struct {
	resource        schema.GroupVersionResource
	namespace, name string
}

type appliedEntry struct {
	obj *unstructured.Unstructured
	at  time.Time
}

// Applied records obj, as the API server returned it from an apply of
// resource that started at startedAt. Its UID and resourceVersion are
// remembered for NotOlderThanApplied; the object itself only when the cache
// watches it (it carries InstanceLabel): the watch is what ends the entry.
func (c *ObjectCache) Applied(resource schema.GroupVersionResource, obj *unstructured.Unstructured, startedAt time.Time) {
	c.recordAppliedVersion(obj)
	if _, labelled := obj.GetLabels()[InstanceLabel]; !labelled {
		return
	}
	if _, cached := c.cached(resource, obj.GetNamespace(), obj.GetName()); cached {
		return
	}
	key := appliedKey{resource: resource, namespace: obj.GetNamespace(), name: obj.GetName()}
	c.applied.mu.Lock()
	defer c.applied.mu.Unlock()
	if at, ok := c.applied.deleted[key]; ok && !at.Before(startedAt) {
		return
	}
	if c.applied.entries == nil {
		c.applied.entries = map[appliedKey]appliedEntry{}
	}
	c.applied.entries[key] = appliedEntry{obj: obj, at: time.Now()}
}

// appliedObject returns the object recorded by Applied, if the watch has not
// delivered any event of it since and it is younger than AbsentTTL.
func (c *ObjectCache) appliedObject(resource schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, bool) {
	key := appliedKey{resource: resource, namespace: namespace, name: name}
	c.applied.mu.Lock()
	defer c.applied.mu.Unlock()
	entry, ok := c.applied.entries[key]
	if !ok {
		return nil, false
	}
	if time.Since(entry.at) >= AbsentTTL {
		delete(c.applied.entries, key)
		return nil, false
	}
	return entry.obj, true
}

// watched ends the entry of an object the informer saw an event of.
func (c *ObjectCache) watched(resource schema.GroupVersionResource, obj interface{}, deleted bool) {
	object, ok := asObject(obj)
	if !ok {
		return
	}
	key := appliedKey{resource: resource, namespace: object.GetNamespace(), name: object.GetName()}
	now := time.Now()
	c.applied.mu.Lock()
	defer c.applied.mu.Unlock()
	delete(c.applied.entries, key)
	if !deleted {
		return
	}
	c.forgetAppliedVersion(object)
	if c.applied.deleted == nil {
		c.applied.deleted = map[appliedKey]time.Time{}
	}
	c.applied.deleted[key] = now
	if len(c.applied.deleted) > 256 {
		for k, at := range c.applied.deleted {
			if now.Sub(at) >= AbsentTTL {
				delete(c.applied.deleted, k)
			}
		}
	}
}

// asObject returns the object of an informer event, tombstones included.
func asObject(obj interface{}) (*unstructured.Unstructured, bool) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	u, ok := obj.(*unstructured.Unstructured)
	return u, ok
}
