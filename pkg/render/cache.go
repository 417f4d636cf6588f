package render

import (
	"container/list"
	"sync"
)

// resultCache is a least-recently-used map from cache key to an immutable
// Result, bounded by number of entries. Stored results are never handed out:
// readers get copies.
type resultCache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front = most recently used; values are *cacheEntry
	entries map[string]*list.Element
}

type cacheEntry struct {
	key    string
	result *Result
}

// newResultCache returns a cache of at most max entries; max < 0 disables it.
func newResultCache(max int) *resultCache {
	return &resultCache{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns the cached result for key and marks it recently used.
func (c *resultCache) get(key string) (*Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	elem, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(elem)
	return elem.Value.(*cacheEntry).result, true
}

// add stores result under key, evicting the least recently used entries
// beyond the bound.
func (c *resultCache) add(key string, result *Result) {
	if c.max < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if elem, ok := c.entries[key]; ok {
		elem.Value.(*cacheEntry).result = result
		c.order.MoveToFront(elem)
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, result: result})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).key)
	}
}

// len returns the number of cached results.
func (c *resultCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
