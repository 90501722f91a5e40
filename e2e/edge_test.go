//go:build linux

package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestEdgeWAFAndRateLimit deploys goodbooks behind the gateway with the WAF
// enforcing in production and only counting in staging, and a rate limit:
// attacks are refused with 403 in production (and never reach a release's
// counters), pass in staging, normal API traffic passes in both, and the
// rate limit refuses exactly the request over the limit.
func TestEdgeWAFAndRateLimit(t *testing.T) {
	t.Parallel()
	b := goodbooksBuilds(t)
	p := newDLProject(t, 1, "", `  production:
    strategy: blue-green
    waf: enforce
  staging:
    strategy: blue-green
    waf: detect
    rate_limit: { mode: enforce, limit: 20, window: 1m }
`)
	for _, env := range []string{"production", "staging"} {
		expectCode(t, p.deploy(env, b.v1, "--version", "1.0"), 0)
	}
	prod, stag := p.status("production").URL, p.status("staging").URL
	get := func(base, path string) int {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	attacks := []string{
		"/books?id=" + url.QueryEscape("1' OR '1'='1"),
		"/books?q=" + url.QueryEscape("<script>alert(1)</script>"),
		"/books?file=" + url.QueryEscape("../../../../etc/passwd"),
		"/books?host=" + url.QueryEscape("127.0.0.1;cat /etc/passwd"),
	}
	for _, a := range attacks {
		if code := get(prod, a); code != http.StatusForbidden {
			t.Errorf("production (enforce) %s: %d, want 403", a, code)
		}
		if code := get(stag, a); code == http.StatusForbidden {
			t.Errorf("staging (detect) refused %s", a)
		}
	}
	for _, path := range []string{"/books", "/books/1", "/healthz"} {
		if code := get(prod, path); code != http.StatusOK {
			t.Errorf("production %s: %d, want 200", path, code)
		}
	}
	res, err := http.Post(prod+"/books", "application/json", strings.NewReader(`{"title":"Dune","author":"Frank Herbert","year":1965}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Errorf("production POST /books: %d", res.StatusCode)
	}
	// Refused attacks are counted as edge matches, not as the release's
	// requests (they would otherwise skew a canary's error rate).
	r := sluice(t, p.dir, "status", "--env", "production", "--json")
	if !strings.Contains(r.stdout, `"requests": 4`) || !strings.Contains(r.stdout, `"refused": 4`) {
		t.Errorf("the release counted refused requests, or not as refused:\n%s", r.stdout)
	}
	// Each refusal is in the security event log, with the release it was
	// routed to and the request id the client got. The gateway writes it
	// asynchronously: wait for the four lines.
	var evs []string
	waitFor(t, 20*time.Second, "four security events", func() bool {
		r := sluice(t, p.dir, "events", "--env", "production", "--enforced", "--json")
		evs = strings.Split(strings.TrimSpace(r.stdout), "\n")
		return r.code == 0 && len(evs) == 4 && evs[0] != ""
	}, func() string { return strings.Join(evs, "\n") })
	live := p.status("production").Live.ID
	for _, ev := range evs {
		if !strings.Contains(ev, `"layer":"waf"`) || !strings.Contains(ev, `"release":"`+live+`"`) || !strings.Contains(ev, `"status":403`) {
			t.Errorf("security event: %s", ev)
		}
	}
	r = sluice(t, p.dir, "events", "--summary")
	if r.code != 0 || !strings.Contains(r.stdout, "production") || !strings.Contains(r.stdout, "staging") {
		t.Errorf("sluice events --summary (%d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Staging has had 4 attacks and the loop below; the limit is 20 a
	// minute: the requests up to 20 pass, the 21st is refused.
	time.Sleep(10 * time.Millisecond)
	passed := 4
	for passed < 20 {
		if code := get(stag, "/books"); code != http.StatusOK {
			t.Fatalf("request %d of 20 refused: %d", passed+1, code)
		}
		passed++
	}
	if code := get(stag, "/books"); code != http.StatusTooManyRequests {
		t.Errorf("request 21 of a 20-a-minute limit: %d, want 429", code)
	}
}
