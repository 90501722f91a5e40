package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// statsServer serves crafted gateway stats over loopback HTTP, as the
// gateway's stats endpoint does; set changes what it serves next.
type statsServer struct {
	mu    sync.Mutex
	stats *route.Stats
	fail  bool
	srv   *httptest.Server
}

func newStatsServer(t *testing.T) *statsServer {
	s := &statsServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.fail {
			http.Error(w, "gateway busy", http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(s.stats)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *statsServer) set(started, at time.Time, rel *route.ReleaseStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = &route.Stats{Started: started, Time: at, Environments: map[string]*route.EnvironmentStats{
		"prod": {Releases: map[string]*route.ReleaseStats{"r1": rel}},
	}}
}

// fetch is the StatsFetcher the lead's gateway client stands for: GET the
// stats and decode them.
func (s *statsServer) fetch(ctx context.Context) (*route.Stats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.srv.URL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("stats: HTTP %d", resp.StatusCode)
	}
	var st route.Stats
	return &st, json.NewDecoder(resp.Body).Decode(&st)
}

// rel makes counters: ok 2xx and bad 5xx responses, all within 0.1s.
func rel(ok, bad int64) *route.ReleaseStats {
	n := ok + bad
	return &route.ReleaseStats{
		Requests: n,
		Status:   map[string]int64{"2xx": ok, "5xx": bad},
		Latency:  route.Histogram{Bounds: []float64{0.1, 1}, Counts: []int64{n, n}, Count: n},
	}
}

func TestGatewayWindows(t *testing.T) {
	ctx := context.Background()
	s := newStatsServer(t)
	g := NewGateway(s.fetch)
	q := Query{Env: "prod", Release: "r1"}
	started := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	t0 := started.Add(time.Hour)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

	if _, err := g.Measure(ctx, q); !errors.Is(err, ErrNoBaseline) {
		t.Fatalf("Measure before Begin: err = %v, want ErrNoBaseline", err)
	}

	s.set(started, at(0), rel(100, 0))
	if err := g.Begin(ctx, q); err != nil {
		t.Fatal(err)
	}
	// A canary step: everything since Begin.
	s.set(started, at(10), rel(190, 10))
	m, err := g.Measure(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests != 100 || m.Errors != 10 || m.Window != 10*time.Second || !near(m.RPS, 10, 1e-12) {
		t.Fatalf("step: requests %d errors %d window %v rps %v; want 100, 10, 10s, 10", m.Requests, m.Errors, m.Window, m.RPS)
	}

	// A sliding window: Since at the previous Measure's snapshot (10s).
	s.set(started, at(20), rel(240, 10))
	m, err = g.Measure(ctx, Query{Env: "prod", Release: "r1", Since: at(10)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests != 50 || m.Errors != 0 || m.Window != 10*time.Second {
		t.Fatalf("since 10s: requests %d errors %d window %v; want 50, 0, 10s", m.Requests, m.Errors, m.Window)
	}
	// Since before every kept snapshot: from the oldest kept, which is
	// the 10s one (the baseline at 0s was pruned by the last Measure).
	s.set(started, at(30), rel(300, 20))
	m, err = g.Measure(ctx, Query{Env: "prod", Release: "r1", Since: at(-100)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests != 120 || m.Errors != 10 || m.Window != 20*time.Second {
		t.Fatalf("since long ago: requests %d errors %d window %v; want 120, 10, 20s", m.Requests, m.Errors, m.Window)
	}

	// The gateway restarts at 35s and has counted 7 requests by 40s.
	s.set(at(35), at(40), rel(6, 1))
	m, err = g.Measure(ctx, Query{Env: "prod", Release: "r1", Since: at(30)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests != 7 || m.Errors != 1 || m.Window != 5*time.Second {
		t.Fatalf("after restart: requests %d errors %d window %v; want 7, 1, 5s", m.Requests, m.Errors, m.Window)
	}

	// Counters going down without a new start time are a restart too.
	s.set(at(35), at(45), rel(3, 0))
	m, err = g.Measure(ctx, Query{Env: "prod", Release: "r1", Since: at(40)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests != 3 || m.Errors != 0 {
		t.Fatalf("counters went down: requests %d errors %d; want 3, 0", m.Requests, m.Errors)
	}

	// A release the gateway has not counted: no data, not an error.
	other := Query{Env: "prod", Release: "r2"}
	if err := g.Begin(ctx, other); err != nil {
		t.Fatal(err)
	}
	if m, err := g.Measure(ctx, other); err != nil || !m.NoData() {
		t.Fatalf("uncounted release: %+v, %v; want no data", m, err)
	}

	// Fetch failures are errors naming the release; End forgets.
	s.mu.Lock()
	s.fail = true
	s.mu.Unlock()
	if _, err := g.Measure(ctx, q); err == nil || !strings.Contains(err.Error(), "release r1 in prod") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("fetch failure: err = %v", err)
	}
	g.End(q)
	s.mu.Lock()
	s.fail = false
	s.mu.Unlock()
	if _, err := g.Measure(ctx, q); !errors.Is(err, ErrNoBaseline) {
		t.Fatalf("Measure after End: err = %v, want ErrNoBaseline", err)
	}
}

func TestGatewayEvaluate(t *testing.T) {
	ctx := context.Background()
	s := newStatsServer(t)
	g := NewGateway(s.fetch)
	q := Query{Env: "prod", Release: "r1"}
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s.set(start, start.Add(time.Minute), rel(0, 0))
	if err := g.Begin(ctx, q); err != nil {
		t.Fatal(err)
	}
	conds, err := ParseConditions(map[string]string{"success_rate": ">= 99%", "min_requests": "100"})
	if err != nil {
		t.Fatal(err)
	}
	judge := func(m Metrics) Result { return Judge(m, conds, 0) }
	s.set(start, start.Add(2*time.Minute), rel(150, 5))
	r := Evaluate(ctx, g, q, judge)
	if r.Outcome != Failed || len(r.Reasons) != 1 || !strings.Contains(r.Reasons[0], "success_rate >= 99% failed: measured 96.77%") {
		t.Fatalf("evaluate: %+v", r)
	}
	s.mu.Lock()
	s.fail = true
	s.mu.Unlock()
	if r := Evaluate(ctx, g, q, judge); r.Outcome != Error || !strings.HasPrefix(r.Reasons[0], "gateway: ") {
		t.Fatalf("evaluate with the gateway down: %+v, want an Error naming the gateway", r)
	}
}
