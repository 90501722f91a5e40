package auth

import (
	"container/heap"
	"fmt"
	"sync"
	"time"
)

// DefaultNonceCacheSize is the capacity NewNonceCache uses when given 0.
const DefaultNonceCacheSize = 65536

// NonceCache remembers the nonces of verified requests for as long as
// their timestamps are inside the replay window, so that each signed
// request is accepted at most once. It is safe for concurrent use.
//
// Memory is bounded by its capacity. When it is full of live nonces it
// forgets the oldest one and from then on refuses every request signed at
// or before that one's timestamp (ErrReplay): a full cache costs some
// old-but-valid requests a retry, never a replay. Only requests whose
// signature verified are recorded, so only key holders can fill it.
//
// Use one window with a cache: entries are pruned with the window of the
// call at hand.
type NonceCache struct {
	mu    sync.Mutex
	max   int
	seen  map[string]struct{}
	order nonceHeap
	// floor is the newest timestamp forgotten while still live; requests
	// at or before it cannot be checked and are refused.
	floor    int64
	hasFloor bool
}

// NewNonceCache returns a cache holding at most max nonces
// (DefaultNonceCacheSize when max <= 0).
func NewNonceCache(max int) *NonceCache {
	if max <= 0 {
		max = DefaultNonceCacheSize
	}
	return &NonceCache{max: max, seen: make(map[string]struct{})}
}

// Len returns the number of nonces remembered.
func (c *NonceCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// Record accepts nonce (scoped by the caller, e.g. by key id) signed at
// ts, or returns ErrReplay if it was seen, or if ts is too old to be
// checked. Callers reject timestamps outside the window before recording.
func (c *NonceCache) Record(nonce string, ts, now time.Time, window time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	oldest := now.Add(-window).Unix()
	for len(c.order) > 0 && c.order[0].ts < oldest {
		e := heap.Pop(&c.order).(nonceEntry)
		delete(c.seen, e.nonce)
	}
	sec := ts.Unix()
	if c.hasFloor && sec <= c.floor {
		return fmt.Errorf("%w: the nonce cache is full and can no longer vouch for requests signed at or before %s; sign the request again", ErrReplay, time.Unix(c.floor, 0).UTC().Format(time.RFC3339))
	}
	if _, dup := c.seen[nonce]; dup {
		return fmt.Errorf("%w: nonce already used; sign each request afresh", ErrReplay)
	}
	for len(c.seen) >= c.max {
		e := heap.Pop(&c.order).(nonceEntry)
		delete(c.seen, e.nonce)
		if !c.hasFloor || e.ts > c.floor {
			c.floor, c.hasFloor = e.ts, true
		}
	}
	if c.hasFloor && sec <= c.floor {
		return fmt.Errorf("%w: the nonce cache is full and can no longer vouch for requests signed at or before %s; sign the request again", ErrReplay, time.Unix(c.floor, 0).UTC().Format(time.RFC3339))
	}
	c.seen[nonce] = struct{}{}
	heap.Push(&c.order, nonceEntry{ts: sec, nonce: nonce})
	return nil
}

type nonceEntry struct {
	ts    int64
	nonce string
}

// nonceHeap is a min-heap of entries by timestamp.
type nonceHeap []nonceEntry

func (h nonceHeap) Len() int           { return len(h) }
func (h nonceHeap) Less(i, j int) bool { return h[i].ts < h[j].ts }
func (h nonceHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nonceHeap) Push(x any)        { *h = append(*h, x.(nonceEntry)) }
func (h *nonceHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
