// Package storetest is the conformance suite every store.Store implementation
// runs from its own tests, so SQLite and PostgreSQL behave the same.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sluice-ci/sluice/internal/store"
)

// Opener returns a new, empty store for one test and arranges for it to be
// closed when the test ends (t.Cleanup).
type Opener func(t *testing.T) store.Store

// Run runs the conformance suite. Every subtest calls open for its own
// empty store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []subtest
	}{
		{"Runs", runTests},
		{"Jobs", jobTests},
		{"Steps", stepTests},
		{"Logs", logTests},
		{"Artifacts", artifactTests},
		{"Evidence", evidenceTests},
		{"Decisions", decisionTests},
		{"Audit", auditTests},
		{"Releases", releaseTests},
		{"Approvals", approvalTests},
		{"Control", controlTests},
		{"Users", userTests},
		{"Secrets", secretTests},
		{"Suppressions", suppressionTests},
		{"TFState", tfStateTests},
		{"Lifecycle", lifecycleTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, st := range g.tests {
				t.Run(st.name, func(t *testing.T) { st.fn(t, open) })
			}
		})
	}
}

// subtest is one named conformance check.
type subtest struct {
	name string
	fn   func(t *testing.T, open Opener)
}

// lifecycleTests check what is common to the whole store.
var lifecycleTests = []subtest{
	{"CloseTwice", func(t *testing.T, open Opener) {
		s := open(t)
		if err := s.Close(); err != nil {
			t.Fatalf("first Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}},
	{"CancelledContext", func(t *testing.T, open Opener) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.Runs().CreateRun(ctx, &store.Run{Status: store.StatusPending}); err == nil {
			t.Fatal("CreateRun with a cancelled context succeeded")
		}
		runs, err := s.Runs().ListRuns(t.Context(), store.RunFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 0 {
			t.Fatalf("a run was stored by a cancelled CreateRun: %+v", runs[0])
		}
	}},
}

// at returns a fixed UTC time plus d, with microsecond precision so that
// stores with coarser clocks than Go's (PostgreSQL) compare equal.
func at(d time.Duration) time.Time {
	return time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC).Add(d)
}

// diffOpts compares stored entities: times by instant, empty and nil maps,
// lists and byte slices as equal.
var diffOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// wantDiff fails the test when got differs from want.
func wantDiff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, diffOpts); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// mustRun creates a pending run with the given ID (generated when empty).
func mustRun(t *testing.T, s store.Store, id string) *store.Run {
	t.Helper()
	r := &store.Run{ID: id, Pipeline: "p", Status: store.StatusPending, CreatedAt: at(0)}
	if err := s.Runs().CreateRun(t.Context(), r); err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
	return r
}

// mustJobs puts pending jobs with the given ids into run runID.
func mustJobs(t *testing.T, s store.Store, runID string, ids ...string) []*store.Job {
	t.Helper()
	jobs := make([]*store.Job, len(ids))
	for i, id := range ids {
		jobs[i] = &store.Job{RunID: runID, ID: id, Name: id, Status: store.StatusPending}
	}
	if err := s.Jobs().PutJobs(t.Context(), jobs); err != nil {
		t.Fatalf("PutJobs: %v", err)
	}
	return jobs
}
