package server

import (
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/gateway"
)

// TestSeriesOf: each interval's error rate and latency quantiles come from
// its own histogram, interpolated within the bucket as analysis does.
func TestSeriesOf(t *testing.T) {
	bounds := []float64{0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	rs := &gateway.ReleaseSeries{Points: []gateway.SeriesPoint{
		// 98 requests in (2ms, 4ms], 2 in (32ms, 64ms]; 5 errors.
		{Time: t0, Requests: 100, Errors: 5, Latency: []int64{0, 0, 98, 0, 0, 0, 2, 0}},
		// One request slower than the last bound.
		{Time: t0.Add(30 * time.Second), Requests: 1, Latency: []int64{0, 0, 0, 0, 0, 0, 0, 1}},
	}}
	s := seriesOf(rs, bounds, 10)
	if s.Interval != 10 || len(s.Times) != 2 || !s.Times[1].Equal(t0.Add(30*time.Second)) || s.Requests[0] != 100 || s.Requests[1] != 1 {
		t.Fatalf("series %+v", s)
	}
	// p50: rank 50 of the 98 in (2ms, 4ms]: 2 + 2*50/98 ms. p99: rank 99,
	// the first of the 2 in (32ms, 64ms]: 32 + 32*1/2 ms.
	if s.ErrorRate[0] != 0.05 || s.P50[0] != 3.02 || s.P99[0] != 48 {
		t.Errorf("first interval: error rate %v, p50 %v ms, p99 %v ms; want 0.05, 3.02, 48", s.ErrorRate[0], s.P50[0], s.P99[0])
	}
	if s.ErrorRate[1] != 0 || s.P50[1] != 64 || s.P99[1] != 64 {
		t.Errorf("beyond the last bound: error rate %v, p50 %v, p99 %v; want 0, 64, 64", s.ErrorRate[1], s.P50[1], s.P99[1])
	}
	if empty := seriesOf(nil, bounds, 10); empty.Times == nil || len(empty.Times) != 0 {
		t.Errorf("a release without traffic: %+v", empty)
	}
}
