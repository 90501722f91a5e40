package sqlstore

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// benchLine is a typical 80-character build log line.
const benchLine = "ok  \tgithub.com/sluice-ci/sluice/internal/pipeline/plan\t0.412s\tcoverage: 91.3%"

// benchStore opens a store with one run and jobs job-0 .. job-<jobs-1>.
func benchStore(b *testing.B, jobs int) (*Store, string) {
	b.Helper()
	s, err := Open(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	r := &store.Run{Status: store.StatusRunning}
	if err := s.Runs().CreateRun(b.Context(), r); err != nil {
		b.Fatal(err)
	}
	list := make([]*store.Job, jobs)
	for i := range list {
		list[i] = &store.Job{RunID: r.ID, ID: fmt.Sprintf("job-%d", i), Status: store.StatusRunning}
	}
	if err := s.Jobs().PutJobs(b.Context(), list); err != nil {
		b.Fatal(err)
	}
	return s, r.ID
}

// batch returns n log lines of one job.
func batch(runID, jobID string, n int) []*store.LogLine {
	lines := make([]*store.LogLine, n)
	now := time.Now()
	for i := range lines {
		lines[i] = &store.LogLine{RunID: runID, JobID: jobID, Step: 1, Time: now,
			Stream: store.Stdout, Text: benchLine}
	}
	return lines
}

// BenchmarkAppendLogs appends batches of 100 lines to one job, one batch per
// iteration, and reports lines per second.
func BenchmarkAppendLogs(b *testing.B) {
	s, runID := benchStore(b, 1)
	lines := batch(runID, "job-0", 100)
	n := 0
	for b.Loop() {
		if err := s.Logs().AppendLogs(b.Context(), lines); err != nil {
			b.Fatal(err)
		}
		n += len(lines)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkParallelJobs has 200 goroutines, each one job, appending batches
// of 20 lines and updating their job's state, as 200 parallel jobs would. The
// writers=N variants compare the single write connection with a pool of N
// connections contending for SQLite's file lock.
func BenchmarkParallelJobs(b *testing.B) {
	const jobs, size = 200, 20
	for _, writers := range []int{1, 4} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s, runID := benchStore(b, jobs)
			s.w.SetMaxOpenConns(writers)
			var next, lines atomic.Int64
			b.SetParallelism(max(1, jobs/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				jobID := fmt.Sprintf("job-%d", next.Add(1)%jobs)
				job := &store.Job{RunID: runID, ID: jobID, Status: store.StatusRunning}
				for pb.Next() {
					if err := s.Logs().AppendLogs(b.Context(), batch(runID, jobID, size)); err != nil {
						b.Error(err)
						return
					}
					lines.Add(size)
					job.Attempt++
					if err := s.Jobs().UpdateJob(b.Context(), job); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(lines.Load())/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
