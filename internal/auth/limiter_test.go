package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestLimiterBackoff(t *testing.T) {
	l := NewLimiter(LimiterConfig{MaxFailures: 3, Window: 10 * time.Minute, BaseDelay: time.Second, MaxDelay: 8 * time.Second})
	now := time.Unix(1_750_000_000, 0)
	const addr = "203.0.113.7:51234"
	for i := range 2 {
		l.Failure(addr, now)
		if ok, _ := l.Allow(addr, now); !ok {
			t.Fatalf("refused after %d failures", i+1)
		}
	}
	// Third failure: 1s, then doubling to the 8s cap.
	for _, want := range []time.Duration{1, 2, 4, 8, 8, 8} {
		l.Failure(addr, now)
		ok, retry := l.Allow(addr, now)
		if ok || retry != want*time.Second {
			t.Fatalf("Allow = %v, %s; want false, %s", ok, retry, want*time.Second)
		}
		if ok, retry := l.Allow(addr, now.Add(retry-time.Millisecond)); ok || retry != time.Millisecond {
			t.Fatalf("just before the end: %v %s", ok, retry)
		}
		now = now.Add(retry)
		if ok, _ := l.Allow(addr, now); !ok {
			t.Fatal("refused after the wait")
		}
	}
	// Other clients are unaffected.
	if ok, _ := l.Allow("203.0.113.8:51234", now); !ok {
		t.Fatal("another address was refused")
	}
	// The port does not matter.
	l.Failure(addr, now)
	if ok, _ := l.Allow("203.0.113.7:1", now); ok {
		t.Fatal("same IP with another port escaped the lockout")
	}
}

func TestLimiterWindowAndSuccess(t *testing.T) {
	l := NewLimiter(LimiterConfig{MaxFailures: 2, Window: time.Minute})
	now := time.Unix(1_750_000_000, 0)
	l.Failure("198.51.100.1", now)
	// A failure after the window counts as the first again.
	now = now.Add(time.Minute + time.Second)
	l.Failure("198.51.100.1", now)
	if ok, _ := l.Allow("198.51.100.1", now); !ok {
		t.Fatal("failures outside the window were counted")
	}
	l.Failure("198.51.100.1", now)
	if ok, retry := l.Allow("198.51.100.1", now); ok || retry != DefaultBaseDelay {
		t.Fatalf("Allow = %v %s, want refusal for %s", ok, retry, DefaultBaseDelay)
	}
	now = now.Add(DefaultBaseDelay)
	l.Success("198.51.100.1")
	if l.Len() != 0 {
		t.Fatal("Success did not forget the client")
	}
	l.Failure("198.51.100.1", now)
	if ok, _ := l.Allow("198.51.100.1", now); !ok {
		t.Fatal("count not reset by Success")
	}
	// A stale entry is dropped on Allow.
	if ok, _ := l.Allow("198.51.100.1", now.Add(2*time.Minute)); !ok || l.Len() != 0 {
		t.Fatalf("stale entry kept: Len = %d", l.Len())
	}
}

func TestLimiterBounded(t *testing.T) {
	l := NewLimiter(LimiterConfig{MaxFailures: 1, Window: time.Minute, BaseDelay: time.Minute, MaxEntries: 100})
	now := time.Unix(1_750_000_000, 0)
	l.Failure("192.0.2.1", now) // locked until now+1m
	for i := range 1000 {
		l.Failure(fmt.Sprintf("10.0.%d.%d", i/256, i%256), now.Add(time.Duration(i)*time.Millisecond))
		if l.Len() > 100 {
			t.Fatalf("Len = %d beyond MaxEntries", l.Len())
		}
	}
	// The first client was the closest to being forgotten, so it went
	// first; the newest ones are still locked.
	if ok, _ := l.Allow("10.0.3.231", now.Add(time.Second)); ok {
		t.Fatal("newest client was evicted")
	}
	if ok, _ := l.Allow("192.0.2.1", now.Add(time.Second)); !ok {
		t.Fatal("the oldest client should have been evicted first")
	}
	// Stale entries make room before live ones are evicted.
	later := now.Add(time.Hour)
	l.Failure("192.0.2.200", later)
	if l.Len() != 1 {
		t.Fatalf("Len = %d, want only the new client after a sweep", l.Len())
	}
}

func TestLimiterKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7:443":            "203.0.113.7",
		"203.0.113.7":                "203.0.113.7",
		"[::ffff:203.0.113.7]:80":    "203.0.113.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":       "2001:db8:1:2::/64",
		"[fe80::1%eth0]:22":          "fe80::/64",
		"unix-socket":                "unix-socket",
		"":                           "",
	} {
		if got := LimiterKey(in); got != want {
			t.Errorf("LimiterKey(%q) = %q, want %q", in, got, want)
		}
	}
	long := make([]byte, 1000)
	for i := range long {
		long[i] = 'x'
	}
	if got := LimiterKey(string(long)); len(got) != 256 {
		t.Errorf("long key kept %d bytes", len(got))
	}
}

func TestRetryAfterHeader(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "1", time.Millisecond: "1", time.Second: "1", 1500 * time.Millisecond: "2", 15 * time.Minute: "900",
	} {
		if got := RetryAfterHeader(d); got != want {
			t.Errorf("RetryAfterHeader(%s) = %s, want %s", d, got, want)
		}
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l := NewLimiter(LimiterConfig{MaxEntries: 50})
	now := time.Now()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				addr := fmt.Sprintf("10.%d.%d.1:1", g, i%80)
				l.Allow(addr, now)
				l.Failure(addr, now)
				if i%7 == 0 {
					l.Success(addr)
				}
			}
		})
	}
	wg.Wait()
	if l.Len() > 50 {
		t.Fatalf("Len = %d beyond MaxEntries", l.Len())
	}
}
