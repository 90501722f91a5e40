package notify

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how often and how patiently the [Dispatcher] retries a
// failed delivery. The wait before attempt n+1 is BaseDelay·2^(n-1), at
// most MaxDelay, then shortened by a random fraction of up to Jitter so
// that many failed deliveries do not retry in step.
type RetryPolicy struct {
	// Attempts is the number of tries in all, including the first;
	// default 5.
	Attempts int
	// BaseDelay is the wait after the first failure; default 1s.
	BaseDelay time.Duration
	// MaxDelay caps the wait; default 5m.
	MaxDelay time.Duration
	// Jitter is between 0 (none) and 1; default 0.2. Set a negative value
	// to turn jitter off.
	Jitter float64
}

// DefaultRetry is the policy used for fields left zero.
var DefaultRetry = RetryPolicy{Attempts: 5, BaseDelay: time.Second, MaxDelay: 5 * time.Minute, Jitter: 0.2}

// withDefaults fills zero fields from DefaultRetry and checks the rest.
func (p RetryPolicy) withDefaults() (RetryPolicy, error) {
	if p.Attempts == 0 {
		p.Attempts = DefaultRetry.Attempts
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = DefaultRetry.BaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = max(DefaultRetry.MaxDelay, p.BaseDelay)
	}
	switch {
	case p.Jitter == 0:
		p.Jitter = DefaultRetry.Jitter
	case p.Jitter < 0:
		p.Jitter = 0
	}
	switch {
	case p.Attempts < 1 || p.Attempts > 100:
		return p, fmt.Errorf("retry attempts %d: want 1 to 100", p.Attempts)
	case p.BaseDelay < 0 || p.MaxDelay < p.BaseDelay:
		return p, fmt.Errorf("retry delays: want 0 <= base_delay (%s) <= max_delay (%s)", p.BaseDelay, p.MaxDelay)
	case p.Jitter > 1:
		return p, fmt.Errorf("retry jitter %g: want 0 to 1", p.Jitter)
	}
	return p, nil
}

// Delay returns the wait after failed attempt n (1-based), jitter applied.
func (p RetryPolicy) Delay(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	if p.Jitter > 0 {
		d -= time.Duration(p.Jitter * rand.Float64() * float64(d)) // #nosec G404 -- backoff jitter, not a secret
	}
	return d
}
