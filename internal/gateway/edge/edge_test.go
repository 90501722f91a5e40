package edge

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestClientIP(t *testing.T) {
	trusted, err := parsePrefixes([]string{"10.0.0.0/8", "192.0.2.1", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		peer, xff, want string
	}{
		{"203.0.113.5", "", "203.0.113.5"},
		{"203.0.113.5", "1.2.3.4", "203.0.113.5"},                        // untrusted peer: XFF ignored
		{"10.0.0.1", "", "10.0.0.1"},                                     // trusted peer, no XFF
		{"10.0.0.1", "198.51.100.7", "198.51.100.7"},                     // one proxy
		{"10.0.0.1", "6.6.6.6, 198.51.100.7, 192.0.2.1", "198.51.100.7"}, // right-most untrusted
		{"10.0.0.1", "6.6.6.6, 198.51.100.7, 10.9.9.9", "198.51.100.7"},  // several trusted hops
		{"10.0.0.1", "10.1.1.1, 10.2.2.2", "10.1.1.1"},                   // all trusted: left-most
		{"10.0.0.1", "garbage, 10.2.2.2", "10.2.2.2"},                    // garbage stops the walk
		{"10.0.0.1", "198.51.100.7:4711", "10.0.0.1"},                    // not an address
		{"2001:db8::1", "2001:db8::2, 2a00:1450::1", "2a00:1450::1"},     // IPv6
		{"10.0.0.1", "::ffff:198.51.100.7", "198.51.100.7"},              // mapped addresses unmapped
	}
	for _, c := range cases {
		h := http.Header{}
		if c.xff != "" {
			h.Set("X-Forwarded-For", c.xff)
		}
		got := clientIP(netip.MustParseAddr(c.peer), h, trusted)
		if got.String() != c.want {
			t.Errorf("peer %s XFF %q: client %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
	// Several XFF headers are read in order.
	h := http.Header{"X-Forwarded-For": {"6.6.6.6", "198.51.100.7, 10.0.0.2"}}
	if got := clientIP(netip.MustParseAddr("10.0.0.1"), h, trusted); got.String() != "198.51.100.7" {
		t.Errorf("two headers: %s", got)
	}
}

func TestRequestIDFromTrustedProxyOnly(t *testing.T) {
	for _, c := range []struct {
		trusted []string
		keep    bool
	}{{nil, false}, {[]string{"127.0.0.1"}, true}} {
		srv, _, _ := serve(t, Config{TrustedProxies: c.trusted}, nil)
		r := do(t, http.MethodGet, srv.URL+"/books", "", map[string]string{RequestIDHeader: "lb-1234"})
		got := r.header.Get(RequestIDHeader)
		if (got == "lb-1234") != c.keep || r.header.Get("X-Seen-Request-Id") != got {
			t.Errorf("trusted %v: id %q (app saw %q), keep %v", c.trusted, got, r.header.Get("X-Seen-Request-Id"), c.keep)
		}
		// An id that could inject into logs is never kept.
		r = do(t, http.MethodGet, srv.URL+"/books", "", map[string]string{RequestIDHeader: "a b\"c"})
		if r.header.Get(RequestIDHeader) == "a b\"c" {
			t.Error("unsafe request id kept")
		}
	}
}

func TestConfigJSON(t *testing.T) {
	in := `{"trusted_proxies":["10.0.0.0/8"],
		"waf":{"mode":"enforce","paranoia_level":2,"remove_rules":["920350"],"path_exclusions":[{"path_prefix":"/api/search","rule_ids":["942100"]}]},
		"rate_limit":{"mode":"enforce","limit":100,"window":"1m","routes":[{"path_prefix":"/login","limit":5,"window":60}]},
		"geo":{"mode":"off"},
		"api_auth":{"mode":"detect","routes":[{"path_prefix":"/api/","keys":[{"id":"ci","sha256":"` + HashAPIKey("k") + `"}],"require_signature":true,"window":"2m"}]}}`
	var c Config
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if c.RateLimit.Window != Duration(time.Minute) || c.RateLimit.Routes[0].Window != Duration(time.Minute) || c.APIAuth.Routes[0].Window != Duration(2*time.Minute) {
		t.Fatalf("durations %+v %+v", c.RateLimit, c.APIAuth.Routes[0])
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("round trip %s: %v", out, err)
	}
	if back.WAF.PathExclusions[0].RuleIDs[0] != "942100" || back.RateLimit.Routes[0].Limit != 5 || back.APIAuth.Routes[0].Window != Duration(2*time.Minute) {
		t.Fatalf("round trip lost fields: %s", out)
	}
	if _, err := New(back, Options{}); err != nil {
		t.Fatalf("New: %v", err)
	}
	var d Duration
	if err := json.Unmarshal([]byte(`"five minutes"`), &d); err == nil {
		t.Fatal("bad duration accepted")
	}
}

func TestNewReportsEveryError(t *testing.T) {
	_, err := New(Config{
		TrustedProxies: []string{"nope"},
		RateLimit:      RateLimitConfig{Mode: ModeEnforce, Limit: -1},
		Geo:            GeoConfig{Mode: "on"},
	}, Options{})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"trusted_proxies", "rate_limit", "geo"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// failingBody fails after some bytes, like a client that disconnects.
type failingBody struct{ n int }

func (f *failingBody) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := min(f.n, len(p))
	for i := range p[:k] {
		p[i] = 'a'
	}
	f.n -= k
	return k, nil
}

func (f *failingBody) Close() error { return nil }

// TestWAFTransactionClosedOnEveryPath checks that every request, passed,
// refused or broken, ends its transaction (the hook runs just before
// tx.Close, after ProcessLogging).
func TestWAFTransactionClosedOnEveryPath(t *testing.T) {
	e, err := New(Config{WAF: WAFConfig{Mode: ModeEnforce, InspectResponseBody: true}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	closed := 0
	e.txHook = func(string, []matchedRule) { closed++ }
	h := e.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	reqs := []*http.Request{
		httptest.NewRequest(http.MethodGet, "/books", nil),
		httptest.NewRequest(http.MethodGet, "/books?id=1'%20OR%20'1'='1", nil),
		httptest.NewRequest(http.MethodPost, "/books", &failingBody{n: 10}),
	}
	reqs[2].Header.Set("Content-Type", "application/x-www-form-urlencoded")
	codes := []int{200, 403, 400}
	for i, r := range reqs {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != codes[i] {
			t.Errorf("request %d: status %d, want %d", i, w.Code, codes[i])
		}
		if closed != i+1 {
			t.Fatalf("request %d: %d transactions closed, want %d", i, closed, i+1)
		}
	}
}

func TestAllLayersOff(t *testing.T) {
	srv, app, log := serve(t, Config{}, nil)
	r := do(t, http.MethodGet, srv.URL+"/books?id="+strings.Repeat("'", 3), "", nil)
	if r.status != 200 || app.count() != 1 || len(log.all()) != 0 || r.header.Get(RequestIDHeader) == "" {
		t.Fatalf("status %d hits %d blocks %d id %q", r.status, app.count(), len(log.all()), r.header.Get(RequestIDHeader))
	}
}
