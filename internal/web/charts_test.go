package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery"
	gwroute "github.com/sluice-ci/sluice/internal/delivery/route"
	"github.com/sluice-ci/sluice/internal/gateway"
)

// TestBuildCharts lays out charts from a made-up traffic answer: the time
// axis, the scales and their labels, lines broken at long gaps, lone
// intervals as dots, the rollout's steps, and the numbers as text.
func TestBuildCharts(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 10, 3, 0, time.UTC) // in the interval 12:10:00-12:10:10
	at := func(min, sec int) time.Time { return time.Date(2025, 3, 1, 12, min, sec, 0, time.UTC) }
	tr := &apiTraffic{Time: &now,
		Rollout: &apiRollout{Changes: []apiWeightChange{{Time: at(5, 0), Weight: 20}, {Time: at(8, 20), Weight: 50}, {Time: at(1, 0).Add(-10 * time.Minute), Weight: 5}}},
		Releases: []apiRelTraffic{
			{ID: "r2", Version: "v2", Role: "stable", Series: &apiSeries{Interval: 10,
				Times:     []time.Time{at(4, 0), at(4, 10), at(4, 20), at(9, 0), at(9, 10)},
				Requests:  []int64{10, 10, 10, 5, 5},
				ErrorRate: []float64{0, 0, 0.1, 0, 0},
				P50:       []float64{2, 2, 2, 2, 2},
				P99:       []float64{10, 12, 30, 8, 9}}},
			{ID: "r3", Version: "v3", Role: "candidate", Series: &apiSeries{Interval: 10,
				Times: []time.Time{at(10, 0)}, Requests: []int64{4}, ErrorRate: []float64{0.25}, P50: []float64{3}, P99: []float64{70}}},
			{ID: "r1", Version: "v1", Role: "previous", Series: &apiSeries{Interval: 10}}, // no traffic: no line
		},
		Former: []apiRelTraffic{{ID: "r0", Version: "v0", Role: "former", Series: &apiSeries{Interval: 10,
			Times: []time.Time{at(0, 0)}, Requests: []int64{1}, ErrorRate: []float64{1}, P50: []float64{1}, P99: []float64{1}}}},
	}
	cv := buildCharts("/ui/api/environments/production/charts", tr)
	if len(cv.Charts) != 2 || cv.Down || cv.Span != "11 minutes" || cv.Interval != 10 {
		t.Fatalf("charts %+v", cv)
	}
	sc, lc := cv.Charts[0], cv.Charts[1]
	labels := func(ticks []chartTick) string {
		var out []string
		for _, tk := range ticks {
			out = append(out, fmt.Sprintf("%s@%v", tk.Label, tk.Pos))
		}
		return strings.Join(out, " ")
	}
	// 12:10:10 back to 11:59:10 over x 50..386; a label every 2 minutes.
	if got, want := labels(sc.XTicks), "−10m@80.5 −8m@141.6 −6m@202.7 −4m@263.8 −2m@324.9 now@386"; got != want {
		t.Errorf("time axis %s, want %s", got, want)
	}
	// The lowest success rate is 0% (the former release): the scale
	// starts at 0. p99 goes up to 70 ms: ticks of 20 up to 80.
	if got, want := labels(sc.YTicks), "0@194 50@106 100@18"; got != want {
		t.Errorf("success axis %s, want %s", got, want)
	}
	if got, want := labels(lc.YTicks), "0@194 20@150 40@106 60@62 80@18"; got != want {
		t.Errorf("latency axis %s, want %s", got, want)
	}
	// The steps within the window; the one at 11:51 is before it.
	if len(sc.Steps) != 2 || sc.Steps[0].Label != "20%" || sc.Steps[1].Label != "50%" || sc.Steps[0].X != 228.2 || sc.Steps[1].X != 330 {
		t.Errorf("steps %+v", sc.Steps)
	}
	// The stable release: two runs (12:04:00-12:04:20, 12:09:00-12:09:10,
	// more than a minute apart), drawn at each interval's middle, and a
	// dot on its latest value.
	var stable, cand, former chartLine
	for _, l := range lc.Lines {
		switch l.ID {
		case "r2":
			stable = l
		case "r3":
			cand = l
		case "r0":
			former = l
		}
	}
	if len(lc.Lines) != 3 {
		t.Errorf("%d lines, want 3 (no line for the release without traffic)", len(lc.Lines))
	}
	if got, want := fmt.Sprint(stable.Segments), "[200.2,172 205.3,167.6 210.4,128 352.9,176.4 358,174.2]"; got != want {
		t.Errorf("stable p99 line %s, want %s", got, want)
	}
	if len(stable.Segments) != 2 || len(stable.Dots) != 1 || stable.Dots[0] != (chartPoint{358, 174.2}) || stable.RoleClass != "stable" {
		t.Errorf("stable line %+v", stable)
	}
	if len(cand.Segments) != 0 || len(cand.Dots) != 1 || cand.Dots[0] != (chartPoint{383.5, 40}) {
		t.Errorf("candidate line %+v: want one dot at its only interval", cand)
	}
	if former.RoleClass != "former" || len(former.Dots) != 1 || former.Dots[0] != (chartPoint{78, 191.8}) {
		t.Errorf("former line %+v", former)
	}
	// The same numbers as text.
	rows := map[string]chartRow{}
	for _, r := range cv.Rows {
		rows[r.ID] = r
	}
	if r := rows["r2"]; r.Requests != 40 || r.Success != "97.5%" || r.LastSuccess != "100.0%" || r.LastP99 != "9.0 ms" || r.MaxP99 != "30 ms" || r.LastAgo != "53s ago" {
		t.Errorf("stable row %+v", r)
	}
	if r := rows["r3"]; r.Requests != 4 || r.Success != "75.0%" || r.LastP99 != "70 ms" {
		t.Errorf("candidate row %+v", r)
	}
	if !strings.Contains(sc.Desc, "v2 (stable) 100.0%; v3 (candidate) 75.0%; v0 (former) 0.0%.") || !strings.Contains(lc.Desc, "v3 (candidate) 70 ms") ||
		!strings.Contains(sc.Desc, "over the last 11 minutes") {
		t.Errorf("descriptions:\n%s\n%s", sc.Desc, lc.Desc)
	}

	// High success rates get a scale that shows their differences.
	tr.Former = nil
	if got := labels(buildCharts("", tr).Charts[0].YTicks); !strings.HasPrefix(got, "50@194 75@106 100@18") {
		t.Errorf("success axis without the former release: %s", got)
	}
	tr.Releases = tr.Releases[:1]
	if got := labels(buildCharts("", tr).Charts[0].YTicks); !strings.HasPrefix(got, "90@194 95@106 100@18") {
		t.Errorf("success axis of the stable release: %s", got)
	}
	// Nothing to draw.
	// Steps seconds apart keep their lines; only the newest of a crowd
	// keeps its label.
	tr.Rollout.Changes = []apiWeightChange{{Time: at(9, 0), Weight: 10}, {Time: at(9, 5), Weight: 25}, {Time: at(9, 10), Weight: 50}}
	steps := buildCharts("", tr).Charts[0].Steps
	if len(steps) != 3 || steps[0].Label != "" || steps[1].Label != "" || steps[2].Label != "50%" {
		t.Errorf("crowded steps %+v; want three lines, the label of 50%% only", steps)
	}
	if cv := buildCharts("", &apiTraffic{Time: &now}); len(cv.Charts) != 0 || cv.Down {
		t.Errorf("no traffic: %+v", cv)
	}
	if cv := buildCharts("", &apiTraffic{}); !cv.Down {
		t.Errorf("gateway down: %+v", cv)
	}
}

