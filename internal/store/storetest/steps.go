package storetest

import (
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

var stepTests = []subtest{
	{"Upsert", testStepUpsert},
	{"RunOrder", testStepsOfRun},
	{"Errors", testStepErrors},
}

func testStepUpsert(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	mustJobs(t, s, r.ID, "build")
	first := &store.Step{RunID: r.ID, JobID: "build", Index: 0, Name: "checkout",
		Status: store.StatusRunning, Attempts: 1, PGID: 777, StartedAt: at(0)}
	second := &store.Step{RunID: r.ID, JobID: "build", Index: 1, Name: "compile",
		Status: store.StatusPending}
	for _, st := range []*store.Step{second, first} {
		if err := s.Steps().PutStep(t.Context(), st); err != nil {
			t.Fatalf("PutStep: %v", err)
		}
	}
	steps, err := s.Steps().ListSteps(t.Context(), r.ID, "build")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "steps by index", []*store.Step{first, second}, steps)

	done := &store.Step{RunID: r.ID, JobID: "build", Index: 0, Name: "checkout",
		Status: store.StatusFailed, Reason: "timed out", ExitCode: 124, Attempts: 3,
		StartedAt: at(0), FinishedAt: at(time.Minute)}
	if err := s.Steps().PutStep(t.Context(), done); err != nil {
		t.Fatal(err)
	}
	steps, err = s.Steps().ListSteps(t.Context(), r.ID, "build")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "steps after replace", []*store.Step{done, second}, steps)
}

func testStepsOfRun(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	other := mustRun(t, s, "")
	mustJobs(t, s, r.ID, "zz", "aa")
	mustJobs(t, s, other.ID, "zz")
	put := func(runID, jobID string, idx int) {
		t.Helper()
		st := &store.Step{RunID: runID, JobID: jobID, Index: idx, Status: store.StatusPending}
		if err := s.Steps().PutStep(t.Context(), st); err != nil {
			t.Fatal(err)
		}
	}
	put(r.ID, "aa", 1)
	put(r.ID, "aa", 0)
	put(r.ID, "zz", 0)
	put(other.ID, "zz", 5)
	steps, err := s.Steps().ListSteps(t.Context(), r.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		Job   string
		Index int
	}
	var got []key
	for _, st := range steps {
		got = append(got, key{st.JobID, st.Index})
	}
	wantDiff(t, "run's steps in job order", []key{{"zz", 0}, {"aa", 0}, {"aa", 1}}, got)
}

func testStepErrors(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	err := s.Steps().PutStep(t.Context(), &store.Step{RunID: r.ID, JobID: "nope", Status: store.StatusPending})
	wantErr(t, "PutStep of a missing job", err, store.ErrNotFound)
	steps, err := s.Steps().ListSteps(t.Context(), r.ID, "nope")
	if err != nil || len(steps) != 0 {
		t.Errorf("ListSteps of a missing job = %d steps, %v; want none", len(steps), err)
	}
}
