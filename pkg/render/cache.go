package render

import (
	"container/list"
	"sync"
)

// lruCache is a least-recently-used map from cache key to a value, bounded by
// the sum of its entries' costs. It holds the render results (values that
// are never handed out: readers get decoded copies), costing their size in
// bytes, and the remembered failures, costing one each.
type lruCache[V any] struct {
	mu      sync.Mutex
	max     int64
	cost    func(key string, value V) int64
	total   int64
	order   *list.List // front = most recently used; values are *cacheEntry[V]
	entries map[string]*list.Element
}

type cacheEntry[V any] struct {
	key   string
	value V
	cost  int64
}

// newLRUCache returns a cache of at most max entries; max < 0 disables it.
func newLRUCache[V any](max int) *lruCache[V] {
	return newCostCache[V](int64(max), func(string, V) int64 { return 1 })
}

// newCostCache returns a cache whose entries cost at most max in total; max
// < 0 disables it. An entry costing more than max is not kept.
func newCostCache[V any](max int64, cost func(key string, value V) int64) *lruCache[V] {
	return &lruCache[V]{max: max, cost: cost, order: list.New(), entries: map[string]*list.Element{}}
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
	cost := c.cost(key, value)
	c.mu.Lock()
	defer c.mu.Unlock()
	if elem, ok := c.entries[key]; ok {
		c.order.Remove(elem)
		delete(c.entries, key)
		c.total -= elem.Value.(*cacheEntry[V]).cost
	}
	if cost > c.max {
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry[V]{key: key, value: value, cost: cost})
	c.total += cost
	for c.total > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		entry := oldest.Value.(*cacheEntry[V])
		delete(c.entries, entry.key)
		c.total -= entry.cost
	}
}

// remove forgets key.
func (c *lruCache[V]) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if elem, ok := c.entries[key]; ok {
		c.order.Remove(elem)
		delete(c.entries, key)
		c.total -= elem.Value.(*cacheEntry[V]).cost
	}
}

// size returns the total cost of the entries.
func (c *lruCache[V]) size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// len returns the number of entries.
func (c *lruCache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
