package gateway

import (
	"sync"
	"sync/atomic"
	"time"
)

// The time series of a release's traffic: the requests that finished in
// each SeriesInterval of the last SeriesWindow, with their errors and a
// latency histogram, for charts of a rollout as it goes. The cumulative
// counters (stats.go) remain what analysis judges.
const (
	// SeriesInterval is the width of one interval of the time series.
	SeriesInterval = 10 * time.Second
	// SeriesWindow is how far back the time series goes.
	SeriesWindow = time.Hour
	seriesLen    = int64(SeriesWindow / SeriesInterval)
)

// seriesBucket counts the requests that finished in one interval. The
// counts are 32 bits wide: an interval would need over 400 million
// requests a second to overflow them. A bucket is 80 bytes, so a release's
// ring of 360 is 28,800 bytes, allocated with its counters.
type seriesBucket struct {
	// epoch is the interval counted here (Unix time / SeriesInterval); 0
	// when never used, -1 while being reset for a new interval.
	epoch   atomic.Int64
	errors  atomic.Uint32             // 5xx answers and the gateway's own 502s
	latency [numLatency]atomic.Uint32 // by latencyBounds, not cumulative; their sum is the requests
}

// series is a ring of buckets, one per interval of the last hour. The
// request path adds to the bucket of its interval with atomics; the first
// request of a new interval resets the bucket an hour old under mu, so mu
// is taken once per interval, not per request.
type series struct {
	mu      sync.Mutex
	buckets [seriesLen]seriesBucket
}

// intervalOf is the number of the interval t falls in.
func intervalOf(t time.Time) int64 { return t.UnixNano() / int64(SeriesInterval) }

// observe counts a request that finished at end, in latency bucket lat.
// Edge refusals never get here: they are no release's errors.
func (s *series) observe(end time.Time, lat int, failed bool) {
	k := intervalOf(end)
	if k <= 0 {
		return
	}
	b := &s.buckets[k%seriesLen]
	if b.epoch.Load() != k && !s.rotate(b, k) {
		return
	}
	b.latency[lat].Add(1)
	if failed {
		b.errors.Add(1)
	}
}

// rotate makes b count interval k, emptying it when it held an older one.
// It reports false when b already holds a later interval (the wall clock
// went back by an hour or more): the request is then not counted.
func (s *series) rotate(b *seriesBucket, k int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e := b.epoch.Load(); {
	case e == k:
		return true // another request rotated it first
	case e > k:
		return false
	}
	// Readers that see -1, or see the epoch change while they read,
	// drop the bucket: they never report half-reset counts.
	b.epoch.Store(-1)
	b.errors.Store(0)
	for i := range b.latency {
		b.latency[i].Store(0)
	}
	b.epoch.Store(k)
	return true
}

// SeriesPoint is one interval of a release's time series.
type SeriesPoint struct {
	// Time is when the interval starts; it lasts SeriesInterval.
	Time time.Time `json:"time"`
	// Requests counts the answers sent in the interval (as "requests" of
	// the stats), Errors those that were 5xx or the gateway's own 502.
	Requests int64 `json:"requests"`
	Errors   int64 `json:"errors"`
	// Latency counts the requests per bucket of Series.Bounds (not
	// cumulative); the last count is of those above the last bound.
	Latency []int64 `json:"latency"`
}

// points returns the intervals of the last SeriesWindow up to the one now
// falls in that counted a request, oldest first.
func (s *series) points(now time.Time) []SeriesPoint {
	var out []SeriesPoint
	cur := intervalOf(now)
	for k := max(cur-seriesLen+1, 1); k <= cur; k++ {
		b := &s.buckets[k%seriesLen]
		if b.epoch.Load() != k {
			continue
		}
		p := SeriesPoint{Time: time.Unix(0, k*int64(SeriesInterval)).UTC(), Latency: make([]int64, numLatency)}
		for i := range b.latency {
			p.Latency[i] = int64(b.latency[i].Load())
			p.Requests += p.Latency[i]
		}
		// A request adds its latency before its error: clamp, so that a
		// read between the two never shows more errors than requests.
		p.Errors = min(int64(b.errors.Load()), p.Requests)
		if b.epoch.Load() != k || p.Requests == 0 {
			continue // reset while read, or empty
		}
		out = append(out, p)
	}
	return out
}

// Series is the answer of GET /v1/series: per environment and release,
// the time series of the last SeriesWindow. Releases without a request in
// the window are left out; so are intervals without a request.
type Series struct {
	Started time.Time `json:"started"`
	Time    time.Time `json:"time"`
	// Interval is SeriesInterval in seconds.
	Interval float64 `json:"interval_seconds"`
	// Bounds are the latency buckets' upper bounds in seconds, as in the
	// stats' histograms.
	Bounds       []float64                            `json:"bounds"`
	Environments map[string]map[string]*ReleaseSeries `json:"environments"`
}

// ReleaseSeries is one release's time series.
type ReleaseSeries struct {
	// Version is the latest version the routing table gave the release.
	Version string        `json:"version,omitempty"`
	Points  []SeriesPoint `json:"points"`
}

// Series returns the time series of the environment env (of every
// environment when env is ""), up to the interval now falls in.
func (g *Gateway) Series(env string, now time.Time) *Series {
	s := &Series{
		Started:      g.started,
		Time:         now.UTC(),
		Interval:     SeriesInterval.Seconds(),
		Bounds:       append([]float64(nil), latencyBounds...),
		Environments: map[string]map[string]*ReleaseSeries{},
	}
	for _, c := range g.counters.all() {
		if env != "" && c.env != env {
			continue
		}
		pts := c.series.points(now)
		if len(pts) == 0 {
			continue
		}
		if s.Environments[c.env] == nil {
			s.Environments[c.env] = map[string]*ReleaseSeries{}
		}
		s.Environments[c.env][c.id] = &ReleaseSeries{Version: c.versionOf(), Points: pts}
	}
	return s
}
