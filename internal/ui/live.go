package ui

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/store"
)

// ANSI sequences the live frame is redrawn with.
const (
	clearLine   = "\r\x1b[2K" // to column 1, erase the line
	clearBelow  = "\x1b[J"    // erase from the cursor to the end of the screen
	durColWidth = 6
)

// cursorUp moves the cursor n lines up.
func cursorUp(n int) string { return fmt.Sprintf("\x1b[%dA", n) }

// live keeps one line per job on a terminal and redraws it in place from a
// ticker goroutine. Log lines are only kept for the summary.
type live struct {
	w    io.Writer
	st   style
	now  func() time.Time
	size func() (width, height int)

	mu     sync.Mutex // guards everything below and every write to w
	t      *tracker
	drawn  int    // lines of the frame now on screen
	last   string // the frame now on screen
	err    error
	closed bool

	stop chan struct{}
	done chan struct{}
}

func newLive(w io.Writer, st style, opts Options, size func() (int, int)) *live {
	l := &live{
		w: w, st: st, now: opts.Now, size: size,
		t:    newTracker(opts.Tail),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go l.loop(opts.Interval)
	return l
}

// loop redraws every interval until Close.
func (l *live) loop(interval time.Duration) {
	defer close(l.done)
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tk.C:
			l.mu.Lock()
			if !l.closed {
				l.draw()
			}
			l.mu.Unlock()
		}
	}
}

// Handle folds the event into the state the next frame shows.
func (l *live) Handle(ev engine.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.t.apply(ev)
	}
}

// Close stops the redraws, replaces the frame by the summary and returns the
// first write error.
func (l *live) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return l.err
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done // the loop takes mu, so wait outside it

	l.mu.Lock()
	defer l.mu.Unlock()
	var b bytes.Buffer
	if l.drawn > 0 {
		b.WriteString(cursorUp(l.drawn) + "\r" + clearBelow)
		l.drawn = 0
	}
	writeSummary(&b, l.t, l.st, l.now())
	l.write(b.Bytes())
	return l.err
}

// draw writes the current frame over the previous one in a single Write, so
// the terminal never shows half a frame. Callers hold mu.
func (l *live) draw() {
	width, height := l.size()
	lines := l.frame(l.now(), width, height)
	joined := strings.Join(lines, "\n")
	if joined == l.last && len(lines) == l.drawn {
		return
	}
	var b bytes.Buffer
	if l.drawn > 0 {
		b.WriteString(cursorUp(l.drawn))
	}
	for _, s := range lines {
		b.WriteString(clearLine)
		b.WriteString(s)
		b.WriteByte('\n')
	}
	if len(lines) < l.drawn {
		b.WriteString(clearBelow)
	}
	l.drawn, l.last = len(lines), joined
	l.write(b.Bytes())
}

func (l *live) write(b []byte) {
	if l.err != nil || len(b) == 0 {
		return
	}
	if _, err := l.w.Write(b); err != nil {
		l.err = fmt.Errorf("write run output: %w", err)
	}
}

// frame builds the lines showing every job, or, when the window is too
// short, the running and failed jobs first and a "… N more" line.
func (l *live) frame(now time.Time, width, height int) []string {
	jobs := l.t.jobs
	maxLines := max(height-1, 2)
	more := 0
	if len(jobs) > maxLines {
		jobs = prioritize(jobs, maxLines-1)
		more = len(l.t.jobs) - len(jobs)
	}
	symW := 0
	for _, j := range jobs {
		symW = max(symW, utf8.RuneCountInString(l.marker(j, now)))
	}
	lines := make([]string, 0, len(jobs)+1)
	for _, j := range jobs {
		lines = append(lines, l.jobLine(j, now, width, symW))
	}
	if more > 0 {
		lines = append(lines, l.st.paint(sgrDim, truncate(fmt.Sprintf("%s %d more", l.st.ellipsis(), more), width-1, l.st.ellipsis())))
	}
	return lines
}

// prioritize picks n jobs: running ones, then failed ones, then the rest in
// plan order.
func prioritize(jobs []*jobState, n int) []*jobState {
	out := make([]*jobState, 0, n)
	for _, want := range []func(store.Status) bool{
		func(s store.Status) bool { return s == store.StatusRunning },
		func(s store.Status) bool { return s == store.StatusFailed },
		func(s store.Status) bool { return s != store.StatusRunning && s != store.StatusFailed },
	} {
		for _, j := range jobs {
			if len(out) == n {
				return out
			}
			if want(j.status) {
				out = append(out, j)
			}
		}
	}
	return out
}

// marker is a job's uncoloured status symbol, a spinner frame while it runs.
func (l *live) marker(j *jobState, now time.Time) string {
	if j.status == store.StatusRunning {
		return l.st.spinner(now)
	}
	return l.st.symbol(j.status)
}

// jobLine is "<symbol> <job>  <duration>  <step or reason>", cut to fit the
// window's width so that no line wraps (wrapping would break cursor-up).
func (l *live) jobLine(j *jobState, now time.Time, width, symW int) string {
	dur := ""
	if !j.started.IsZero() || j.duration > 0 {
		dur = formatDuration(j.elapsed(now))
	}
	detail, dim := "", false
	switch j.status {
	case store.StatusRunning:
		detail = j.step
		if detail == "" {
			detail = "starting"
		}
		detail += attempt(j.attempt)
	case store.StatusSkipped:
		detail, dim = clean(j.reason), true
	case store.StatusPending, store.StatusSucceeded:
	default:
		detail = jobDetail(j, style{ascii: l.st.ascii})
	}
	id := j.id
	idW := l.t.longestJob
	fixed := symW + 1 + idW + 2 + durColWidth
	room := width - 1 - fixed
	if room < 0 { // a very long id: shorten it rather than wrap
		idW = max(idW+room, 1)
		id = truncate(id, idW, l.st.ellipsis())
		room = 0
	}
	line := l.st.paint(statusColor(j.status), pad(l.marker(j, now), symW)) + " " +
		pad(id, idW) + "  " + padLeft(l.st.paint(sgrDim, dur), durColWidth+len(l.st.paint(sgrDim, dur))-len(dur))
	if detail != "" && room > 2 {
		detail = truncate(detail, room-2, l.st.ellipsis())
		if dim {
			detail = l.st.paint(sgrDim, detail)
		}
		line += "  " + detail
	}
	return strings.TrimRight(line, " ")
}
