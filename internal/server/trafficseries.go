package server

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/analysis"
	gwroute "github.com/sluice-ci/sluice/internal/delivery/route"
	"github.com/sluice-ci/sluice/internal/gateway"
	"github.com/sluice-ci/sluice/internal/store"
)

// RoleFormer is the role of a release that took traffic in the series'
// window but is no longer in the routing table (an aborted canary).
const RoleFormer = "former"

// seriesJSON is a release's traffic interval by interval over the last
// hour, as columns: Times[i] starts an interval of Interval seconds in
// which Requests[i] answers were sent, ErrorRate[i] of them 5xx or the
// gateway's own 502, with latency quantiles P50[i] and P99[i]. Intervals
// without a request are left out.
type seriesJSON struct {
	Interval  float64     `json:"interval_seconds"`
	Times     []time.Time `json:"times"`
	Requests  []int64     `json:"requests"`
	ErrorRate []float64   `json:"error_rate"`
	P50       []float64   `json:"p50_ms"`
	P99       []float64   `json:"p99_ms"`
}

// seriesOf turns the gateway's intervals into columns. Each interval is
// measured by analysis.FromStats, as a canary step is, so a chart's p99
// and the p99 analysis judges are computed alike.
func seriesOf(rs *gateway.ReleaseSeries, bounds []float64, interval float64) *seriesJSON {
	out := &seriesJSON{Interval: interval, Times: []time.Time{}, Requests: []int64{}, ErrorRate: []float64{}, P50: []float64{}, P99: []float64{}}
	if rs == nil {
		return out
	}
	window := time.Duration(interval * float64(time.Second))
	for _, p := range rs.Points {
		h := gwroute.Histogram{Bounds: bounds, Counts: make([]int64, len(bounds)), Count: p.Requests}
		var cum int64
		for i := range bounds {
			if i < len(p.Latency) {
				cum += p.Latency[i]
			}
			h.Counts[i] = cum
		}
		m := analysis.FromStats(nil, &gwroute.ReleaseStats{Requests: p.Requests, Status: map[string]int64{"5xx": p.Errors}, Latency: h}, window)
		out.Times = append(out.Times, p.Time)
		out.Requests = append(out.Requests, p.Requests)
		out.ErrorRate = append(out.ErrorRate, m.ErrorRate)
		out.P50 = append(out.P50, millis(m.P50))
		out.P99 = append(out.P99, millis(m.P99))
	}
	return out
}

// addSeries gives each routed release its series and lists, as former
// releases, those the gateway counted in the window that left the table.
func addSeries(out *trafficJSON, ss *gateway.Series, counted *gwroute.EnvironmentStats, window time.Duration) {
	if ss == nil {
		return
	}
	env := ss.Environments[out.Env]
	routed := map[string]bool{}
	for i := range out.Releases {
		t := &out.Releases[i]
		routed[t.ID] = true
		t.Series = seriesOf(env[t.ID], ss.Bounds, ss.Interval)
	}
	var ids []string
	for id := range env {
		if !routed[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		rs := env[id]
		t := releaseTraffic{ID: id, Version: rs.Version, Role: RoleFormer, Status: map[string]int64{}, Series: seriesOf(rs, ss.Bounds, ss.Interval)}
		if counted != nil && counted.Releases[id] != nil {
			t.count(counted.Releases[id], window)
		}
		out.Former = append(out.Former, t)
	}
}

// weightChange is a change of the share of traffic of the release being
// rolled out: a canary step, the switch, a rollback.
type weightChange struct {
	Time   time.Time `json:"time"`
	Weight int       `json:"weight"`
	Step   int       `json:"step"` // the canary step or rolling batch, from 1
	State  string    `json:"state"`
}

// weightChanges reads from the audit trail when the release's weight
// changed, oldest first.
func (s *Server) weightChanges(ctx context.Context, id string) ([]weightChange, error) {
	recs, err := s.o.Store.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "release/" + id})
	if err != nil {
		return nil, err
	}
	var out []weightChange
	last := 0
	for _, r := range recs {
		if r.Subject != "release/"+id {
			continue // another release whose id starts with this one's
		}
		w, err := strconv.Atoi(r.Data["weight"])
		if err != nil || w == last {
			continue
		}
		step, _ := strconv.Atoi(r.Data["step"])
		out = append(out, weightChange{Time: r.Time.UTC(), Weight: w, Step: step + 1, State: r.Data["state"]})
		last = w
	}
	return out, nil
}
