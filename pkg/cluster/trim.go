package cluster

import (
	"time"
)

// Trim lets go of what the cache keeps to spare requests while the
// controllers work, once they have had nothing to do for a while
// (memory.Releaser): the versions this process's applies returned (a running
// sync then confirms a cached copy with a GET, as after a restart), and the
// absent objects, applied objects and deletions older than AbsentTTL, which
// no lookup uses any more. The maps are built anew: a Go map keeps the
// memory of its largest size (a cold sync's thousands of entries) however
// few entries remain.
func (c *ObjectCache) Trim() {
	if c == nil {
		return
	}
	now := time.Now()
	c.versions.mu.Lock()
	c.versions.entries = nil
	c.versions.mu.Unlock()

	c.absent.mu.Lock()
	c.absent.entries = keepYoung(c.absent.entries, now, func(at time.Time) time.Time { return at })
	c.absent.mu.Unlock()

	c.applied.mu.Lock()
	c.applied.entries = keepYoung(c.applied.entries, now, func(e appliedEntry) time.Time { return e.at })
	c.applied.deleted = keepYoung(c.applied.deleted, now, func(at time.Time) time.Time { return at })
	c.applied.mu.Unlock()
}

// keepYoung returns a new map of the entries of m younger than AbsentTTL, nil
// when there is none.
func keepYoung[K comparable, V any](m map[K]V, now time.Time, at func(V) time.Time) map[K]V {
	var kept map[K]V
	for key, value := range m {
		if now.Sub(at(value)) >= AbsentTTL {
			continue
		}
		if kept == nil {
			kept = map[K]V{}
		}
		kept[key] = value
	}
	return kept
}

// Trim trims the managed-object cache of every destination (ObjectCache.Trim).
func (c *Clusters) Trim() {
	for _, cluster := range c.All() {
		cluster.Cache.Trim()
	}
}