// serveGateway runs a real gateway on the fixture's gateway folder for
// the rollout seedRollout stored: production's stable release (rel-p2)
// and canary (rel-p3) on real backends, the canary answering 500 on
// /fail, a request pinned to a release by the X-Release header. It
// returns the environment's address.
func (fx *fixture) serveGateway() string {
	t := fx.t
	backend := func(name string) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/fail" {
				http.Error(w, "broken", http.StatusInternalServerError)
				return
			}
			io.WriteString(w, name)
		}))
		t.Cleanup(s.Close)
		return s.Listener.Addr().String()
	}
	dir := delivery.GatewayDir(fx.data)
	fx.must(gwroute.Save(dir, &gwroute.Table{Generation: 4, Environments: map[string]*gwroute.Environment{
		"production": {Listen: "127.0.0.1:0", Header: "X-Release", Releases: []gwroute.Release{
			{ID: "rel-p2", Version: "v2.0.0", Role: gwroute.RoleStable, Weight: 80, Backends: []string{backend("v2.0.0")}},
			{ID: "rel-p3", Version: "v2.1.0", Role: gwroute.RoleCandidate, Weight: 20, Backends: []string{backend("v2.1.0")}},
		}}}}))
	g, err := gateway.New(gateway.Options{Dir: dir, PollInterval: 10 * time.Millisecond, Grace: time.Second, EventLog: "off",
		Logger: slog.New(slog.DiscardHandler)})
	fx.must(err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return g.ListenAddr("production")
}

