package ui

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/store"
)

var cursorUpRE = regexp.MustCompile(`\x1b\[\d+A`)

// newTestLive returns a live renderer whose ticker never fires during the
// test, so frames are drawn only when the test says.
func newTestLive(buf *bytes.Buffer, c *clock, opts Options, width, height int) *live {
	opts.Mode = ModeLive
	opts.Interval = time.Hour
	opts.Now = c.now
	l := New(buf, opts).(*live)
	l.size = func() (int, int) { return width, height }
	return l
}

// tick draws a frame as the ticker would.
func (l *live) tick() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.draw()
}

func TestLiveGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		opts   Options
	}{
		{"live.golden", Options{Color: ColorNever, Tail: 3}},
		{"live_color.golden", Options{Color: ColorAlways, Tail: 3}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var buf bytes.Buffer
			c := &clock{}
			l := newTestLive(&buf, c, tc.opts, 80, 24)
			for _, p := range script() {
				for _, e := range p.events {
					l.Handle(e)
				}
				c.t = p.now
				l.tick()
				l.tick() // nothing changed: no second write
				buf.WriteString("<tick>\n")
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden, buf.String())
		})
	}
}

func TestLiveRedrawsInPlace(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: at(50)}
	l := newTestLive(&buf, c, Options{Color: ColorNever}, 80, 24)
	ps := script()
	for _, e := range ps[0].events {
		l.Handle(e)
	}
	l.tick()
	first := buf.String()
	if cursorUpRE.MatchString(first) {
		t.Fatalf("first frame moves the cursor up: %q", first)
	}
	if got := strings.Count(first, clearLine); got != 5 {
		t.Errorf("first frame clears %d lines, want 5: %q", got, first)
	}
	buf.Reset()
	for _, e := range ps[1].events {
		l.Handle(e)
	}
	c.t = at(950)
	l.tick()
	second := buf.String()
	if !strings.HasPrefix(second, "\x1b[5A"+clearLine) {
		t.Errorf("second frame does not start by moving up 5 lines: %q", second)
	}
	if !strings.Contains(second, "⠏ unit         0.8s  go test") {
		t.Errorf("second frame does not show unit's current step and duration: %q", second)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLiveShortWindow(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: at(5000)}
	l := newTestLive(&buf, c, Options{Color: ColorNever}, 80, 5)
	for i := range 8 {
		l.Handle(ev(engine.JobQueued, 0, fmt.Sprintf("job%d", i), -1, nil))
	}
	l.Handle(ev(engine.JobStarted, 1000, "job6", -1, nil))
	l.Handle(jobEnd(2000, "job5", store.StatusFailed, "boom", 1, ms(1000)))
	l.Handle(jobEnd(2000, "job0", store.StatusSucceeded, "", 0, ms(1000)))
	l.mu.Lock()
	got := l.frame(c.now(), 80, 5)
	l.mu.Unlock()
	want := []string{
		"⠋ job6    4.0s  starting",
		"✗ job5    1.0s  boom",
		"✓ job0    1.0s",
		"… 5 more",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("frame:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLiveLinesNeverWrap(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: at(1000)}
	l := newTestLive(&buf, c, Options{Color: ColorAlways}, 30, 24)
	l.Handle(ev(engine.JobStarted, 0, "a-job-with-a-long-matrix-id[go=1.22,os=linux]", -1, nil))
	l.Handle(ev(engine.JobStarted, 0, "b", -1, nil))
	l.Handle(stepStart(0, "b", 0, "a step whose name is far too long for thirty columns"))
	l.Handle(jobEnd(0, "c", store.StatusSkipped, "needs a-job-with-a-long-matrix-id (failed) and more", 0, 0))
	l.mu.Lock()
	lines := l.frame(c.now(), 30, 24)
	l.mu.Unlock()
	for _, s := range lines {
		if n := utf8.RuneCountInString(clean(s)); n > 29 {
			t.Errorf("line %q is %d columns wide, want at most 29", clean(s), n)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestLiveConcurrent runs Handle on one goroutine while the ticker redraws
// every millisecond; run it with -race.
func TestLiveConcurrent(t *testing.T) {
	var buf syncBuffer
	r := New(&buf, Options{Mode: ModeLive, Color: ColorNever, Interval: time.Millisecond})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, p := range script() {
			for _, e := range p.events {
				e.Time = time.Now()
				r.Handle(e)
				time.Sleep(200 * time.Microsecond)
			}
			time.Sleep(3 * time.Millisecond)
		}
	}()
	wg.Wait()
	// On a loaded machine the ticker may lag; give it time for one redraw.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if strings.Contains(buf.String(), "\x1b[5A") {
			break
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "\x1b[5A") {
		t.Errorf("no redraw moved the cursor up over the five jobs:\n%q", out)
	}
	if !strings.Contains(out, "run #12 failed in 1m04s — 2 succeeded, 1 failed, 2 skipped") {
		t.Errorf("summary missing:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the ticker and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
