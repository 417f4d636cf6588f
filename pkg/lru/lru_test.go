package lru

import "testing"

func TestCostBoundEvictsTheLeastRecentlyUsed(t *testing.T) {
	c := NewWithCost[string](10, func(_ string, v string) int64 { return int64(len(v)) })
	c.Add("a", "aaaa")
	c.Add("b", "bbbb")
	if _, ok := c.Get("a"); !ok { // a is now the most recently used
		t.Fatal("a is missing")
	}
	c.Add("c", "cccc") // 12 > 10: b goes
	if _, ok := c.Get("b"); ok {
		t.Error("b was kept past the bound")
	}
	if c.Size() != 8 || c.Len() != 2 {
		t.Errorf("size %d with %d entries, want 8 with 2", c.Size(), c.Len())
	}
	c.Add("a", "a") // replacing an entry updates its cost
	if c.Size() != 5 {
		t.Errorf("size %d after replacing a, want 5", c.Size())
	}
	c.Add("huge", "hhhhhhhhhhhh") // costs more than the bound: not kept, nothing evicted
	if _, ok := c.Get("huge"); ok || c.Len() != 2 {
		t.Errorf("an entry above the bound was kept (%d entries)", c.Len())
	}
	c.Remove("a")
	if c.Size() != 4 || c.Len() != 1 {
		t.Errorf("size %d with %d entries after removing a, want 4 with 1", c.Size(), c.Len())
	}
}

func TestANegativeBoundKeepsNothing(t *testing.T) {
	c := New[int](-1)
	c.Add("a", 1)
	if c.Len() != 0 {
		t.Error("a disabled cache kept an entry")
	}
}

func TestClearForgetsEverything(t *testing.T) {
	c := New[int](3)
	c.Add("a", 1)
	c.Add("b", 2)
	c.Clear()
	if c.Len() != 0 || c.Size() != 0 {
		t.Fatalf("%d entries of size %d after Clear", c.Len(), c.Size())
	}
	if _, ok := c.Get("a"); ok {
		t.Error("a found after Clear")
	}
	c.Add("c", 3) // the cache works as before
	if v, ok := c.Get("c"); !ok || v != 3 {
		t.Errorf("Get(c) = %v, %v after Clear and Add", v, ok)
	}
}
