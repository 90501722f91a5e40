package storetest

import (
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

var jobTests = []subtest{
	{"OrderAndReplace", testJobsOrder},
	{"RoundTrip", testJobRoundTrip},
	{"Update", testUpdateJob},
	{"Errors", testJobErrors},
}

// jobIDs returns the ids of jobs, in order.
func jobIDs(jobs []*store.Job) []string {
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

func testJobsOrder(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	other := mustRun(t, s, "")
	mustJobs(t, s, r.ID, "lint", "build", "test[go=1.22]")
	mustJobs(t, s, other.ID, "zeta", "alpha")
	// Replacing keeps a job's place; new jobs go last.
	replaced := &store.Job{RunID: r.ID, ID: "build", Name: "Build it", Status: store.StatusRunning}
	added := &store.Job{RunID: r.ID, ID: "deploy", Status: store.StatusPending}
	if err := s.Jobs().PutJobs(t.Context(), []*store.Job{added, replaced}); err != nil {
		t.Fatal(err)
	}
	jobs, err := s.Jobs().ListJobs(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "job order", []string{"lint", "build", "test[go=1.22]", "deploy"}, jobIDs(jobs))
	wantDiff(t, "replaced job", replaced, jobs[1])

	jobs, err = s.Jobs().ListJobs(t.Context(), other.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "other run's job order", []string{"zeta", "alpha"}, jobIDs(jobs))

	jobs, err = s.Jobs().ListJobs(t.Context(), "missing")
	if err != nil || len(jobs) != 0 {
		t.Errorf("ListJobs of a missing run = %d jobs, %v; want none", len(jobs), err)
	}
	if err := s.Jobs().PutJobs(t.Context(), nil); err != nil {
		t.Errorf("PutJobs(nil): %v", err)
	}
}

// fullJob returns a job of runID with every field set.
func fullJob(runID string) *store.Job {
	return &store.Job{
		RunID:      runID,
		ID:         "test[go=1.22,os=linux]",
		Name:       "test",
		Needs:      []string{"lint", "build"},
		Matrix:     map[string]string{"go": "1.22", "os": "linux"},
		Status:     store.StatusFailed,
		Reason:     "exit status 2",
		ExitCode:   2,
		Outputs:    map[string]string{"version": "1.2.3"},
		Attempt:    3,
		StartedAt:  at(time.Second),
		FinishedAt: at(2 * time.Second),
	}
}

func testJobRoundTrip(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	j := fullJob(r.ID)
	if err := s.Jobs().PutJobs(t.Context(), []*store.Job{j}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Jobs().GetJob(t.Context(), r.ID, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "job", j, got)
}

func testUpdateJob(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	mustJobs(t, s, r.ID, "a", "b")
	u := fullJob(r.ID)
	u.ID = "a"
	if err := s.Jobs().UpdateJob(t.Context(), u); err != nil {
		t.Fatalf("UpdateJob: %v", err)
	}
	jobs, err := s.Jobs().ListJobs(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "order after update", []string{"a", "b"}, jobIDs(jobs))
	wantDiff(t, "updated job", u, jobs[0])
	wantDiff(t, "untouched job", &store.Job{RunID: r.ID, ID: "b", Name: "b", Status: store.StatusPending}, jobs[1])

	err = s.Jobs().UpdateJob(t.Context(), &store.Job{RunID: r.ID, ID: "c", Status: store.StatusFailed})
	wantErr(t, "UpdateJob of a missing job", err, store.ErrNotFound)
}

func testJobErrors(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	_, err := s.Jobs().GetJob(t.Context(), r.ID, "nope")
	wantErr(t, "GetJob of a missing job", err, store.ErrNotFound)
	err = s.Jobs().PutJobs(t.Context(), []*store.Job{{RunID: "missing", ID: "a", Status: store.StatusPending}})
	wantErr(t, "PutJobs into a missing run", err, store.ErrNotFound)

	other := mustRun(t, s, "")
	mixed := []*store.Job{
		{RunID: r.ID, ID: "a", Status: store.StatusPending},
		{RunID: other.ID, ID: "b", Status: store.StatusPending},
	}
	if err := s.Jobs().PutJobs(t.Context(), mixed); err == nil {
		t.Error("PutJobs with jobs of two runs succeeded")
	}
}
