package cluster

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
)

// appliedVersionTTL bounds how long the version an apply returned is kept.
// After it a running sync confirms a healthy cached copy with a GET, as it
// does after a restart: correct, only one request dearer.
const appliedVersionTTL = 10 * time.Minute

// appliedVersions remember, for every object a sync applied, the UID and
// resourceVersion the API server returned, so that a running sync can tell
// whether the cached copy of the object is at least as new as its own apply
// (then its health is the health of what was applied, and no GET is needed
// to confirm it) or may predate it.
type appliedVersions struct {
	mu      sync.Mutex
	entries map[ResourceKey]appliedVersion
}

type appliedVersion struct {
	uid             types.UID
	resourceVersion string
	at              time.Time
}

// recordAppliedVersion remembers what an apply of obj returned.
func (c *ObjectCache) recordAppliedVersion(obj *unstructured.Unstructured) {
	if obj.GetResourceVersion() == "" {
		return
	}
	now := time.Now()
	c.versions.mu.Lock()
	defer c.versions.mu.Unlock()
	if c.versions.entries == nil {
		c.versions.entries = map[ResourceKey]appliedVersion{}
	}
	c.versions.entries[KeyOf(obj)] = appliedVersion{uid: obj.GetUID(), resourceVersion: obj.GetResourceVersion(), at: now}
	if len(c.versions.entries)%1024 == 0 {
		for key, entry := range c.versions.entries {
			if now.Sub(entry.at) >= appliedVersionTTL {
				delete(c.versions.entries, key)
			}
		}
	}
}

// forgetAppliedVersion drops the record of an object the watch saw deleted.
func (c *ObjectCache) forgetAppliedVersion(obj *unstructured.Unstructured) {
	c.versions.mu.Lock()
	defer c.versions.mu.Unlock()
	if entry, ok := c.versions.entries[KeyOf(obj)]; ok && entry.uid == obj.GetUID() {
		delete(c.versions.entries, KeyOf(obj))
	}
}

// NotOlderThanApplied tells whether obj (a cached copy) is the object the
// last apply of its key by this process returned, or a later version of it:
// the same UID and a resourceVersion at least as high (compared as the API
// server defines it for etcd-backed resources). It is false when no apply
// was recorded (or it expired), for another object of the same name, and
// for resourceVersions that cannot be compared: the caller then asks the
// API server.
func (c *ObjectCache) NotOlderThanApplied(obj *unstructured.Unstructured) bool {
	if c == nil || obj == nil {
		return false
	}
	c.versions.mu.Lock()
	entry, ok := c.versions.entries[KeyOf(obj)]
	c.versions.mu.Unlock()
	if !ok || entry.uid != obj.GetUID() || time.Since(entry.at) >= appliedVersionTTL {
		return false
	}
	order, err := resourceversion.CompareResourceVersion(obj.GetResourceVersion(), entry.resourceVersion)
	return err == nil && order >= 0
}
