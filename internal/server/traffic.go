package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/delivery/analysis"
	"github.com/sluice-ci/sluice/internal/delivery/release"
	gwroute "github.com/sluice-ci/sluice/internal/delivery/route"
	"github.com/sluice-ci/sluice/internal/gateway"
	"github.com/sluice-ci/sluice/internal/store"
)

// statsTimeout bounds the call to the gateway's admin API.
const statsTimeout = 2 * time.Second

// trafficJSON is an environment's live traffic: the routing table's
// weights and the gateway's counters since it started. Counters only
// grow; a poller takes the difference of two answers (and notices a
// gateway restart by "started").
type trafficJSON struct {
	Env    string `json:"env"`
	Listen string `json:"listen,omitempty"`
	// Gateway is "up", or "down: why" (the weights still show).
	Gateway string `json:"gateway"`
	// Generation is the routing table's; Served the one the gateway
	// serves (behind for a moment after a change).
	Generation int64            `json:"generation"`
	Served     *int64           `json:"served_generation,omitempty"`
	Started    *time.Time       `json:"started,omitempty"`
	Time       *time.Time       `json:"time,omitempty"`
	Rollout    *rolloutJSON     `json:"rollout"`
	Releases   []releaseTraffic `json:"releases"`
	// Former are the releases no longer in the routing table that took
	// traffic in the series' window (an aborted canary), role "former".
	Former []releaseTraffic `json:"former,omitempty"`
	// Blocked counts what the edge protection matched, by "layer rule
	// mode".
	Blocked map[string]int64 `json:"blocked,omitempty"`
}

// rolloutJSON is the release being rolled out (or in its monitor window).
type rolloutJSON struct {
	Release  string `json:"release"`
	Version  string `json:"version"`
	Strategy string `json:"strategy"`
	State    string `json:"state"`
	Weight   int    `json:"weight"`
	// Step is the canary step or rolling batch reached, from 1; Steps are
	// a canary's weights.
	Step    int    `json:"step"`
	Steps   []int  `json:"steps,omitempty"`
	Request string `json:"request,omitempty"`
	Message string `json:"message,omitempty"`
	// Changes are when the release's share of traffic changed.
	Changes []weightChange `json:"changes,omitempty"`
}

// releaseTraffic is one routed release: its weight and its counters.
type releaseTraffic struct {
	ID       string           `json:"id"`
	Version  string           `json:"version,omitempty"`
	Role     string           `json:"role"`
	Weight   int              `json:"weight"`
	Backends int              `json:"backends"`
	Requests int64            `json:"requests"`
	Status   map[string]int64 `json:"status"`
	InFlight int64            `json:"in_flight"`
	// Refused counts the requests the edge protection refused before
	// they reached the release.
	Refused   int64             `json:"refused"`
	ErrorRate float64           `json:"error_rate"`
	P50       float64           `json:"p50_ms"`
	P99       float64           `json:"p99_ms"`
	Latency   gwroute.Histogram `json:"latency"`
	// Series is the last hour interval by interval; nil when the
	// gateway did not answer.
	Series *seriesJSON `json:"series,omitempty"`
}

// count fills in the gateway's counters of the release, counted over
// window (since the gateway started).
func (t *releaseTraffic) count(rs *gwroute.ReleaseStats, window time.Duration) {
	m := analysis.FromStats(nil, rs, window)
	t.Requests, t.InFlight, t.Refused, t.Latency = rs.Requests, rs.InFlight, rs.Excluded, rs.Latency
	if rs.Status != nil {
		t.Status = rs.Status
	}
	t.ErrorRate, t.P50, t.P99 = m.ErrorRate, millis(m.P50), millis(m.P99)
}

func (s *Server) traffic(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	env := r.PathValue("env")
	if s.o.GatewayDir == "" {
		writeError(w, http.StatusServiceUnavailable, "no_gateway", "this server knows no gateway")
		return
	}
	table, err := gwroute.Load(s.o.GatewayDir)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "routing_table", err.Error())
		return
	}
	routing := table.Environments[env]
	es, err := s.o.Store.Releases().GetEnv(r.Context(), env)
	switch {
	case errors.Is(err, store.ErrNotFound) && routing == nil:
		writeError(w, http.StatusNotFound, "environment", "nothing was deployed to "+env)
		return
	case errors.Is(err, store.ErrNotFound):
		es = nil
	case err != nil:
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	out := trafficJSON{Env: env, Gateway: "up", Generation: table.Generation, Releases: []releaseTraffic{}}
	if es != nil {
		out.Listen = es.Listen
		if out.Rollout, err = s.rollout(r.Context(), es); err != nil {
			writeError(w, http.StatusInternalServerError, "store", err.Error())
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), statsTimeout)
	defer cancel()
	stats, err := gateway.FetchStats(ctx, s.o.GatewayDir)
	var (
		counted *gwroute.EnvironmentStats
		series  *gateway.Series
	)
	if err != nil {
		out.Gateway = "down: " + err.Error()
	} else {
		out.Started, out.Time, out.Served = &stats.Started, &stats.Time, &stats.Generation
		counted = stats.Environments[env]
		if series, err = gateway.FetchSeries(ctx, s.o.GatewayDir, env); err != nil {
			// A gateway older than the series still has its counters;
			// logged at debug level, as this is polled every few seconds.
			s.o.Logger.Debug("traffic: no time series", "env", env, "err", err)
		}
	}
	if counted != nil {
		out.Blocked = counted.Blocked
	}
	var window time.Duration
	if stats != nil {
		window = stats.Time.Sub(stats.Started)
	}
	if routing != nil {
		if out.Listen == "" {
			out.Listen = routing.Listen
		}
		for _, rel := range routing.Releases {
			t := releaseTraffic{ID: rel.ID, Version: rel.Version, Role: rel.Role, Weight: rel.Weight, Backends: len(rel.Backends),
				Status: map[string]int64{}}
			if counted != nil && counted.Releases[rel.ID] != nil {
				t.count(counted.Releases[rel.ID], window)
			}
			out.Releases = append(out.Releases, t)
		}
	}
	addSeries(&out, series, counted, window)
	writeJSON(w, http.StatusOK, out)
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// rollout describes the release being rolled out in es, or the live one
// while its monitor window is open; nil when neither.
func (s *Server) rollout(ctx context.Context, es *store.EnvState) (*rolloutJSON, error) {
	id := es.Candidate
	if id == "" {
		id = es.Live
	}
	if id == "" {
		return nil, nil
	}
	rel, err := s.o.Store.Releases().GetRelease(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if id == es.Live && rel.State != store.ReleaseMonitoring {
		return nil, nil
	}
	out := &rolloutJSON{Release: rel.ID, Version: rel.Version, Strategy: rel.Strategy, State: rel.State, Weight: rel.Weight,
		Step: rel.Step + 1, Request: rel.Request, Message: rel.Message}
	// The release stores the configuration it was deployed with.
	var cfg release.Config
	if json.Unmarshal(rel.Config, &cfg) == nil && cfg.Strategy == release.Canary {
		out.Steps = cfg.Steps
	}
	if out.Changes, err = s.weightChanges(ctx, rel.ID); err != nil {
		return nil, err
	}
	return out, nil
}
