package analysis

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

var testBounds = []float64{0.1, 0.25, 0.5, 1}

func TestFromStatsDifference(t *testing.T) {
	prev := &route.ReleaseStats{
		Requests: 36,
		Status:   map[string]int64{"2xx": 30, "5xx": 5, "error": 1},
		Latency:  route.Histogram{Bounds: testBounds, Counts: []int64{10, 20, 30, 36}, Count: 36, Sum: 9},
		Recent:   []float64{0.05, 0.2},
	}
	cur := &route.ReleaseStats{
		Requests: 146,
		Status:   map[string]int64{"2xx": 130, "4xx": 5, "5xx": 9, "error": 2},
		// Interval: 0 in (0,0.1], 40 in (0.1,0.25], 50 in (0.25,0.5],
		// 10 in (0.5,1], 10 above 1s: 110 observations.
		Latency: route.Histogram{Bounds: testBounds, Counts: []int64{10, 60, 120, 136}, Count: 146, Sum: 60},
		Recent:  []float64{0.05, 0.2, 0.3, 0.4, 0.45},
	}
	m := FromStats(prev, cur, 10*time.Second)

	if m.Requests != 110 || m.Errors != 5 {
		t.Fatalf("requests, errors = %d, %d; want 110, 5 (4 more 5xx, 1 more error)", m.Requests, m.Errors)
	}
	if !near(m.ErrorRate, 5.0/110, 1e-12) || !near(m.SuccessRate, 105.0/110, 1e-12) {
		t.Errorf("rates = %v, %v; want %v, %v", m.SuccessRate, m.ErrorRate, 105.0/110, 5.0/110)
	}
	if !near(m.RPS, 11, 1e-12) || m.Window != 10*time.Second {
		t.Errorf("rps, window = %v, %v; want 11, 10s", m.RPS, m.Window)
	}
	// Ranks: p50 55 → (0.25,0.5] holding 41…90: 0.25+0.25*15/50.
	// p90 99 → (0.5,1] holding 91…100: 0.5+0.5*9/10. p95 104.5 and p99
	// 108.9 fall above the last bound: the last bound, 1s.
	wantP := []time.Duration{325 * time.Millisecond, 950 * time.Millisecond, time.Second, time.Second}
	if got := []time.Duration{m.P50, m.P90, m.P95, m.P99}; !slices.Equal(got, wantP) {
		t.Errorf("p50..p99 = %v, want %v", got, wantP)
	}
	// 110 observations but only 5 recent samples kept: all 5 are taken.
	if !slices.Equal(m.Latencies, cur.Recent) {
		t.Errorf("latencies = %v, want all recent %v", m.Latencies, cur.Recent)
	}
}

func TestFromStatsFirstBucketAndRecentTail(t *testing.T) {
	prev := &route.ReleaseStats{
		Requests: 5, Status: map[string]int64{"2xx": 5},
		Latency: route.Histogram{Bounds: []float64{0.1, 0.2}, Counts: []int64{5, 5}, Count: 5},
		Recent:  []float64{0.01, 0.02, 0.03, 0.04, 0.05},
	}
	cur := &route.ReleaseStats{
		Requests: 8, Status: map[string]int64{"2xx": 8},
		Latency: route.Histogram{Bounds: []float64{0.1, 0.2}, Counts: []int64{6, 8}, Count: 8},
		Recent:  []float64{0.01, 0.02, 0.03, 0.04, 0.05, 0.09, 0.15, 0.18},
	}
	m := FromStats(prev, cur, 0)
	if m.RPS != 0 {
		t.Errorf("rps with a zero window = %v, want 0", m.RPS)
	}
	// Interval: 1 in (0,0.1], 2 in (0.1,0.2]. p50: rank 1.5 → 0.1+0.1*0.5/2.
	if m.P50 != 125*time.Millisecond {
		t.Errorf("p50 = %v, want 125ms", m.P50)
	}
	if want := []float64{0.09, 0.15, 0.18}; !slices.Equal(m.Latencies, want) {
		t.Errorf("latencies = %v, want the 3 newest %v", m.Latencies, want)
	}

	// Rank inside the first bucket interpolates from 0.
	m = FromStats(nil, &route.ReleaseStats{Requests: 8, Latency: route.Histogram{Bounds: []float64{0.1, 0.2}, Counts: []int64{4, 8}, Count: 8}}, time.Second)
	if m.P50 != 100*time.Millisecond || m.P90 != 180*time.Millisecond {
		t.Errorf("p50, p90 = %v, %v; want 100ms, 180ms", m.P50, m.P90)
	}
}

