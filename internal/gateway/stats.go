package gateway

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
	"github.com/sluice-ci/sluice/internal/gateway/edge"
)

// numLatency is the number of latency histogram buckets: one per bound
// of latencyBounds and one above the last.
const numLatency = 17

// latencyBounds are the upper bounds, in seconds, of the latency histogram
// buckets: 1ms doubling up to about 33s. They are fixed so that histograms
// from different gateways and restarts can be compared and merged.
var latencyBounds = func() []float64 {
	b := make([]float64, numLatency-1)
	v := 0.001
	for i := range b {
		b[i] = v
		v *= 2
	}
	return b
}()

// recentSize is how many latencies each release keeps for comparison.
const recentSize = 1000

// Status class indexes in counters.status.
const (
	class1xx = iota
	class2xx
	class3xx
	class4xx
	class5xx
	classError // a 502 the gateway sent because no backend answered
	numClasses
)

// classNames are the status classes as they appear in route.ReleaseStats
// and in the class label of sluice_gateway_requests_total.
var classNames = [numClasses]string{"1xx", "2xx", "3xx", "4xx", "5xx", "error"}

// statusClass maps an HTTP status code to its class index.
func statusClass(code int) int {
	switch {
	case code < 200:
		return class1xx
	case code < 300:
		return class2xx
	case code < 400:
		return class3xx
	case code < 500:
		return class4xx
	default:
		return class5xx
	}
}

// counters are one release's traffic counters. Every field is an atomic so
// the request path never takes a lock; a snapshot reads them one by one
// and may be a few requests apart between fields, never torn.
type counters struct {
	env, id string
	version atomic.Pointer[string] // latest version seen in a table

	requests atomic.Int64
	inFlight atomic.Int64
	aborted  atomic.Int64 // client went away before an answer; not counted in requests
	status   [numClasses]atomic.Int64

	buckets  [numLatency]atomic.Int64 // not cumulative
	sumNanos atomic.Int64

	recentPos atomic.Uint64
	recent    [recentSize]atomic.Uint64 // float64 bits; 0 = never written

	series series // the last hour, interval by interval
}

// observe records one request that took d and finished at end.
func (c *counters) observe(class int, d time.Duration, end time.Time) {
	secs := d.Seconds()
	i := sort.SearchFloat64s(latencyBounds, secs) // first bound >= secs
	c.buckets[i].Add(1)
	c.series.observe(end, i, class == class5xx || class == classError)
	c.sumNanos.Add(int64(d))
	if secs <= 0 {
		secs = math.SmallestNonzeroFloat64 // keep 0 meaning "empty slot"
	}
	slot := (c.recentPos.Add(1) - 1) % recentSize
	c.recent[slot].Store(math.Float64bits(secs))
	c.status[class].Add(1)
	c.requests.Add(1)
}

// histogram returns the cumulative latency histogram.
func (c *counters) histogram() route.Histogram {
	h := route.Histogram{
		Bounds: append([]float64(nil), latencyBounds...),
		Counts: make([]int64, len(latencyBounds)),
	}
	var cum int64
	for i := range latencyBounds {
		cum += c.buckets[i].Load()
		h.Counts[i] = cum
	}
	h.Count = cum + c.buckets[len(latencyBounds)].Load()
	h.Sum = time.Duration(c.sumNanos.Load()).Seconds()
	return h
}

// recentLatencies returns up to the last recentSize latencies, oldest first.
func (c *counters) recentLatencies() []float64 {
	n := c.recentPos.Load()
	count := min(n, recentSize)
	out := make([]float64, 0, count)
	for i := n - count; i < n; i++ {
		if bits := c.recent[i%recentSize].Load(); bits != 0 {
			out = append(out, math.Float64frombits(bits))
		}
	}
	return out
}

// snapshot returns the counters as route.ReleaseStats.
func (c *counters) snapshot() *route.ReleaseStats {
	s := &route.ReleaseStats{
		Requests: c.requests.Load(),
		Status:   make(map[string]int64, numClasses),
		InFlight: c.inFlight.Load(),
		Latency:  c.histogram(),
		Recent:   c.recentLatencies(),
	}
	for i, name := range classNames {
		s.Status[name] = c.status[i].Load()
	}
	return s
}

// counterKey identifies a release's counters.
type counterKey struct{ env, id string }

// registry holds the counters of every release the gateway has routed to
// since it started; entries are never removed, so the counters of a release
// that left the table stay readable until the process exits. The mutex is
// taken when a table is compiled and when stats are read, never per request.
type registry struct {
	mu   sync.Mutex
	byID map[counterKey]*counters
}

// get returns the counters of a release, creating them on first sight.
func (r *registry) get(env, id, version string) *counters {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = map[counterKey]*counters{}
	}
	k := counterKey{env, id}
	c := r.byID[k]
	if c == nil {
		c = &counters{env: env, id: id}
		r.byID[k] = c
	}
	if old := c.version.Load(); old == nil || *old != version {
		c.version.Store(&version)
	}
	return c
}

// all returns every release's counters, sorted by environment and id.
func (r *registry) all() []*counters {
	r.mu.Lock()
	out := make([]*counters, 0, len(r.byID))
	for _, c := range r.byID {
		out = append(out, c)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].env != out[j].env {
			return out[i].env < out[j].env
		}
		return out[i].id < out[j].id
	})
	return out
}

// versionOf returns the latest version seen for the counters' release.
func (c *counters) versionOf() string {
	if v := c.version.Load(); v != nil {
		return *v
	}
	return ""
}

// Stats returns what the gateway has counted since it started.
func (g *Gateway) Stats() *route.Stats {
	s := &route.Stats{
		Started:      g.started,
		Time:         time.Now().UTC(),
		Generation:   g.Generation(),
		Environments: map[string]*route.EnvironmentStats{},
	}
	for _, c := range g.counters.all() {
		e := s.Environments[c.env]
		if e == nil {
			e = &route.EnvironmentStats{Releases: map[string]*route.ReleaseStats{}}
			s.Environments[c.env] = e
		}
		e.Releases[c.id] = c.snapshot()
	}
	for _, b := range g.blockedAll() {
		e := s.Environments[b.env]
		if e == nil {
			e = &route.EnvironmentStats{Releases: map[string]*route.ReleaseStats{}}
			s.Environments[b.env] = e
		}
		if e.Blocked == nil {
			e.Blocked = map[string]int64{}
		}
		e.Blocked[b.layer+" "+b.rule+" "+b.mode] += b.n
		if rs := e.Releases[b.release]; rs != nil && b.mode == string(edge.ModeEnforce) {
			rs.Excluded += b.n
		}
	}
	return s
}
