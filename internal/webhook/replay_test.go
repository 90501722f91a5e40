package webhook

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC)

func TestReplayCacheSeen(t *testing.T) {
	c := NewReplayCache(10, time.Minute)
	if c.Seen("github:a", t0) {
		t.Fatal("first sighting reported as seen")
	}
	if !c.Seen("github:a", t0.Add(30*time.Second)) {
		t.Fatal("replay within ttl not seen")
	}
	if c.Seen("gitea:a", t0.Add(30*time.Second)) {
		t.Fatal("another provider's id with the same value reported as seen")
	}
	// The window runs from the first sighting; the replay above did not
	// extend it.
	if !c.Seen("github:a", t0.Add(time.Minute-time.Nanosecond)) {
		t.Fatal("replay just inside ttl not seen")
	}
	if c.Seen("github:a", t0.Add(time.Minute)) {
		t.Fatal("id still seen once ttl has passed")
	}
	// That call recorded it afresh.
	if !c.Seen("github:a", t0.Add(time.Minute+time.Second)) {
		t.Fatal("id not recorded again after expiry")
	}
	c.Seen("", t0)
	if c.Seen("", t0) {
		t.Fatal("empty id reported as seen")
	}
}

func TestReplayCacheExpiryFreesMemory(t *testing.T) {
	c := NewReplayCache(100, time.Minute)
	for i := range 50 {
		c.Seen(fmt.Sprint("id", i), t0.Add(time.Duration(i)*time.Second))
	}
	if c.Len() != 50 {
		t.Fatalf("Len = %d, want 50", c.Len())
	}
	// At t0+90s, ids recorded before t0+30s have expired.
	c.Seen("late", t0.Add(90*time.Second))
	if got, want := c.Len(), 50-31+1; got != want {
		t.Fatalf("Len after expiry = %d, want %d", got, want)
	}
	if !c.Seen("id31", t0.Add(90*time.Second)) {
		t.Fatal("id31, recorded 59s earlier, should still be live")
	}
	if c.Seen("id30", t0.Add(90*time.Second)) {
		t.Fatal("id30, recorded 60s earlier, should have expired")
	}
}

func TestReplayCacheBound(t *testing.T) {
	const size = 8
	c := NewReplayCache(size, time.Hour)
	for i := range 3 * size {
		if c.Seen(fmt.Sprint("id", i), t0) {
			t.Fatalf("id%d seen on first sighting", i)
		}
		if c.Len() > size {
			t.Fatalf("Len = %d exceeds size %d", c.Len(), size)
		}
	}
	// The newest size ids are remembered, the older ones were evicted.
	for i := 2 * size; i < 3*size; i++ {
		if !c.Seen(fmt.Sprint("id", i), t0) {
			t.Errorf("id%d forgotten", i)
		}
	}
	if c.Seen("id0", t0) {
		t.Error("id0 still remembered beyond the bound")
	}
}

func TestReplayCacheClockBackwards(t *testing.T) {
	c := NewReplayCache(10, time.Minute)
	c.Seen("x", t0)
	if !c.Seen("x", t0.Add(-time.Hour)) {
		t.Fatal("a clock step back opened a replay window")
	}
}

func TestReplayCacheDefaults(t *testing.T) {
	c := NewReplayCache(0, 0)
	if c.size != DefaultReplaySize || c.ttl != DefaultReplayTTL {
		t.Fatalf("size, ttl = %d, %v", c.size, c.ttl)
	}
}

// TestReplayCacheConcurrent checks that, among goroutines racing with the
// same ids, each id is fresh for exactly one of them. Run with -race.
func TestReplayCacheConcurrent(t *testing.T) {
	const workers, ids = 8, 200
	c := NewReplayCache(ids, time.Minute)
	var fresh atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				if !c.Seen(fmt.Sprint("id", i), t0) {
					fresh.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := fresh.Load(); got != ids {
		t.Fatalf("%d fresh sightings, want exactly %d", got, ids)
	}
	if c.Len() != ids {
		t.Fatalf("Len = %d, want %d", c.Len(), ids)
	}
}
