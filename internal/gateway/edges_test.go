package gateway

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// TestEdgeMatchesAttributedToRelease sends attacks pinned to the canary
// and to the stable release through an enforcing WAF: each release's
// refused count, the metric's release label and the security event log
// name the release the request was routed to, and neither release counts
// a refused request as its own (an attack on the canary must not roll it
// back).
func TestEdgeMatchesAttributedToRelease(t *testing.T) {
	s, c1 := newBackend(t, "s"), newBackend(t, "c")
	dir := t.TempDir()
	tab := oneEnv(1, "127.0.0.1:0", rel("stable", route.RoleStable, 90, s), rel("cand", route.RoleCandidate, 10, c1))
	tab.Environments["prod"].Header = "X-Sluice-Version"
	tab.Environments["prod"].Edge = []byte(`{"waf":{"mode":"enforce"},"rate_limit":{"mode":"detect","limit":3,"window":"1m"}}`)
	if err := route.Save(dir, tab); err != nil {
		t.Fatal(err)
	}
	// The event log is written asynchronously; it is complete once the
	// gateway has stopped. Cleanups run last-registered first: this one,
	// registered before startGateway's, runs after the gateway stopped.
	t.Cleanup(func() {
		evs := readEventFile(t, filepath.Join(dir, EventLogFile))
		refused := map[string]int{}
		for _, ev := range evs {
			if ev.Env != "prod" || ev.RequestID == "" || ev.Method != "GET" {
				t.Errorf("event %+v", ev)
			}
			if ev.Layer == "waf" && ev.Enforced && ev.Status == http.StatusForbidden {
				refused[ev.Release]++
			}
		}
		if refused["cand"] != 3 || refused["stable"] != 1 || len(evs) != 6 {
			t.Errorf("security event log: %d events, refused by release %v", len(evs), refused)
		}
	})
	g := startGateway(t, dir)
	base := "http://" + g.ListenAddr("prod")
	c := newClient(t)
	attack := base + "/books?id=" + url.QueryEscape("1' OR '1'='1")
	for i := 0; i < 3; i++ {
		if r := get(t, c, attack, "X-Sluice-Version", "cand"); r.code != http.StatusForbidden {
			t.Fatalf("attack on the canary: %d, want 403", r.code)
		}
	}
	if r := get(t, c, attack, "X-Sluice-Version", "stable"); r.code != http.StatusForbidden {
		t.Fatalf("attack on stable: %d, want 403", r.code)
	}
	if r := get(t, c, base+"/books", "X-Sluice-Version", "cand"); r.code != http.StatusOK || r.release != "cand" {
		t.Fatalf("benign request to the canary: %d from %q", r.code, r.release)
	}

	st := g.Stats().Environments["prod"]
	cand, stable := st.Releases["cand"], st.Releases["stable"]
	if cand.Requests != 1 || cand.Excluded != 3 {
		t.Errorf("canary: %d requests, %d refused; want 1 and 3", cand.Requests, cand.Excluded)
	}
	if stable.Requests != 0 || stable.Excluded != 1 {
		t.Errorf("stable: %d requests, %d refused; want 0 and 1", stable.Requests, stable.Excluded)
	}
	// The rate limit only detects: its match (the 4th and 5th requests of
	// a 3-a-minute limit) is counted but refuses nothing.
	var waf, rate int64
	for k, n := range st.Blocked {
		switch {
		case strings.HasPrefix(k, "waf ") && strings.HasSuffix(k, " enforce"):
			waf += n
		case k == "rate rate:* detect":
			rate += n
		default:
			t.Errorf("unexpected match %q ×%d", k, n)
		}
	}
	if waf != 4 || rate != 2 {
		t.Errorf("matches: waf %d (want 4), rate %d (want 2): %v", waf, rate, st.Blocked)
	}

	_, token, _ := ReadAdmin(dir)
	code, text := adminGet(t, g, "/metrics", token)
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	byRelease := map[string]float64{}
	for _, m := range fams["sluice_gateway_edge_matches_total"].GetMetric() {
		l := labels(m.GetLabel())
		if l["layer"] == "waf" {
			byRelease[l["release"]] += m.GetCounter().GetValue()
		}
	}
	if byRelease["cand"] != 3 || byRelease["stable"] != 1 {
		t.Errorf("edge matches by release: %v", byRelease)
	}

}
