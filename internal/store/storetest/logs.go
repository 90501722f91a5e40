package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

var logTests = []subtest{
	{"SeqAssigned", testLogSeq},
	{"AfterAndLimit", testLogAfterLimit},
	{"AllJobsOrder", testLogAllJobs},
	{"ConcurrentAppends", testLogConcurrent},
	{"Errors", testLogErrors},
}

// lines returns n lines of one job whose texts start with prefix.
func lines(runID, jobID, prefix string, n int) []*store.LogLine {
	out := make([]*store.LogLine, n)
	for i := range out {
		out[i] = &store.LogLine{RunID: runID, JobID: jobID, Step: i % 3,
			Time: at(time.Duration(i) * time.Millisecond), Stream: store.Stdout,
			Text: fmt.Sprintf("%s %d", prefix, i)}
	}
	return out
}

// seqs returns the Seq of each line.
func seqs(ls []*store.LogLine) []int64 {
	var out []int64
	for _, l := range ls {
		out = append(out, l.Seq)
	}
	return out
}

// read returns the lines q selects, failing the test on error.
func read(t *testing.T, s store.Store, q store.LogQuery) []*store.LogLine {
	t.Helper()
	got, err := s.Logs().ReadLogs(t.Context(), q)
	if err != nil {
		t.Fatalf("ReadLogs(%+v): %v", q, err)
	}
	return got
}

func testLogSeq(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	mustJobs(t, s, r.ID, "build", "test")
	first := lines(r.ID, "build", "first", 3)
	first[1].Stream, first[2].Stream = store.Stderr, store.System
	first[2].Text = "  spaces, tabs\t and ünïcode  "
	if err := s.Logs().AppendLogs(t.Context(), first); err != nil {
		t.Fatalf("AppendLogs: %v", err)
	}
	wantDiff(t, "first seqs", []int64{1, 2, 3}, seqs(first))
	more := lines(r.ID, "build", "more", 2)
	if err := s.Logs().AppendLogs(t.Context(), more); err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "seqs continue", []int64{4, 5}, seqs(more))
	other := lines(r.ID, "test", "other", 2)
	if err := s.Logs().AppendLogs(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "another job counts from 1", []int64{1, 2}, seqs(other))
	if err := s.Logs().AppendLogs(t.Context(), nil); err != nil {
		t.Errorf("AppendLogs(nil): %v", err)
	}

	got := read(t, s, store.LogQuery{RunID: r.ID, JobID: "build"})
	wantDiff(t, "build's log", append(first, more...), got)
	got = read(t, s, store.LogQuery{RunID: r.ID, JobID: "nope"})
	if len(got) != 0 {
		t.Errorf("log of a missing job has %d lines", len(got))
	}
}

