package webhook

import (
	"container/list"
	"sync"
	"time"
)

// Defaults for NewReplayCache's non-positive arguments.
const (
	DefaultReplaySize = 10000
	DefaultReplayTTL  = 24 * time.Hour
)

// ReplayCache remembers recent delivery ids so that a captured delivery,
// whose signature stays valid forever, cannot be replayed. It holds at most
// size ids; when full, the oldest is forgotten even if its ttl has not run
// out, so size should exceed the deliveries expected within ttl. It is the
// in-memory first line; the store keeps the durable record.
//
// A ReplayCache is safe for concurrent use. The zero value is not usable;
// call NewReplayCache.
type ReplayCache struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	order *list.List               // of *replayEntry, oldest at the front
	byID  map[string]*list.Element // id -> element of order
}

type replayEntry struct {
	id   string
	seen time.Time
}

// NewReplayCache returns a cache of at most size ids, each remembered for
// ttl. A size or ttl that is not positive gets DefaultReplaySize or
// DefaultReplayTTL.
func NewReplayCache(size int, ttl time.Duration) *ReplayCache {
	if size <= 0 {
		size = DefaultReplaySize
	}
	if ttl <= 0 {
		ttl = DefaultReplayTTL
	}
	return &ReplayCache{size: size, ttl: ttl, order: list.New(), byID: make(map[string]*list.Element)}
}

// Seen reports whether id was recorded less than ttl before now, and records
// it if not. A replay does not extend the window: it stays measured from the
// first sighting. An empty id is never recorded and never seen (Parse
// guarantees a non-empty Event.DeliveryID). Key ids by provider, as
// Event.ReplayKey does.
func (c *ReplayCache) Seen(id string, now time.Time) bool {
	if id == "" {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if el, ok := c.byID[id]; ok {
		if c.live(el.Value.(*replayEntry), now) {
			return true
		}
		// Expired but not yet at the front (the clock went backwards for
		// an older entry): forget it and record afresh.
		c.remove(el)
	}
	for c.order.Len() >= c.size {
		c.remove(c.order.Front())
	}
	c.byID[id] = c.order.PushBack(&replayEntry{id: id, seen: now})
	return false
}

// Len returns how many ids the cache holds, expired ones included until the
// next call to Seen drops them.
func (c *ReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// live reports whether e was seen within ttl of now. An entry from the
// future (the clock stepped back) counts as live, so a clock step cannot
// open a window for replays.
func (c *ReplayCache) live(e *replayEntry, now time.Time) bool {
	return now.Sub(e.seen) < c.ttl
}

// expire drops expired entries from the front. Entries are in the order
// they were recorded, so this stops at the first live one.
func (c *ReplayCache) expire(now time.Time) {
	for el := c.order.Front(); el != nil; el = c.order.Front() {
		if c.live(el.Value.(*replayEntry), now) {
			return
		}
		c.remove(el)
	}
}

func (c *ReplayCache) remove(el *list.Element) {
	delete(c.byID, el.Value.(*replayEntry).id)
	c.order.Remove(el)
}
