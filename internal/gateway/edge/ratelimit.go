package edge

import (
	"container/list"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Defaults of RateLimitConfig, like an AWS WAF rate-based rule.
const (
	DefaultRateLimit      = 2000
	DefaultRateWindow     = 5 * time.Minute
	DefaultRateMaxClients = 20000
)

// RateLimitConfig limits the requests each client address may make in a
// sliding window. The window is counted in whole seconds: a request
// accepted during second s counts against every request made from s to
// s+window-1 inclusive, so with limit N the Nth request in a window passes
// and the N+1th is refused with 429 and Retry-After (the seconds until the
// oldest counted request leaves the window). Refused requests are not
// counted.
type RateLimitConfig struct {
	// Mode: off (default), detect, monitor or enforce.
	Mode Mode `json:"mode,omitempty"`
	// Limit is the number of requests allowed per window (default 2000).
	Limit int `json:"limit,omitempty"`
	// Window is the sliding window, whole seconds, at least 1s (default 5m).
	Window Duration `json:"window,omitempty"`
	// Routes set separate limits under path prefixes; the longest
	// matching prefix applies instead of the default limit, and each
	// route counts its own requests.
	Routes []RouteRateLimit `json:"routes,omitempty"`
	// IPv6PrefixLength groups IPv6 clients by network (default 64: one
	// subscriber's /64 is one client, so rotating addresses inside it
	// neither escapes the limit nor floods the counters); 128 counts
	// every address apart.
	IPv6PrefixLength int `json:"ipv6_prefix_length,omitempty"`
	// MaxClients bounds memory: the number of (client, route) counters
	// kept (default 20000). When full, the least recently seen client is
	// forgotten. A counter holds at most one entry per second of the
	// window (16 bytes each).
	MaxClients int `json:"max_clients,omitempty"`
}

// RouteRateLimit is a limit for the paths under PathPrefix.
type RouteRateLimit struct {
	// PathPrefix is matched against the URL path, e.g. "/api/login".
	PathPrefix string `json:"path_prefix"`
	// Limit and Window as in RateLimitConfig (defaults: those of the
	// RateLimitConfig).
	Limit  int      `json:"limit,omitempty"`
	Window Duration `json:"window,omitempty"`
}

type rateRule struct {
	name   string // "*" or the prefix
	prefix string
	limit  int
	window int64 // seconds
}

type rateLimiter struct {
	mode  Mode
	v6len int
	rules []rateRule // longest prefix first; the default "*" last
	max   int

	mu      sync.Mutex
	clients map[rateKey]*list.Element
	lru     *list.List // of *rateCounter, most recent at the front
}

type rateKey struct {
	rule   int
	client string
}

type secondCount struct {
	sec   int64
	count int
}

type rateCounter struct {
	key   rateKey
	total int
	secs  []secondCount // oldest first
}

func newRateLimiter(c RateLimitConfig) (*rateLimiter, error) {
	if err := c.Mode.validate(); err != nil {
		return nil, err
	}
	if !c.Mode.on() {
		return nil, nil
	}
	def, err := makeRateRule("*", "", c.Limit, c.Window, DefaultRateLimit, DefaultRateWindow)
	if err != nil {
		return nil, err
	}
	rl := &rateLimiter{mode: c.Mode, v6len: c.IPv6PrefixLength, max: c.MaxClients, clients: map[rateKey]*list.Element{}, lru: list.New()}
	if rl.v6len == 0 {
		rl.v6len = 64
	}
	if rl.v6len < 32 || rl.v6len > 128 {
		return nil, fmt.Errorf("ipv6_prefix_length %d: use 32 to 128 (64 is one subscriber)", c.IPv6PrefixLength)
	}
	if rl.max <= 0 {
		rl.max = DefaultRateMaxClients
	}
	seen := map[string]bool{}
	for i, r := range c.Routes {
		if !strings.HasPrefix(r.PathPrefix, "/") {
			return nil, fmt.Errorf("routes[%d]: path_prefix %q must start with /", i, r.PathPrefix)
		}
		if seen[r.PathPrefix] {
			return nil, fmt.Errorf("routes[%d]: path_prefix %q is listed twice", i, r.PathPrefix)
		}
		seen[r.PathPrefix] = true
		rr, err := makeRateRule(r.PathPrefix, r.PathPrefix, r.Limit, r.Window, def.limit, time.Duration(def.window)*time.Second)
		if err != nil {
			return nil, fmt.Errorf("routes[%d]: %w", i, err)
		}
		rl.rules = append(rl.rules, rr)
	}
	// Longest prefix first, so the first match is the most specific.
	for i := 1; i < len(rl.rules); i++ {
		for j := i; j > 0 && len(rl.rules[j].prefix) > len(rl.rules[j-1].prefix); j-- {
			rl.rules[j], rl.rules[j-1] = rl.rules[j-1], rl.rules[j]
		}
	}
	rl.rules = append(rl.rules, def)
	return rl, nil
}

func makeRateRule(name, prefix string, limit int, window Duration, defLimit int, defWindow time.Duration) (rateRule, error) {
	if limit < 0 {
		return rateRule{}, fmt.Errorf("limit %d is negative: use a positive number of requests", limit)
	}
	if limit == 0 {
		limit = defLimit
	}
	w := time.Duration(window)
	if w == 0 {
		w = defWindow
	}
	if w < time.Second || w%time.Second != 0 {
		return rateRule{}, fmt.Errorf("window %s must be a whole number of seconds, at least 1s", w)
	}
	return rateRule{name: name, prefix: prefix, limit: limit, window: int64(w / time.Second)}, nil
}

// rule returns the index of the rule for path.
func (rl *rateLimiter) rule(path string) int {
	for i, r := range rl.rules {
		if r.prefix == "" || strings.HasPrefix(path, r.prefix) {
			return i
		}
	}
	return len(rl.rules) - 1
}

// allow counts a request of client on rule at now, or refuses it and
// returns the seconds until a slot frees.
func (rl *rateLimiter) allow(rule int, client string, now time.Time) (ok bool, retryAfter int64) {
	r := rl.rules[rule]
	sec := now.Unix()
	oldest := sec - r.window + 1 // first second still inside the window
	key := rateKey{rule: rule, client: client}

	rl.mu.Lock()
	defer rl.mu.Unlock()
	var c *rateCounter
	if el, found := rl.clients[key]; found {
		rl.lru.MoveToFront(el)
		c = el.Value.(*rateCounter)
	} else {
		for len(rl.clients) >= rl.max {
			last := rl.lru.Back()
			rl.lru.Remove(last)
			delete(rl.clients, last.Value.(*rateCounter).key)
		}
		c = &rateCounter{key: key}
		rl.clients[key] = rl.lru.PushFront(c)
	}
	drop := 0
	for drop < len(c.secs) && c.secs[drop].sec < oldest {
		c.total -= c.secs[drop].count
		drop++
	}
	if drop > 0 {
		c.secs = append(c.secs[:0], c.secs[drop:]...)
	}
	if c.total >= r.limit {
		// The oldest counted second leaves the window at its sec+window.
		return false, c.secs[0].sec + r.window - sec
	}
	c.total++
	if n := len(c.secs); n > 0 && c.secs[n-1].sec >= sec {
		c.secs[n-1].count++ // a clock that steps back counts in the newest second
	} else {
		c.secs = append(c.secs, secondCount{sec: sec, count: 1})
	}
	return true, 0
}

// clientKey is the counter key of a client address: IPv4 addresses as
// they are, IPv6 addresses by their network of v6len bits.
func (rl *rateLimiter) clientKey(a netip.Addr) string {
	if a.Is6() && rl.v6len < 128 {
		if p, err := a.Prefix(rl.v6len); err == nil {
			return p.String()
		}
	}
	return a.String()
}

// checkRate applies the rate limit; false when the request was refused.
func (e *Edge) checkRate(w http.ResponseWriter, r *http.Request, rc *requestContext) bool {
	rl := e.rate
	i := rl.rule(r.URL.Path)
	ok, retry := rl.allow(i, rl.clientKey(rc.clientIP), rc.now)
	if ok {
		return true
	}
	rule := rl.rules[i]
	msg := fmt.Sprintf("rate limit exceeded: more than %d requests in %ds from this address; retry after %ds", rule.limit, rule.window, retry)
	e.report(r, rc, Block{Layer: LayerRate, Rule: "rate:" + rule.name, Status: http.StatusTooManyRequests, Mode: rl.mode, Enforced: rl.mode == ModeEnforce, Message: msg})
	if rl.mode != ModeEnforce {
		return true
	}
	refuse(w, http.StatusTooManyRequests, LayerRate, rc.id, msg, retry)
	return false
}
