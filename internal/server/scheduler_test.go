package server

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// TestSchedulerFiresOnceWithALeader: two control planes share a store;
// only the lease holder schedules, a due schedule starts exactly one run
// (a nightly scan job, at the head of the default branch), and when the
// lease passes to the other plane the same firing is not repeated.
func TestSchedulerFiresOnceWithALeader(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	fx := newFixture(t)
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(repo, "sluice.yaml"), []byte(`version: 1
on:
  schedule:
    - cron: "*/5 * * * *"
      jobs: [nightly]
jobs:
  nightly: { steps: [{ run: echo nightly }] }
  deploy: { steps: [{ run: echo should-not-run }] }
`), 0o644)
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "one")
	head := git(t, repo, "rev-parse", "HEAD")
	p, err := NewProject("nightly", repo, "", "", fx.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.st.Control().PutProject(t.Context(), p, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 3, 1, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	runner := &LocalRunner{Store: fx.st, DataDir: fx.data, BaseEnv: map[string]string{"PATH": os.Getenv("PATH")}}
	t.Cleanup(func() { runner.Shutdown(t.Context()) })
	mk := func(holder string) *Scheduler {
		s := &Scheduler{Store: fx.st, Runner: runner, DataDir: fx.data, Holder: holder, Now: clock, Tick: 15 * time.Second, Refresh: time.Hour}
		s.last, s.refresh, s.cache = map[string]time.Time{}, map[string]time.Time{}, map[string]*projectHead{}
		return s
	}
	a, b := mk("plane-a"), mk("plane-b")
	a.tick(t.Context())            // a leads; sees the schedule
	b.tick(t.Context())            // b does not lead
	now = now.Add(4 * time.Minute) // 03:05 is due; a, ticking all along, still leads
	a.tick(t.Context())
	b.tick(t.Context())
	runs, _ := fx.st.Runs().ListRuns(t.Context(), store.RunFilter{})
	if len(runs) != 1 {
		t.Fatalf("%d runs after the first firing, want 1", len(runs))
	}
	if r := runs[0]; r.Event != "schedule" || r.Commit != head || r.Branch != "main" || r.SelectedJobs == nil {
		t.Errorf("scheduled run: event %s commit %s branch %s jobs %v", r.Event, r.Commit, r.Branch, r.SelectedJobs)
	}
	// a stops; after its lease expires b takes over. b has not seen the
	// schedule fire, but the firing of 03:05 is claimed in the store.
	now = now.Add(time.Minute)
	b.tick(t.Context()) // takes the lease, registers the schedule
	b.last = map[string]time.Time{}
	for k := range a.last {
		b.last[k] = now.Add(-2 * time.Minute) // as if b had seen it before 03:05
	}
	b.tick(t.Context())
	runs, _ = fx.st.Runs().ListRuns(t.Context(), store.RunFilter{})
	if len(runs) != 1 {
		t.Fatalf("the 03:05 firing ran again on the new leader: %d runs", len(runs))
	}
	now = now.Add(5 * time.Minute) // 03:10
	b.tick(t.Context())
	runs, _ = fx.st.Runs().ListRuns(t.Context(), store.RunFilter{})
	if len(runs) != 2 {
		t.Fatalf("the 03:10 firing: %d runs, want 2", len(runs))
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, r := range runs {
		for {
			got, _ := fx.st.Runs().GetRun(t.Context(), r.ID)
			if got.Status.Final() {
				jobs, _ := fx.st.Jobs().ListJobs(t.Context(), r.ID)
				if got.Status != store.StatusSucceeded || len(jobs) != 1 || jobs[0].ID != "nightly" {
					t.Errorf("scheduled run %d: %s, jobs %d", got.Number, got.Status, len(jobs))
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d still %s", got.Number, got.Status)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
