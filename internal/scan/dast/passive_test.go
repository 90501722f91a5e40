package dast

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// ruleIDs lists the rule ids of fs, sorted, with duplicates.
func ruleIDs(fs []findings.Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.RuleID)
	}
	slices.Sort(ids)
	return ids
}

func TestPassiveHTTPS(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer staging" {
			t.Errorf("crawl request without the configured header: %v", r.Header)
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Add("Set-Cookie", "sid=secret-value; Path=/; HttpOnly; SameSite=Lax")
		w.Header().Add("Set-Cookie", "pref=dark; Path=/; Secure; HttpOnly; SameSite=Strict")
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<a href="/page?x=1">p</a><a href="/ok">ok</a><a href="/java">j</a><a href="https://other.invalid/x">o</a>`)
	})
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, _ *http.Request) {
		// The wildcard without credentials is not a finding.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fmt.Fprint(w, "plain")
	})
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Server", "nginx") // no version: not a banner finding
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fmt.Fprint(w, "Index of nothing; SELECT * FROM t is fine text")
	})
	mux.HandleFunc("GET /java", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "java.lang.NullPointerException\n\tat com.acme.Books.find(Books.java:42)\n")
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	res, err := Scan(context.Background(), Options{BaseURL: srv.URL, InsecureTLS: true,
		Headers: http.Header{"Authorization": {"Bearer staging"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{RuleCookieSecure, RuleMissingHSTS, RuleVerboseError}
	if got := ruleIDs(res.Findings); !slices.Equal(got, want) {
		t.Fatalf("rules = %v, want %v", got, want)
	}
	for _, f := range res.Findings {
		if f.RuleID == RuleCookieSecure && f.Properties[findings.PropParameter] != "sid" {
			t.Errorf("cookie finding for %q, want sid", f.Properties[findings.PropParameter])
		}
		if strings.Contains(f.Snippet+fmt.Sprint(f.Properties), "secret-value") {
			t.Errorf("cookie value leaked into finding: %+v", f)
		}
		if f.RuleID == RuleVerboseError && !strings.HasSuffix(f.Location.URL, "/java") {
			t.Errorf("verbose error at %s, want /java", f.Location.URL)
		}
	}
}

// A target that stalls once must not be reported as time-based
// injection: the repeat after the control answers promptly.
func TestTimeBasedNeedsRepeat(t *testing.T) {
	t.Parallel()
	var stalled atomic.Bool
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("q")
		if strings.Contains(strings.ToLower(q), "sleep") && stalled.CompareAndSwap(false, true) {
			hits.Add(1)
			time.Sleep(1200 * time.Millisecond)
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	res, err := Scan(context.Background(), Options{BaseURL: srv.URL + "/?q=1", ActiveChecks: true,
		TimeDelay: time.Second, Timeout: 5 * time.Second, Callback: "off"})
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 {
		t.Fatalf("the server stalled %d times, want 1 (the check never sent a sleep payload?)", hits.Load())
	}
	if len(res.Findings) != 0 {
		t.Errorf("findings after a one-off stall: %v", ruleIDs(res.Findings))
	}
}

func TestBudgetAndDelay(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<a href="/a?x=1">a</a><a href="/b?y=2">b</a><form action="/c"><input name="z"></form>`)
	}))
	defer srv.Close()
	start := time.Now()
	res, err := Scan(context.Background(), Options{BaseURL: srv.URL, ActiveChecks: true, MaxRequests: 12,
		RequestDelay: 20 * time.Millisecond, Callback: "off"})
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 12 || res.Requests != 12 {
		t.Errorf("server saw %d requests, result says %d; want the budget of 12", n.Load(), res.Requests)
	}
	if !res.Health.Partial || !strings.Contains(res.Health.Reason, "budget") {
		t.Errorf("health = %+v, want partial for the spent budget", res.Health)
	}
	if el := time.Since(start); el < 11*20*time.Millisecond {
		t.Errorf("12 requests 20ms apart took %s", el)
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{},
		{BaseURL: "ftp://example.com/"},
		{BaseURL: "/relative"},
		{BaseURL: "http://127.0.0.1:1/", Callback: "localhost:0"},
		{BaseURL: "http://127.0.0.1:1/", ActiveChecks: true, Timeout: time.Second},
		{BaseURL: "http://127.0.0.1:1/", RequestDelay: -time.Second},
	} {
		if _, err := Scan(context.Background(), o); err == nil {
			t.Errorf("Scan(%+v) succeeded, want an option error", o)
		}
	}
	// A base URL nobody answers on is an error, not an empty result.
	_, err := Scan(context.Background(), Options{BaseURL: "http://127.0.0.1:1/", Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "base URL") {
		t.Errorf("err = %v, want the base URL not answering", err)
	}
}

func TestScannerAdapter(t *testing.T) {
	t.Parallel()
	if ok, why := New(Options{}).Applies(context.Background(), &scan.Target{}); ok || why == "" {
		t.Errorf("Applies without URL = %v %q", ok, why)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Powered-By", "Express 4.17.1")
		fmt.Fprint(w, "hi")
	}))
	defer srv.Close()
	res := scan.Run(context.Background(), &scan.Target{}, []scan.Scanner{New(Options{BaseURL: srv.URL})}, nil)
	if got, want := ruleIDs(res.Findings), []string{RuleMissingNoSniff, RuleBanner}; !slices.Equal(got, want) {
		t.Errorf("rules = %v, want %v", got, want)
	}
	if h := res.Health[0]; h.Status != scan.Ran || h.Findings != len(res.Findings) {
		t.Errorf("health = %+v", h)
	}
}
