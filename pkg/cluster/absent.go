package cluster

import (
	"sync"
	"time"
)

// AbsentTTL is how long an object looked up and not found is taken to be
// still absent. Objects Capstan creates carry its label and reach the cache
// through the watch; only an object someone else creates without the label
// (to be adopted) can be missed, and only for this long.
const AbsentTTL = time.Minute

// absentObjects remembers targets that were looked up and not found, so that
// comparing an Application whose objects do not exist yet (before its first
// sync, or while a sync waits for earlier waves) sends no request each time.
type absentObjects struct {
	mu      sync.Mutex
	entries map[ResourceKey]time.Time
}

// KnownAbsent tells whether key was found absent less than AbsentTTL ago.
func (c *ObjectCache) KnownAbsent(key ResourceKey, now time.Time) bool {
	c.absent.mu.Lock()
	defer c.absent.mu.Unlock()
	at, ok := c.absent.entries[key]
	if ok && now.Sub(at) >= AbsentTTL {
		delete(c.absent.entries, key)
		return false
	}
	return ok
}

// MarkAbsent records that key was looked up and not found.
func (c *ObjectCache) MarkAbsent(key ResourceKey, now time.Time) {
	c.absent.mu.Lock()
	defer c.absent.mu.Unlock()
	if c.absent.entries == nil {
		c.absent.entries = map[ResourceKey]time.Time{}
	}
	c.absent.entries[key] = now
}

// ForgetAbsent drops what is known about key: a sync is creating it, and the
// next comparison must look it up, even before the watch delivers it.
func (c *ObjectCache) ForgetAbsent(key ResourceKey) {
	c.absent.mu.Lock()
	defer c.absent.mu.Unlock()
	delete(c.absent.entries, key)
}
