package auth

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limiter defaults, used for zero fields of LimiterConfig.
const (
	DefaultMaxFailures       = 5
	DefaultFailureWindow     = 15 * time.Minute
	DefaultBaseDelay         = time.Second
	DefaultMaxDelay          = 15 * time.Minute
	DefaultLimiterMaxEntries = 10000
)

// LimiterConfig tunes a Limiter. Zero fields take the defaults above.
type LimiterConfig struct {
	// MaxFailures is how many failed authentications a client may make
	// before it must wait.
	MaxFailures int
	// Window is how long failures are remembered after the last one; a
	// client that stays quiet this long starts afresh.
	Window time.Duration
	// BaseDelay is the first wait, after the MaxFailures-th failure. Each
	// further failure doubles it.
	BaseDelay time.Duration
	// MaxDelay caps the wait.
	MaxDelay time.Duration
	// MaxEntries bounds the clients remembered (about 150 bytes each).
	MaxEntries int
}

// Limiter slows down guessing of API keys: after MaxFailures failures from
// one client within Window, Allow refuses that client for BaseDelay, then
// twice as long after each further failure, up to MaxDelay. The server
// answers a refusal with 429 Too Many Requests and a Retry-After header
// (RetryAfterHeader), without checking the key, and audits it.
//
// Clients are keyed by LimiterKey of their address: the IP without port,
// and for IPv6 the /64 network, since one host usually holds a whole /64.
//
// Memory is bounded by MaxEntries. When the table is full, clients whose
// lockout and window have passed are dropped first; if none has, the one
// closest to being forgotten anyway is. It is safe for concurrent use.
type Limiter struct {
	cfg     LimiterConfig
	mu      sync.Mutex
	clients map[string]*clientState
}

type clientState struct {
	failures    int
	last        time.Time
	lockedUntil time.Time
}

// NewLimiter returns a Limiter; zero fields of cfg take the defaults.
func NewLimiter(cfg LimiterConfig) *Limiter {
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultFailureWindow
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = DefaultBaseDelay
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = DefaultMaxDelay
	}
	if cfg.MaxDelay < cfg.BaseDelay {
		cfg.MaxDelay = cfg.BaseDelay
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultLimiterMaxEntries
	}
	return &Limiter{cfg: cfg, clients: make(map[string]*clientState)}
}

// Allow reports whether the client at addr may try to authenticate now,
// and if not, how long it must wait.
func (l *Limiter) Allow(addr string, now time.Time) (ok bool, retryAfter time.Duration) {
	k := LimiterKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[k]
	if c == nil {
		return true, 0
	}
	if now.Before(c.lockedUntil) {
		return false, c.lockedUntil.Sub(now)
	}
	if l.stale(c, now) {
		delete(l.clients, k)
	}
	return true, 0
}

// Failure records a failed authentication from addr at now.
func (l *Limiter) Failure(addr string, now time.Time) {
	k := LimiterKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[k]
	if c == nil {
		if len(l.clients) >= l.cfg.MaxEntries {
			l.evict(now)
		}
		c = &clientState{}
		l.clients[k] = c
	} else if now.Sub(c.last) > l.cfg.Window && !now.Before(c.lockedUntil) {
		c.failures = 0
	}
	c.failures++
	c.last = now
	if over := c.failures - l.cfg.MaxFailures; over >= 0 {
		c.lockedUntil = now.Add(l.delay(over))
	}
}

// Success forgets the failures of addr after it authenticated.
func (l *Limiter) Success(addr string) {
	k := LimiterKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.clients, k)
}

// Len returns the number of clients remembered.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// delay returns BaseDelay doubled over times, capped at MaxDelay.
func (l *Limiter) delay(over int) time.Duration {
	d := l.cfg.BaseDelay
	for range over {
		if d >= l.cfg.MaxDelay/2 {
			return l.cfg.MaxDelay
		}
		d *= 2
	}
	return min(d, l.cfg.MaxDelay)
}

func (l *Limiter) stale(c *clientState, now time.Time) bool {
	return !now.Before(c.lockedUntil) && now.Sub(c.last) > l.cfg.Window
}

// forgetAt is when c would be dropped anyway.
func (l *Limiter) forgetAt(c *clientState) time.Time {
	t := c.last.Add(l.cfg.Window)
	if c.lockedUntil.After(t) {
		return c.lockedUntil
	}
	return t
}

// evict makes room for one client. Called with l.mu held.
func (l *Limiter) evict(now time.Time) {
	for k, c := range l.clients {
		if l.stale(c, now) {
			delete(l.clients, k)
		}
	}
	if len(l.clients) < l.cfg.MaxEntries {
		return
	}
	var victim string
	var soonest time.Time
	for k, c := range l.clients {
		if t := l.forgetAt(c); victim == "" || t.Before(soonest) {
			victim, soonest = k, t
		}
	}
	delete(l.clients, victim)
}

// LimiterKey returns the key a Limiter counts addr under: the IP of an
// "ip:port" or bare IP (IPv4-mapped IPv6 as IPv4, zones dropped), the /64
// network for IPv6, and the string itself, cut to 256 bytes, for anything
// else.
func LimiterKey(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap().WithZone("")
		if ip.Is4() {
			return ip.String()
		}
		p, _ := ip.Prefix(64)
		return p.String()
	}
	if len(host) > 256 {
		host = host[:256]
	}
	return host
}

// RetryAfterHeader formats a wait for the Retry-After header: whole
// seconds, rounded up, at least 1.
func RetryAfterHeader(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}
