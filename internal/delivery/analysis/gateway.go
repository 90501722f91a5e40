package analysis

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// StatsFetcher returns the gateway's current cumulative counters.
type StatsFetcher func(ctx context.Context) (*route.Stats, error)

// maxSnapshots bounds the snapshots kept per release; the oldest go first.
const maxSnapshots = 4096

// Gateway measures releases from the gateway's own counters.
//
// The counters are cumulative since the gateway started, so a measurement
// is the difference of two snapshots. The provider keeps, per environment
// and release, the snapshots it has taken:
//
//   - Begin takes the baseline snapshot and drops any earlier ones.
//   - Measure takes a new snapshot and measures from a base snapshot up to
//     it. The base is the newest kept snapshot taken at or before q.Since;
//     when q.Since is zero, or no snapshot is that old, the base is the
//     oldest kept one (the baseline, unless pruned). The new snapshot is
//     then kept, and the snapshots older than the base are dropped.
//
// So a canary step calls Begin at its start and Measure at its end (Since
// zero, or the step's start): the whole step. A monitor calls Begin once
// and then Measure every few seconds with Since = now - window: a sliding
// window over the snapshots of earlier Measures (while the monitor is
// younger than the window, it measures from Begin). Metrics.Window is the
// span actually measured. Passing the time of the previous Measure as
// Since measures the interval since that Measure.
//
// Snapshot times are the gateway's Stats.Time (or the local clock when
// the gateway leaves it zero); q.Until is ignored, counters cannot be read
// in the past.
//
// A gateway restart between base and new snapshot (Stats.Started changed,
// or a counter went down) makes the new counters count since the restart:
// never negative; the window then starts at the restart when
// Stats.Started tells when it was.
//
// A Gateway is safe for concurrent use.
type Gateway struct {
	fetch StatsFetcher
	now   func() time.Time

	mu     sync.Mutex
	series map[gatewayKey][]snapshot
}

var (
	_ Provider = (*Gateway)(nil)
	_ Beginner = (*Gateway)(nil)
)

type gatewayKey struct{ env, release string }

type snapshot struct {
	at      time.Time
	started time.Time
	rel     *route.ReleaseStats // nil: no traffic counted yet
}

// NewGateway returns a provider reading counters with fetch.
func NewGateway(fetch StatsFetcher) *Gateway {
	return &Gateway{fetch: fetch, now: time.Now, series: map[gatewayKey][]snapshot{}}
}

// Name returns "gateway".
func (g *Gateway) Name() string { return "gateway" }

// Begin takes the baseline snapshot of q's release, replacing any
// snapshots kept for it.
func (g *Gateway) Begin(ctx context.Context, q Query) error {
	s, err := g.snapshot(ctx, q)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.series[gatewayKey{q.Env, q.Release}] = []snapshot{s}
	return nil
}

// End forgets the snapshots of q's release; call it when the window is
// over so the provider does not keep them.
func (g *Gateway) End(q Query) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.series, gatewayKey{q.Env, q.Release})
}

// Measure measures q's release from the base snapshot chosen by q.Since
// (see Gateway) to now. It returns an error wrapping ErrNoBaseline when
// Begin was not called for the release.
func (g *Gateway) Measure(ctx context.Context, q Query) (Metrics, error) {
	cur, err := g.snapshot(ctx, q)
	if err != nil {
		return Metrics{}, err
	}
	key := gatewayKey{q.Env, q.Release}
	g.mu.Lock()
	defer g.mu.Unlock()
	kept := g.series[key]
	if len(kept) == 0 {
		return Metrics{}, fmt.Errorf("measure release %s in %s: %w", q.Release, q.Env, ErrNoBaseline)
	}
	bi := 0
	if !q.Since.IsZero() {
		for i, s := range kept {
			if !s.at.After(q.Since) {
				bi = i
			}
		}
	}
	base := kept[bi]
	m := measureBetween(base, cur)
	kept = append(kept[bi:], cur)
	if len(kept) > maxSnapshots {
		kept = kept[len(kept)-maxSnapshots:]
	}
	g.series[key] = slices.Clip(kept)
	return m, nil
}

// measureBetween is FromStats with the restart detection of Stats.Started.
func measureBetween(base, cur snapshot) Metrics {
	prev, from := base.rel, base.at
	if !base.started.IsZero() && !cur.started.IsZero() && !base.started.Equal(cur.started) {
		prev = nil
		if cur.started.After(from) {
			from = cur.started
		}
	}
	if prev == nil {
		prev = &route.ReleaseStats{}
	}
	return FromStats(prev, cur.rel, max(cur.at.Sub(from), 0))
}

// snapshot fetches the counters and copies out q's release.
func (g *Gateway) snapshot(ctx context.Context, q Query) (snapshot, error) {
	if g.fetch == nil {
		return snapshot{}, fmt.Errorf("read gateway stats: no fetcher configured")
	}
	st, err := g.fetch(ctx)
	if err != nil {
		return snapshot{}, fmt.Errorf("read gateway stats for release %s in %s: %w", q.Release, q.Env, err)
	}
	if st == nil {
		return snapshot{}, fmt.Errorf("read gateway stats for release %s in %s: the gateway returned no stats", q.Release, q.Env)
	}
	s := snapshot{at: st.Time, started: st.Started}
	if s.at.IsZero() {
		s.at = g.now()
	}
	if e := st.Environments[q.Env]; e != nil {
		if r := e.Releases[q.Release]; r != nil {
			s.rel = cloneStats(r)
		}
	}
	return s, nil
}

// cloneStats deep-copies r, so a fetcher reusing its Stats cannot change
// a kept snapshot.
func cloneStats(r *route.ReleaseStats) *route.ReleaseStats {
	c := *r
	c.Status = maps.Clone(r.Status)
	c.Latency.Bounds = slices.Clone(r.Latency.Bounds)
	c.Latency.Counts = slices.Clone(r.Latency.Counts)
	c.Recent = slices.Clone(r.Recent)
	return &c
}
