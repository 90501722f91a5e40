package ui

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/store"
)

func TestPlainGolden(t *testing.T) {
	tests := []struct {
		golden string
		opts   Options
	}{
		{"plain.golden", Options{Mode: ModePlain, Color: ColorNever, Tail: 3}},
		{"plain_ascii.golden", Options{Mode: ModePlain, Color: ColorNever, ASCII: true, Tail: 3}},
		{"plain_color.golden", Options{Mode: ModePlain, Color: ColorAlways, Tail: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			var buf bytes.Buffer
			tc.opts.Now = func() time.Time { return at(64400) }
			r := New(&buf, tc.opts)
			if _, ok := r.(*plain); !ok {
				t.Fatalf("New(ModePlain) = %T, want *plain", r)
			}
			var observe engine.Observer = r.Handle // what the engine is given
			for _, e := range events(script()) {
				observe(e)
			}
			if err := r.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			golden(t, tc.golden, buf.String())
		})
	}
}

func TestPlainHasNoEscapesWithoutColor(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf, Options{Mode: ModePlain, Color: ColorNever, Now: func() time.Time { return at(0) }})
	for _, e := range events(script()) {
		r.Handle(e)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// The one escape allowed is the log text itself, passed through as is.
	out = strings.Replace(out, "\x1b[31mFAIL\x1b[0m example/loans", "", 1)
	if strings.Contains(out, "\x1b") {
		t.Errorf("plain output without colour holds an escape sequence:\n%q", out)
	}
}

func TestPlainPadsToLongestJobSoFar(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf, Options{Mode: ModePlain, Color: ColorNever})
	r.Handle(logEv(0, "a", 0, store.Stdout, "one"))
	r.Handle(logEv(0, "longer", 0, store.Stderr, "two"))
	r.Handle(logEv(0, "a", 0, store.Stdout, "three"))
	lines := strings.Split(buf.String(), "\n")
	want := []string{
		"10:00:00.000 a | one",
		"10:00:00.000 longer ! two",
		"10:00:00.000 a      | three",
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d = %q, want %q", i, lines[i], w)
		}
	}
}

func TestSummaryTail(t *testing.T) {
	fail := []engine.Event{
		ev(engine.RunStarted, 0, "", -1, func(e *engine.Event) { e.RunNumber = 3 }),
		ev(engine.JobStarted, 0, "job", -1, nil),
		logEv(5, "job", -1, store.System, "artifact dist/app missing"),
		jobEnd(10, "job", store.StatusFailed, "artifact dist/app missing", 0, ms(10)),
	}
	tests := []struct {
		name string
		tail int
		want []string
		not  []string
	}{
		{"job failure shows its own lines", 0, []string{"✗ job failed: artifact dist/app missing — output:", "    › artifact dist/app missing"}, nil},
		{"negative tail shows no lines", -1, []string{"✗ job failed: artifact dist/app missing\n"}, []string{"output:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			r := New(&buf, Options{Mode: ModePlain, Color: ColorNever, Tail: tc.tail, Now: func() time.Time { return at(20) }})
			for _, e := range fail {
				r.Handle(e)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("output has %q:\n%s", n, out)
				}
			}
			if !strings.HasSuffix(out, "run #3 stopped after 0.0s — 1 failed\n") {
				t.Errorf("final line wrong:\n%s", out)
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("disk full")
}

func TestWriteErrorsReturnedByClose(t *testing.T) {
	for _, mode := range []Mode{ModePlain, ModeLive, ModeJSON} {
		t.Run(mode.String(), func(t *testing.T) {
			w := &failWriter{}
			r := New(w, Options{Mode: mode})
			for _, e := range events(script()) {
				r.Handle(e)
			}
			err := r.Close()
			if err == nil || !strings.Contains(err.Error(), "disk full") {
				t.Fatalf("Close() = %v, want the write error", err)
			}
			if w.n != 1 {
				t.Errorf("writes after the first error: %d writes, want 1", w.n)
			}
			if err2 := r.Close(); err2 == nil {
				t.Errorf("second Close() = nil, want the same error")
			}
		})
	}
}

func TestHandleAfterCloseIgnored(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf, Options{Mode: ModePlain, Color: ColorNever})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	n := buf.Len()
	r.Handle(logEv(0, "a", 0, store.Stdout, "late"))
	if buf.Len() != n {
		t.Errorf("Handle after Close wrote %q", buf.String()[n:])
	}
}
