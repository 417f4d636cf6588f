package render

import (
	"container/list"
	"sync"
)

// lruCache is a least-recently-used map from cache key to a value, bounded by
// number of entries. It holds the render results (values that are never
// handed out: readers get copies) and the remembered failures.
type lruCache[V any] struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front = most recently used; values are *cacheEntry[V]
	entries map[string]*list.Element
}

type cacheEntry[V any] struct {
	key   string
	value V
}

// newLRUCache returns a cache of at most max entries; max < 0 disables it.
func newLRUCache[V any](max int) *lruCache[V] {
	return &lruCache[V]{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns the value for key and marks it recently used.
func (c *lruCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	elem, ok := c.entries[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(elem)
	return elem.Value.(*cacheEntry[V]).value, true
}

// add stores value under key, evicting the least recently used entries
// beyond the bound.
func (c *lruCache[V]) add(key string, value V) {
	if c.max < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if elem, ok := c.entries[key]; ok {
		elem.Value.(*cacheEntry[V]).value = value
		c.order.MoveToFront(elem)
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry[V]{key: key, value: value})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry[V]).key)
	}
}

// remove forgets key.
func (c *lruCache[V]) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if elem, ok := c.entries[key]; ok {
		c.order.Remove(elem)
		delete(c.entries, key)
	}
}

// len returns the number of entries.
func (c *lruCache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
