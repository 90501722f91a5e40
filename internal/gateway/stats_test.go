package gateway

import (
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	var c counters
	for _, d := range []time.Duration{500 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, time.Second, time.Minute} {
		c.observe(class2xx, d, time.Now())
	}
	h := c.histogram()
	at := func(bound float64) int64 {
		for i, b := range h.Bounds {
			if b == bound {
				return h.Counts[i]
			}
		}
		t.Fatalf("no bound %v in %v", bound, h.Bounds)
		return 0
	}
	// <= 1ms: 0.5ms and 1ms; <= 4ms adds 3ms; <= 1.024s adds 1s; 1 minute is above every bound.
	if at(0.001) != 2 || at(0.002) != 2 || at(0.004) != 3 || at(0.512) != 3 || at(1.024) != 4 || h.Counts[len(h.Counts)-1] != 4 {
		t.Errorf("cumulative counts %v over bounds %v", h.Counts, h.Bounds)
	}
	if h.Count != 5 {
		t.Errorf("count %d, want 5", h.Count)
	}
	if want := (500*time.Microsecond + 4*time.Millisecond + time.Second + time.Minute).Seconds(); h.Sum != want {
		t.Errorf("sum %v, want %v", h.Sum, want)
	}
	if b := h.Bounds[len(h.Bounds)-1]; b < 30 || b > 35 {
		t.Errorf("last bound %v, want about 30s", b)
	}
}

func TestRecentRing(t *testing.T) {
	var c counters
	if got := c.recentLatencies(); len(got) != 0 {
		t.Fatalf("empty ring gives %v", got)
	}
	for i := 1; i <= recentSize+250; i++ {
		c.observe(class2xx, time.Duration(i)*time.Millisecond, time.Now())
	}
	got := c.recentLatencies()
	if len(got) != recentSize {
		t.Fatalf("%d recent latencies, want %d", len(got), recentSize)
	}
	if first, last := got[0], got[len(got)-1]; first != 0.251 || last != 1.25 {
		t.Errorf("recent runs %v..%v, want 0.251..1.25 (oldest first)", first, last)
	}
}
