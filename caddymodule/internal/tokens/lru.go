package tokens

import (
	"container/list"
	"time"
)

// entry is one cached token, or a negative entry for a visitor HubSpot
// rejected. The key is kept so eviction from the list can find the map entry.
type entry struct {
	key       string
	token     string
	mintedAt  time.Time
	refreshAt time.Time // when a page view starts fetching a successor
	expires   time.Time
	negative  bool
}

// lru is a fixed-capacity map that evicts the least recently used entry.
// It is not safe for concurrent use; Source guards it with a mutex.
type lru struct {
	capacity int
	order    *list.List // front is most recently used; values are *entry
	items    map[string]*list.Element
}

func newLRU(capacity int) *lru {
	return &lru{
		capacity: capacity,
		order:    list.New(),
		items:    make(map[string]*list.Element),
	}
}

// get returns the entry for key and marks it used, or nil.
func (c *lru) get(key string) *entry {
	elem, ok := c.items[key]
	if !ok {
		return nil
	}
	c.order.MoveToFront(elem)
	return elem.Value.(*entry)
}

// put adds or replaces the entry for e.key, evicting the least recently
// used entry when the cache is full.
func (c *lru) put(e *entry) {
	if elem, ok := c.items[e.key]; ok {
		elem.Value = e
		c.order.MoveToFront(elem)
		return
	}

	if c.order.Len() >= c.capacity {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*entry).key)
	}
	c.items[e.key] = c.order.PushFront(e)
}

// remove deletes the entry for key, if any.
func (c *lru) remove(key string) {
	if elem, ok := c.items[key]; ok {
		c.order.Remove(elem)
		delete(c.items, key)
	}
}

func (c *lru) len() int {
	return c.order.Len()
}