// TestEnvironmentCharts sends requests through a real gateway and reads
// the environment page: the charts show the releases' real numbers, in
// the SVG's description and in the table, with nothing inline the CSP
// forbids; the fragment the script swaps in is the same.
func TestEnvironmentCharts(t *testing.T) {
	fx := newFixture(t)
	fx.seedRollout()
	addr := fx.serveGateway()
	c := &http.Client{Transport: &http.Transport{Proxy: nil}}
	send := func(release, path string, want int) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.Header.Set("X-Release", release)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("%s%s: %d, want %d", release, path, res.StatusCode, want)
		}
	}
	for range 6 {
		send("rel-p2", "/", 200)
	}
	for range 3 {
		send("rel-p3", "/", 200)
	}
	send("rel-p3", "/fail", 500)

	b := fx.browser()
	b.mustLogin(fx.key("admin", "admin"))
	p := b.get("/environments/production")
	wantStatus(t, "environment page", p, http.StatusOK)
	row := func(id, version, role string, requests int, success string) string {
		return fmt.Sprintf("<tr data-release=%q>\n      <th scope=\"row\">%s</th>\n      <td>%s</td>\n      <td>%d</td>\n      <td>%s</td>",
			id, version, role, requests, success)
	}
	wantContains(t, "the environment page", p.body,
		`data-testid="gateway-state" aria-live="polite">up</span>`,
		`id="charts" class="charts" data-testid="charts" data-url="/ui/api/environments/production/charts"`,
		`data-testid="chart-success" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 220" role="img" aria-labelledby="chart-success-t chart-success-d"`,
		`<title id="chart-success-t">Success rate (%)</title>`, `<title id="chart-p99-t">p99 latency (ms)</title>`,
		"v2.0.0 (stable) 100.0%", // the stable release's latest interval, in the description
		`<g class="series" data-release="rel-p3">`, `class="dot dot-candidate"`, `class="dot dot-stable"`,
		`>now</text>`, `>100</text>`,
		// Over the window: 6 requests to stable, 4 to the canary, one failed.
		row("rel-p2", "v2.0.0", "stable", 6, "100.0%"), row("rel-p3", "v2.1.0", "candidate", 4, "75.0%"),
	)
	if strings.Contains(p.body, `data-testid="no-charts"`) {
		t.Error("the page says there is nothing to chart")
	}
	for _, bad := range inlineCode(p.body) {
		t.Errorf("environment page with charts: %s", bad)
	}

	// The fragment the script swaps in while a rollout goes on.
	f := b.get("/ui/api/environments/production/charts")
	wantStatus(t, "the charts fragment", f, http.StatusOK)
	if !strings.HasPrefix(f.header.Get("Content-Type"), "text/html") || !strings.HasPrefix(f.header.Get("Content-Security-Policy"), "default-src 'none'") ||
		!strings.HasPrefix(strings.TrimSpace(f.body), `<div id="charts"`) || strings.Contains(f.body, "<html") {
		t.Errorf("charts fragment: %v\n%s", f.header, f.body)
	}
	wantContains(t, "the charts fragment", f.body, `data-testid="chart-p99"`, row("rel-p3", "v2.1.0", "candidate", 4, "75.0%"))
	for _, bad := range inlineCode(f.body) {
		t.Errorf("charts fragment: %s", bad)
	}
	if anon := fx.browser().get("/ui/api/environments/production/charts"); anon.status != http.StatusUnauthorized {
		t.Errorf("charts without a session: %d, want 401", anon.status)
	}
	wantStatus(t, "charts of a bad name", b.get("/ui/api/environments/..%2fx/charts"), http.StatusNotFound)
}
