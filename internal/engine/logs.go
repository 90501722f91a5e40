package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/executor"
	"github.com/sluice-ci/sluice/internal/store"
)

// flushEvery bounds how long a log line waits in memory before it is stored,
// so `sluice logs --follow` stays live; flushLines bounds the batch size.
const (
	flushEvery = 200 * time.Millisecond
	flushLines = 512
)

// jobLog masks a job's output, emits it to observers and stores it in
// batches. A job's stored output is capped at the engine's MaxLogBytes; past
// that one notice is stored and the rest is dropped (the step's output is
// still drained, so the step is not blocked).
type jobLog struct {
	x     *execution
	jobID string

	mu        sync.Mutex
	pending   []*store.LogLine
	bytes     int64
	truncated bool
	stop      chan struct{}
	stopped   chan struct{}
}

func newJobLog(x *execution, jobID string) *jobLog {
	l := &jobLog{x: x, jobID: jobID, stop: make(chan struct{}), stopped: make(chan struct{})}
	go l.ticker()
	return l
}

func (l *jobLog) ticker() {
	defer close(l.stopped)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.flush(context.Background())
		}
	}
}

// line records one line of a step's output.
func (l *jobLog) line(step int, ln executor.Line) {
	stream := store.Stdout
	if ln.Stream == executor.Stderr {
		stream = store.Stderr
	}
	l.add(step, ln.Time, stream, ln.Text)
}

// system records a line written by sluice itself.
func (l *jobLog) system(step int, text string) {
	l.add(step, l.x.e.now(), store.System, text)
}

func (l *jobLog) add(step int, t time.Time, stream store.Stream, text string) {
	text = l.x.masker.Mask(text)
	l.mu.Lock()
	if l.truncated {
		l.mu.Unlock()
		return
	}
	l.bytes += int64(len(text)) + 1
	if l.bytes > l.x.e.maxLog && stream != store.System {
		l.truncated = true
		text = fmt.Sprintf("log truncated: this job's output passed %d MiB; the rest is not stored", l.x.e.maxLog>>20)
		stream = store.System
	}
	ll := &store.LogLine{RunID: l.x.run.ID, JobID: l.jobID, Step: step, Time: t.UTC(), Stream: stream, Text: text}
	l.pending = append(l.pending, ll)
	full := len(l.pending) >= flushLines
	l.mu.Unlock()
	l.x.e.emit(Event{Type: LogLine, RunID: l.x.run.ID, JobID: l.jobID, Step: step, Time: ll.Time, Stream: stream, Text: text})
	if full {
		l.flush(context.Background())
	}
}

// flush stores the pending lines. Store errors are logged, not fatal: losing
// log lines must not fail the job they describe.
func (l *jobLog) flush(ctx context.Context) {
	l.mu.Lock()
	batch := l.pending
	l.pending = nil
	if len(batch) == 0 {
		l.mu.Unlock()
		return
	}
	// Holding the lock while writing keeps batches in order.
	defer l.mu.Unlock()
	if err := l.x.e.st.Logs().AppendLogs(ctx, batch); err != nil {
		l.x.e.log.Error("store log lines", "run", l.x.run.ID, "job", l.jobID, "lines", len(batch), "err", err)
	}
}

func (l *jobLog) close(ctx context.Context) {
	close(l.stop)
	<-l.stopped
	l.flush(ctx)
}
