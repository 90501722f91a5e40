package dora

import (
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
)

func TestCompute(t *testing.T) {
	st, err := sqlstore.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	run := &store.Run{Status: store.StatusSucceeded, CreatedAt: now.Add(-3 * time.Hour)}
	if err := st.Runs().CreateRun(t.Context(), run); err != nil {
		t.Fatal(err)
	}
	put := func(id, state string, created time.Time, took time.Duration, runID string) {
		r := &store.Release{ID: id, Env: "production", State: store.ReleasePending, RunID: runID, CreatedAt: created}
		if err := st.Releases().CreateRelease(t.Context(), r, nil); err != nil {
			t.Fatal(err)
		}
		// UpdatedAt is stamped by the store; move the clock through it.
		r.State = state
		if err := st.Releases().UpdateRelease(t.Context(), r, nil); err != nil {
			t.Fatal(err)
		}
	}
	put("r1", store.ReleaseSuperseded, now.Add(-2*time.Hour), 0, run.ID)
	put("r2", store.ReleaseRolledBack, now.Add(-time.Hour), 0, "")
	put("r3", store.ReleaseLive, now.Add(-30*time.Minute), 0, "")
	put("old", store.ReleaseSuperseded, now.Add(-40*24*time.Hour), 0, "")
	m, err := Compute(t.Context(), st, "production", now, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if m.Deployments != 2 || m.Failures != 1 {
		t.Fatalf("deployments %d failures %d", m.Deployments, m.Failures)
	}
	if m.FailureRate < 0.33 || m.FailureRate > 0.34 {
		t.Errorf("failure rate %v, want 1/3", m.FailureRate)
	}
	if m.LeadTimeSamples != 1 || m.LeadTime != time.Hour {
		t.Errorf("lead time %v over %d samples, want 1h over 1 (run 3h ago, release 2h ago)", m.LeadTime, m.LeadTimeSamples)
	}
	if m.PerDay <= 0 || m.TimeToRestore <= 0 {
		t.Errorf("per day %v, time to restore %v", m.PerDay, m.TimeToRestore)
	}
}
