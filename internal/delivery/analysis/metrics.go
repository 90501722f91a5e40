package analysis

import (
	"math"
	"slices"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// Metrics is one measurement of a release's traffic over a window.
//
// When Requests is 0 there is no data: SuccessRate, ErrorRate, RPS and the
// percentiles are 0 (never NaN) and NoData reports true; Judge treats such
// a measurement as Inconclusive.
type Metrics struct {
	// Requests is the number of requests the release answered in the
	// window (requests the gateway itself refused are not counted).
	Requests int64
	// Errors counts the 5xx responses and the requests the gateway could
	// not get any answer for (status class "error").
	Errors int64
	// SuccessRate is (Requests-Errors)/Requests and ErrorRate is
	// Errors/Requests, both in 0..1.
	SuccessRate float64
	ErrorRate   float64
	// P50 … P99 are latency percentiles. From a histogram they are
	// interpolated linearly within the bucket holding the rank, as
	// Prometheus' histogram_quantile does.
	P50, P90, P95, P99 time.Duration
	// RPS is Requests divided by Window in seconds (0 when Window is 0).
	RPS float64
	// Window is the span the measurement covers.
	Window time.Duration
	// Latencies are response times in seconds observed in the window, as
	// far as the source keeps them (the gateway keeps the last 1,000 per
	// release); nil when the source has none (Prometheus).
	Latencies []float64
}

// NoData reports whether the measurement saw no requests at all.
func (m Metrics) NoData() bool { return m.Requests <= 0 }

// FromStats measures the interval between two cumulative snapshots of a
// release's counters: cur minus prev, over window.
//
// prev may be nil: cur then counts from the gateway's start. When any
// counter of cur is below prev's, or the histogram's bucket bounds
// changed, the gateway restarted in between and cur is taken as counting
// since that restart (prev is ignored), so no count is ever negative.
// (Callers that know the start time changed should pass a nil prev.)
// A nil cur is a release without traffic: zero Metrics over window.
//
// Latencies are the newest entries of cur.Recent, as many as the histogram
// counted in the interval (at most those cur.Recent still holds). When the
// histogram counted nothing but the interval has samples, the percentiles
// come from the samples instead.
func FromStats(prev, cur *route.ReleaseStats, window time.Duration) Metrics {
	m := Metrics{Window: window}
	if cur == nil {
		return m
	}
	if prev == nil || counterReset(prev, cur) {
		prev = &route.ReleaseStats{}
	}
	m.Requests = max(cur.Requests-prev.Requests, 0)
	errs := delta(prev.Status, cur.Status, "5xx") + delta(prev.Status, cur.Status, "error")
	m.Errors = min(errs, m.Requests)
	if m.Requests > 0 {
		m.ErrorRate = float64(m.Errors) / float64(m.Requests)
		m.SuccessRate = 1 - m.ErrorRate
		if window > 0 {
			m.RPS = float64(m.Requests) / window.Seconds()
		}
	}

	observed := max(cur.Latency.Count-prev.Latency.Count, 0)
	if n := min(int64(len(cur.Recent)), observed); n > 0 {
		m.Latencies = slices.Clone(cur.Recent[int64(len(cur.Recent))-n:])
	}
	if observed > 0 && len(cur.Latency.Bounds) > 0 {
		counts := make([]int64, len(cur.Latency.Counts))
		for i := range counts {
			counts[i] = cur.Latency.Counts[i]
			if i < len(prev.Latency.Counts) {
				counts[i] -= prev.Latency.Counts[i]
			}
		}
		h := bucketHist{bounds: cur.Latency.Bounds, counts: counts, total: observed}
		m.P50, m.P90, m.P95, m.P99 = h.quantile(0.50), h.quantile(0.90), h.quantile(0.95), h.quantile(0.99)
	} else if len(m.Latencies) > 0 {
		sorted := slices.Clone(m.Latencies)
		slices.Sort(sorted)
		m.P50, m.P90, m.P95, m.P99 = sampleQuantile(sorted, 0.50), sampleQuantile(sorted, 0.90), sampleQuantile(sorted, 0.95), sampleQuantile(sorted, 0.99)
	}
	return m
}

// counterReset reports whether cur cannot follow prev: a counter went
// down or the histogram's buckets changed.
func counterReset(prev, cur *route.ReleaseStats) bool {
	if cur.Requests < prev.Requests || cur.Latency.Count < prev.Latency.Count {
		return true
	}
	for class, n := range prev.Status {
		if cur.Status[class] < n {
			return true
		}
	}
	if len(prev.Latency.Bounds) > 0 && !slices.Equal(prev.Latency.Bounds, cur.Latency.Bounds) {
		return true
	}
	for i, n := range prev.Latency.Counts {
		if i < len(cur.Latency.Counts) && cur.Latency.Counts[i] < n {
			return true
		}
	}
	return false
}

func delta(prev, cur map[string]int64, class string) int64 {
	return max(cur[class]-prev[class], 0)
}

// bucketHist is a cumulative histogram of one interval: counts[i]
// observations were <= bounds[i]; total includes those above the last bound.
type bucketHist struct {
	bounds []float64
	counts []int64
	total  int64
}

// quantile interpolates linearly within the bucket that holds rank
// q*total. The first bucket starts at 0; a rank above the last bound
// yields the last bound (there is no upper edge to interpolate to), as
// Prometheus' histogram_quantile does.
func (h bucketHist) quantile(q float64) time.Duration {
	n := min(len(h.bounds), len(h.counts))
	if n == 0 || h.total <= 0 {
		return 0
	}
	rank := q * float64(h.total)
	var below int64
	lower := 0.0
	for i := range n {
		upper := h.bounds[i]
		c := h.counts[i]
		if float64(c) >= rank && c > below {
			v := lower + (upper-lower)*(rank-float64(below))/float64(c-below)
			return seconds(v)
		}
		if c > below {
			below = c
		}
		lower = upper
	}
	return seconds(h.bounds[n-1])
}

// sampleQuantile is the q-quantile of sorted samples with linear
// interpolation between closest ranks.
func sampleQuantile(sorted []float64, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return seconds(sorted[len(sorted)-1])
	}
	f := pos - float64(i)
	return seconds(sorted[i] + f*(sorted[i+1]-sorted[i]))
}

// seconds converts seconds to a Duration, mapping NaN and negatives to 0.
func seconds(s float64) time.Duration {
	if math.IsNaN(s) || s <= 0 {
		return 0
	}
	if s > math.MaxInt64/float64(time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Round(s * float64(time.Second)))
}
