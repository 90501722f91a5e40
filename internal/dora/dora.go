// Package dora computes the four DORA delivery metrics of an environment
// from the releases sluice recorded: deployment frequency, lead time for
// changes, change failure rate and time to restore service.
package dora

import (
	"context"
	"slices"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// Metrics are an environment's figures over a window.
type Metrics struct {
	Env    string        `json:"env"`
	Window time.Duration `json:"window_ns"`
	// Deployments counts releases that reached all traffic in the window;
	// PerDay is that per day of the window.
	Deployments int     `json:"deployments"`
	PerDay      float64 `json:"deployments_per_day"`
	// LeadTime is the median time from the pipeline run that built a
	// release (the change entering the pipeline) to the release taking
	// all traffic; LeadTimeSamples how many releases had a run.
	LeadTime        time.Duration `json:"lead_time_ns"`
	LeadTimeSamples int           `json:"lead_time_samples"`
	// Failures counts releases rolled back after taking traffic;
	// FailureRate is Failures over Failures+Deployments.
	Failures    int     `json:"failures"`
	FailureRate float64 `json:"change_failure_rate"`
	// TimeToRestore is the median time from a failed release's start to
	// the rollback that restored the previous one.
	TimeToRestore time.Duration `json:"time_to_restore_ns"`
}

// Compute reads env's releases created since now-window.
func Compute(ctx context.Context, st store.Store, env string, now time.Time, window time.Duration) (Metrics, error) {
	m := Metrics{Env: env, Window: window}
	rels, err := st.Releases().ListReleases(ctx, env, 0)
	if err != nil {
		return m, err
	}
	from := now.Add(-window)
	var lead, restore []time.Duration
	for _, r := range rels {
		if r.CreatedAt.Before(from) {
			continue
		}
		switch r.State {
		case store.ReleaseLive, store.ReleaseMonitoring, store.ReleaseSuperseded:
			m.Deployments++
			if r.RunID != "" {
				if run, err := st.Runs().GetRun(ctx, r.RunID); err == nil && !run.CreatedAt.IsZero() {
					live := r.UpdatedAt
					if r.State == store.ReleaseSuperseded {
						live = r.CreatedAt // it went live before it was replaced; its start bounds it from below
					}
					if d := live.Sub(run.CreatedAt); d >= 0 {
						lead = append(lead, d)
					}
				}
			}
		case store.ReleaseRolledBack:
			m.Failures++
			if d := r.UpdatedAt.Sub(r.CreatedAt); d >= 0 {
				restore = append(restore, d)
			}
		}
	}
	if days := window.Hours() / 24; days > 0 {
		m.PerDay = float64(m.Deployments) / days
	}
	if n := m.Deployments + m.Failures; n > 0 {
		m.FailureRate = float64(m.Failures) / float64(n)
	}
	m.LeadTime, m.LeadTimeSamples = median(lead), len(lead)
	m.TimeToRestore = median(restore)
	return m, nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	if len(ds)%2 == 1 {
		return ds[len(ds)/2]
	}
	return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
}
