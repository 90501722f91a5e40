package edge

import (
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

func TestRateLimitExactBoundary(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	const limit = 5
	srv, app, log := serve(t, Config{RateLimit: RateLimitConfig{Mode: ModeEnforce, Limit: limit, Window: Duration(10 * time.Second)}}, clock.Now)
	get := func() response { return do(t, http.MethodGet, srv.URL+"/books", "", nil) }

	// Requests spread over the window: 3 at t0, 2 at t0+4s.
	for i := 0; i < 3; i++ {
		if r := get(); r.status != 200 {
			t.Fatalf("request %d at t0: status %d", i+1, r.status)
		}
	}
	clock.Add(4 * time.Second)
	for i := 3; i < limit; i++ {
		if r := get(); r.status != 200 {
			t.Fatalf("request %d (the limit is %d): status %d", i+1, limit, r.status)
		}
	}
	// The N+1th in the window is refused, with the seconds until the
	// t0 requests leave the window (t0+10s, now t0+4s).
	r := get()
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("request %d: status %d, want 429", limit+1, r.status)
	}
	if got := r.header.Get("Retry-After"); got != "6" {
		t.Fatalf("Retry-After %q, want 6", got)
	}
	if f := refusalOf(t, r); f.Layer != LayerRate {
		t.Fatalf("layer %q", f.Layer)
	}
	// One second before the t0 requests leave: still refused.
	clock.Add(5 * time.Second) // t0+9s
	if r := get(); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" {
		t.Fatalf("at t0+9s: status %d Retry-After %q, want 429 and 1", r.status, r.header.Get("Retry-After"))
	}
	// At t0+10s the three t0 requests left the window: exactly three pass.
	clock.Add(time.Second)
	for i := 0; i < 3; i++ {
		if r := get(); r.status != 200 {
			t.Fatalf("at t0+10s request %d: status %d", i+1, r.status)
		}
	}
	if r := get(); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "4" {
		t.Fatalf("at t0+10s 4th: status %d Retry-After %q, want 429 and 4", r.status, r.header.Get("Retry-After"))
	}
	if app.count() != limit+3 {
		t.Fatalf("app saw %d, want %d", app.count(), limit+3)
	}
	blocks := log.all()
	if len(blocks) != 3 {
		t.Fatalf("%d blocks, want 3", len(blocks))
	}
	for _, b := range blocks {
		if b.Layer != LayerRate || b.Rule != "rate:*" || b.Status != 429 || !b.Enforced || b.ClientIP != "127.0.0.1" {
			t.Errorf("block %+v", b)
		}
	}
}

