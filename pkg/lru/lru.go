// Package lru is a least-recently-used cache bounded by the sum of its
// entries' costs (bytes, entries of a Git tree, or one per entry).
package lru

import (
	"container/list"
	"sync"
)

// Cache is a least-recently-used map from key to value, bounded by the sum
// of its entries' costs. It is safe for concurrent use.
type Cache[V any] struct {
	mu      sync.Mutex
	max     int64
	cost    func(key string, value V) int64
	total   int64
	order   *list.List // front = most recently used; values are *entry[V]
	entries map[string]*list.Element
}

type entry[V any] struct {
	key   string
	value V
	cost  int64
}

// New returns a cache of at most max entries; max < 0 disables it.
func New[V any](max int) *Cache[V] {
	return NewWithCost[V](int64(max), func(string, V) int64 { return 1 })
}

// NewWithCost returns a cache whose entries cost at most max in total; max
// < 0 disables it. An entry costing more than max is not kept.
func NewWithCost[V any](max int64, cost func(key string, value V) int64) *Cache[V] {
	return &Cache[V]{max: max, cost: cost, order: list.New(), entries: map[string]*list.Element{}}
}

// Get returns the value for key and marks it recently used.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	elem, ok := c.entries[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(elem)
	return elem.Value.(*entry[V]).value, true
}

// Add stores value under key, evicting the least recently used entries
// beyond the bound.
func (c *Cache[V]) Add(key string, value V) {
	if c.max < 0 {
		return
	}
	cost := c.cost(key, value)
	c.mu.Lock()
	defer c.mu.Unlock()
	if elem, ok := c.entries[key]; ok {
		c.removeLocked(elem)
	}
	if cost > c.max {
		return
	}
	c.entries[key] = c.order.PushFront(&entry[V]{key: key, value: value, cost: cost})
	c.total += cost
	for c.total > c.max {
		c.removeLocked(c.order.Back())
	}
}

// removeLocked drops one entry; the caller holds c.mu.
func (c *Cache[V]) removeLocked(elem *list.Element) {
	e := elem.Value.(*entry[V])
	c.order.Remove(elem)
	delete(c.entries, e.key)
	c.total -= e.cost
}

// Remove forgets key.
func (c *Cache[V]) Remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if elem, ok := c.entries[key]; ok {
		c.removeLocked(elem)
	}
}

// Size returns the total cost of the entries.
func (c *Cache[V]) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// Len returns the number of entries.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// Clear forgets every entry and lets go of the memory that held them.
func (c *Cache[V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order = list.New()
	c.entries = map[string]*list.Element{}
	c.total = 0
}
