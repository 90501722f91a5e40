package ui

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/store"
)

// plainTime is the timestamp at the start of every plain line.
const plainTime = "15:04:05.000"

// plain writes one timestamped line per event, for logs and pipes.
type plain struct {
	w   io.Writer
	st  style
	now func() time.Time

	mu     sync.Mutex
	t      *tracker
	buf    bytes.Buffer
	err    error
	closed bool
}

func newPlain(w io.Writer, st style, opts Options) *plain {
	return &plain{w: w, st: st, now: opts.Now, t: newTracker(opts.Tail)}
}

// Handle writes the event's line.
func (p *plain) Handle(ev engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.t.apply(ev)
	text := p.line(ev)
	if text == "" {
		return
	}
	ts := ev.Time
	if ts.IsZero() {
		ts = p.now()
	}
	p.buf.Reset()
	p.buf.WriteString(p.st.paint(sgrDim, ts.Format(plainTime)))
	p.buf.WriteByte(' ')
	if ev.JobID != "" {
		p.buf.WriteString(p.st.paint(sgrBold, pad(ev.JobID, p.t.longestJob)))
		p.buf.WriteByte(' ')
	}
	p.buf.WriteString(text)
	p.buf.WriteByte('\n')
	p.write(p.buf.Bytes())
}

// line is the text of ev's line after the timestamp and job column.
func (p *plain) line(ev engine.Event) string {
	st := p.st
	switch ev.Type {
	case engine.RunStarted:
		return st.mark(store.StatusRunning) + " " + runName(ev) + " started"
	case engine.RunFinished:
		return st.mark(ev.Status) + " " + runName(ev) + " " + outcome(st, ev)
	case engine.JobQueued:
		if ev.Status.Final() {
			return st.mark(ev.Status) + " " + outcome(st, ev)
		}
		return st.mark(store.StatusPending) + " queued"
	case engine.JobStarted:
		return st.mark(store.StatusRunning) + " started" + attempt(ev.Attempt)
	case engine.StepStarted:
		return st.paint(statusColor(store.StatusRunning), st.stepMark()) + " " + stepLabel(ev.StepName, ev.Step) + attempt(ev.Attempt)
	case engine.LogLine:
		return st.streamMark(ev.Stream) + " " + sanitize(ev.Text, st.color)
	case engine.StepFinished:
		return st.mark(ev.Status) + " " + stepLabel(ev.StepName, ev.Step) + " " + outcome(st, ev)
	case engine.JobFinished:
		return st.mark(ev.Status) + " " + outcome(st, ev)
	}
	return ""
}

// outcome is e.g. "succeeded in 1.2s", "failed (exit code 2) in 3.0s: reason"
// or "skipped: needs lint (failed)".
func outcome(st style, ev engine.Event) string {
	s := st.paint(statusColor(ev.Status), string(ev.Status))
	if ev.Status == store.StatusFailed && ev.ExitCode != 0 {
		s += fmt.Sprintf(" (exit code %d)", ev.ExitCode)
	}
	if ev.Duration > 0 {
		s += " in " + formatDuration(ev.Duration)
	}
	if ev.Reason != "" {
		s += ": " + ev.Reason
	}
	return s
}

func attempt(n int) string {
	if n > 1 {
		return fmt.Sprintf(" (attempt %d)", n)
	}
	return ""
}

func runName(ev engine.Event) string {
	if ev.RunNumber != 0 {
		return fmt.Sprintf("run #%d", ev.RunNumber)
	}
	return "run " + ev.RunID
}

// write sends b to the output, keeping the first error.
func (p *plain) write(b []byte) {
	if p.err != nil {
		return
	}
	if _, err := p.w.Write(b); err != nil {
		p.err = fmt.Errorf("write run output: %w", err)
	}
}

// Close prints the summary and returns the first write error.
func (p *plain) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return p.err
	}
	p.closed = true
	p.buf.Reset()
	writeSummary(&p.buf, p.t, p.st, p.now())
	p.write(p.buf.Bytes())
	return p.err
}