func TestFromStatsReset(t *testing.T) {
	prev := &route.ReleaseStats{
		Requests: 1000, Status: map[string]int64{"2xx": 990, "5xx": 10},
		Latency: route.Histogram{Bounds: testBounds, Counts: []int64{900, 990, 1000, 1000}, Count: 1000},
	}
	// The gateway restarted and has counted 20 requests since.
	cur := &route.ReleaseStats{
		Requests: 20, Status: map[string]int64{"2xx": 18, "5xx": 2},
		Latency: route.Histogram{Bounds: testBounds, Counts: []int64{20, 20, 20, 20}, Count: 20},
	}
	m := FromStats(prev, cur, 4*time.Second)
	if m.Requests != 20 || m.Errors != 2 || !near(m.ErrorRate, 0.1, 1e-12) {
		t.Errorf("after a reset: requests %d, errors %d, error rate %v; want 20, 2, 0.1", m.Requests, m.Errors, m.ErrorRate)
	}
	if m.P50 != 50*time.Millisecond {
		t.Errorf("after a reset: p50 = %v, want 50ms", m.P50)
	}

	// Only a status class going down is a reset too.
	cur2 := &route.ReleaseStats{Requests: 1001, Status: map[string]int64{"2xx": 1000, "5xx": 1}}
	if m := FromStats(prev, cur2, time.Second); m.Requests != 1001 || m.Errors != 1 {
		t.Errorf("5xx went down: requests %d, errors %d; want cur as since-restart 1001, 1", m.Requests, m.Errors)
	}
	// So are changed bucket bounds.
	cur3 := &route.ReleaseStats{Requests: 1010, Status: map[string]int64{"2xx": 1010},
		Latency: route.Histogram{Bounds: []float64{0.5, 1}, Counts: []int64{1010, 1010}, Count: 1010}}
	if m := FromStats(prev, cur3, time.Second); m.Requests != 1010 {
		t.Errorf("bounds changed: requests %d, want 1010", m.Requests)
	}
}

func TestFromStatsNoData(t *testing.T) {
	s := &route.ReleaseStats{Requests: 7, Status: map[string]int64{"5xx": 7},
		Latency: route.Histogram{Bounds: testBounds, Counts: []int64{7, 7, 7, 7}, Count: 7}}
	for name, m := range map[string]Metrics{
		"same snapshot": FromStats(s, s, time.Minute),
		"nil current":   FromStats(s, nil, time.Minute),
	} {
		if !m.NoData() || m.Requests != 0 || m.SuccessRate != 0 || m.ErrorRate != 0 || m.RPS != 0 || m.P99 != 0 {
			t.Errorf("%s: %+v, want zero metrics with no data", name, m)
		}
		if math.IsNaN(m.SuccessRate) || math.IsNaN(m.ErrorRate) {
			t.Errorf("%s: NaN rate", name)
		}
	}
}

func TestFromStatsSamplesWithoutHistogram(t *testing.T) {
	cur := &route.ReleaseStats{Requests: 5, Latency: route.Histogram{Count: 5},
		Recent: []float64{0.5, 0.1, 0.3, 0.2, 0.4}}
	m := FromStats(nil, cur, time.Second)
	// Sorted 0.1 … 0.5: p50 is the middle, p90 at position 3.6.
	if m.P50 != 300*time.Millisecond || m.P90 != 460*time.Millisecond {
		t.Errorf("p50, p90 from samples = %v, %v; want 300ms, 460ms", m.P50, m.P90)
	}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