func TestRateLimitDefaults(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	e, err := New(Config{RateLimit: RateLimitConfig{Mode: ModeEnforce}}, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	rl := e.rate
	if r := rl.rules[len(rl.rules)-1]; r.limit != DefaultRateLimit || r.window != int64(DefaultRateWindow/time.Second) {
		t.Fatalf("default rule %+v", r)
	}
	// 2000 requests spread over 5 minutes pass, the 2001st is refused.
	now := clock.Now()
	for i := 0; i < DefaultRateLimit; i++ {
		at := now.Add(time.Duration(i%300) * time.Second)
		if ok, _ := rl.allow(0, "192.0.2.1", at); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	if ok, retry := rl.allow(0, "192.0.2.1", now.Add(299*time.Second)); ok || retry != 1 {
		t.Fatalf("request 2001: ok %v retry %d, want refused and 1", ok, retry)
	}
	// Another client is counted apart.
	if ok, _ := rl.allow(0, "192.0.2.2", now); !ok {
		t.Fatal("another client refused")
	}
}

func TestRateLimitPerRouteAndTrustedProxy(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	cfg := Config{
		TrustedProxies: []string{"127.0.0.1", "10.0.0.0/8"},
		RateLimit: RateLimitConfig{Mode: ModeEnforce, Limit: 3, Window: Duration(time.Minute),
			Routes: []RouteRateLimit{{PathPrefix: "/login", Limit: 1}, {PathPrefix: "/login/sso", Limit: 2}}},
	}
	srv, _, log := serve(t, cfg, clock.Now)
	from := func(path, xff string) int {
		return do(t, http.MethodGet, srv.URL+path, "", map[string]string{"X-Forwarded-For": xff}).status
	}
	// The client is the right-most untrusted address: the spoofed left
	// entry is ignored, so changing it does not reset the count.
	if s := from("/login", "1.1.1.1, 203.0.113.9, 10.1.2.3"); s != 200 {
		t.Fatalf("first login: %d", s)
	}
	if s := from("/login", "9.9.9.9, 203.0.113.9, 10.1.2.3"); s != 429 {
		t.Fatalf("second login from the same client: %d, want 429", s)
	}
	// The longer prefix has its own limit and counter.
	for i := 0; i < 2; i++ {
		if s := from("/login/sso", "203.0.113.9"); s != 200 {
			t.Fatalf("sso %d: %d", i+1, s)
		}
	}
	if s := from("/login/sso", "203.0.113.9"); s != 429 {
		t.Fatalf("third sso: %d", s)
	}
	// Other paths use the default limit; another client is not affected.
	for i := 0; i < 3; i++ {
		if s := from("/books", "203.0.113.9"); s != 200 {
			t.Fatalf("books %d: %d", i+1, s)
		}
	}
	if s := from("/books", "203.0.113.9"); s != 429 {
		t.Fatalf("4th books: %d", s)
	}
	if s := from("/books", "203.0.113.10"); s != 200 {
		t.Fatalf("other client: %d", s)
	}
	rules := map[string]int{}
	for _, b := range log.all() {
		if b.ClientIP != "203.0.113.9" {
			t.Errorf("client %q", b.ClientIP)
		}
		rules[b.Rule]++
	}
	if rules["rate:/login"] != 1 || rules["rate:/login/sso"] != 1 || rules["rate:*"] != 1 {
		t.Fatalf("rules %v", rules)
	}
}

func TestRateLimitBoundedMemory(t *testing.T) {
	rl, err := newRateLimiter(RateLimitConfig{Mode: ModeEnforce, Limit: 1, MaxClients: 100})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	for i := 0; i < 1000; i++ {
		rl.allow(0, "client-"+strconv.Itoa(i), now)
	}
	if n := len(rl.clients); n != 100 || rl.lru.Len() != 100 {
		t.Fatalf("%d clients kept, want 100", n)
	}
	// The most recent client is still counted; the oldest was forgotten.
	if ok, _ := rl.allow(0, "client-999", now); ok {
		t.Fatal("recent client forgotten")
	}
	if ok, _ := rl.allow(0, "client-0", now); !ok {
		t.Fatal("oldest client still counted")
	}
}

func TestRateLimitDetectPasses(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	srv, app, log := serve(t, Config{RateLimit: RateLimitConfig{Mode: ModeDetect, Limit: 1, Window: Duration(time.Minute)}}, clock.Now)
	for i := 0; i < 3; i++ {
		if r := do(t, http.MethodGet, srv.URL+"/books", "", nil); r.status != 200 {
			t.Fatalf("status %d in detect mode", r.status)
		}
	}
	if app.count() != 3 || len(log.all()) != 2 || log.all()[0].Enforced {
		t.Fatalf("hits %d, blocks %+v", app.count(), log.all())
	}
}

func TestRateLimitConfigErrors(t *testing.T) {
	for _, c := range []RateLimitConfig{
		{Mode: ModeEnforce, Limit: -1},
		{Mode: ModeEnforce, Window: Duration(1500 * time.Millisecond)},
		{Mode: ModeEnforce, Routes: []RouteRateLimit{{PathPrefix: "login"}}},
		{Mode: ModeEnforce, Routes: []RouteRateLimit{{PathPrefix: "/a"}, {PathPrefix: "/a"}}},
	} {
		if _, err := New(Config{RateLimit: c}, Options{}); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := New(Config{TrustedProxies: []string{"10.0.0.0/33"}}, Options{}); err == nil {
		t.Error("bad CIDR accepted")
	}
}

func TestRateLimitIPv6Network(t *testing.T) {
	rl, err := newRateLimiter(RateLimitConfig{Mode: ModeEnforce, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	key := func(s string) string { return rl.clientKey(netip.MustParseAddr(s)) }
	if ok, _ := rl.allow(0, key("2001:db8:1:2::1"), now); !ok {
		t.Fatal("first refused")
	}
	// Another address of the same /64 is the same client.
	if ok, _ := rl.allow(0, key("2001:db8:1:2:ffff::9"), now); ok {
		t.Fatal("same /64 counted apart")
	}
	if ok, _ := rl.allow(0, key("2001:db8:1:3::1"), now); !ok {
		t.Fatal("another /64 refused")
	}
	if key("198.51.100.7") != "198.51.100.7" {
		t.Fatalf("IPv4 key %q", key("198.51.100.7"))
	}
	if _, err := newRateLimiter(RateLimitConfig{Mode: ModeEnforce, IPv6PrefixLength: 16}); err == nil {
		t.Fatal("prefix length 16 accepted")
	}
}
