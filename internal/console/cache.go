package console

import "sync"

// fifoCache keeps at most size entries; when full, the oldest entry goes first. The console
// caches what requests name (a choice of playbooks, an incident), so every cache is bounded
// and a full one keeps serving the newest.
type fifoCache[K comparable, V any] struct {
	mu    sync.Mutex
	size  int
	byKey map[K]V
	order []K
}

func newFIFOCache[K comparable, V any](size int) *fifoCache[K, V] {
	return &fifoCache[K, V]{size: size, byKey: map[K]V{}}
}

func (c *fifoCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.byKey[k]
	return v, ok
}

func (c *fifoCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[k]; !ok {
		c.order = append(c.order, k)
	}
	c.byKey[k] = v
	for len(c.order) > c.size {
		delete(c.byKey, c.order[0])
		c.order = c.order[1:]
	}
}