func testLogAfterLimit(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	mustJobs(t, s, r.ID, "build")
	if err := s.Logs().AppendLogs(t.Context(), lines(r.ID, "build", "l", 10)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		after int64
		limit int
		want  []int64
	}{
		{0, 0, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{7, 0, []int64{8, 9, 10}},
		{2, 3, []int64{3, 4, 5}},
		{0, 1, []int64{1}},
		{10, 0, nil},
		{99, 5, nil},
	} {
		got := read(t, s, store.LogQuery{RunID: r.ID, JobID: "build", AfterSeq: tc.after, Limit: tc.limit})
		wantDiff(t, fmt.Sprintf("after %d limit %d", tc.after, tc.limit), tc.want, seqs(got))
	}
}

func testLogAllJobs(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	other := mustRun(t, s, "")
	mustJobs(t, s, r.ID, "zz", "aa", "mm")
	mustJobs(t, s, other.ID, "aa")
	appendTo := func(runID, jobID, prefix string, n int) {
		t.Helper()
		if err := s.Logs().AppendLogs(t.Context(), lines(runID, jobID, prefix, n)); err != nil {
			t.Fatal(err)
		}
	}
	// Interleave appends so insertion order differs from job order.
	appendTo(r.ID, "aa", "aa-a", 2)
	appendTo(r.ID, "zz", "zz-a", 1)
	appendTo(other.ID, "aa", "other", 3)
	appendTo(r.ID, "aa", "aa-b", 1)
	appendTo(r.ID, "zz", "zz-b", 2)

	type key struct {
		Job string
		Seq int64
	}
	keys := func(ls []*store.LogLine) []key {
		var out []key
		for _, l := range ls {
			out = append(out, key{l.JobID, l.Seq})
		}
		return out
	}
	got := read(t, s, store.LogQuery{RunID: r.ID})
	wantDiff(t, "all jobs' lines", []key{{"zz", 1}, {"zz", 2}, {"zz", 3}, {"aa", 1}, {"aa", 2}, {"aa", 3}}, keys(got))
	got = read(t, s, store.LogQuery{RunID: r.ID, Limit: 4})
	wantDiff(t, "all jobs' lines, limited", []key{{"zz", 1}, {"zz", 2}, {"zz", 3}, {"aa", 1}}, keys(got))
	got = read(t, s, store.LogQuery{RunID: r.ID, AfterSeq: 2})
	wantDiff(t, "all jobs' lines after 2", []key{{"zz", 3}, {"aa", 3}}, keys(got))
}

func testLogConcurrent(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	mustJobs(t, s, r.ID, "build", "test")
	const writers, batches, size = 20, 10, 5
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		written = map[string][]*store.LogLine{}
		errs    = make(chan error, writers)
	)
	for w := range writers {
		job := []string{"build", "test"}[w%2]
		wg.Go(func() {
			for b := range batches {
				batch := lines(r.ID, job, fmt.Sprintf("w%d b%d", w, b), size)
				if err := s.Logs().AppendLogs(t.Context(), batch); err != nil {
					errs <- err
					return
				}
				for i := 1; i < len(batch); i++ {
					if batch[i].Seq <= batch[i-1].Seq {
						errs <- fmt.Errorf("seqs in one batch not increasing: %v", seqs(batch))
						return
					}
				}
				mu.Lock()
				written[job] = append(written[job], batch...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent AppendLogs: %v", err)
	}
	for job, ws := range written {
		want := map[int64]string{}
		for _, l := range ws {
			if prev, dup := want[l.Seq]; dup {
				t.Fatalf("job %s: seq %d given to %q and %q", job, l.Seq, prev, l.Text)
			}
			want[l.Seq] = l.Text
		}
		got := read(t, s, store.LogQuery{RunID: r.ID, JobID: job})
		if len(got) != len(ws) {
			t.Fatalf("job %s: %d lines stored, %d appended", job, len(got), len(ws))
		}
		for i, l := range got {
			if l.Seq != int64(i+1) {
				t.Fatalf("job %s: line %d has seq %d, want %d (lost or duplicated seq)", job, i, l.Seq, i+1)
			}
			if want[l.Seq] != l.Text {
				t.Fatalf("job %s: seq %d stored as %q, assigned to %q", job, l.Seq, l.Text, want[l.Seq])
			}
		}
	}
}

func testLogErrors(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	mustJobs(t, s, r.ID, "a", "b")
	mixed := append(lines(r.ID, "a", "a", 1), lines(r.ID, "b", "b", 1)...)
	if err := s.Logs().AppendLogs(t.Context(), mixed); err == nil {
		t.Error("AppendLogs with lines of two jobs succeeded")
	}
	err := s.Logs().AppendLogs(t.Context(), lines("missing", "a", "x", 1))
	wantErr(t, "AppendLogs to a missing run", err, store.ErrNotFound)
	if got := read(t, s, store.LogQuery{RunID: r.ID}); len(got) != 0 {
		t.Errorf("failed appends stored %d lines", len(got))
	}
}
