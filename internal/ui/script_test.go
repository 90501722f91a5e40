package ui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// base is the fixed start of the scripted run.
var base = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// at is base plus ms milliseconds.
func at(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// phase is a slice of a scripted run, with the time a live frame drawn after
// it shows.
type phase struct {
	now    time.Time
	events []engine.Event
}

func ev(typ engine.EventType, t int, job string, step int, f func(*engine.Event)) engine.Event {
	e := engine.Event{Type: typ, Time: at(t), RunID: "r1", JobID: job, Step: step}
	if f != nil {
		f(&e)
	}
	return e
}

func logEv(t int, job string, step int, stream store.Stream, text string) engine.Event {
	return ev(engine.LogLine, t, job, step, func(e *engine.Event) { e.Stream, e.Text = stream, text })
}

func stepStart(t int, job string, step int, name string) engine.Event {
	return ev(engine.StepStarted, t, job, step, func(e *engine.Event) { e.StepName, e.Attempt = name, 1 })
}

func stepEnd(t int, job string, step int, name string, st store.Status, exit int, d time.Duration) engine.Event {
	return ev(engine.StepFinished, t, job, step, func(e *engine.Event) {
		e.StepName, e.Status, e.ExitCode, e.Duration = name, st, exit, d
	})
}

func jobEnd(t int, job string, st store.Status, reason string, exit int, d time.Duration) engine.Event {
	return ev(engine.JobFinished, t, job, -1, func(e *engine.Event) {
		e.Status, e.Reason, e.ExitCode, e.Duration = st, reason, exit, d
	})
}

// script is a run of five jobs: lint succeeds, unit fails in its second step,
// build and deploy are skipped, docs-site retries a step and succeeds.
func script() []phase {
	var unitLines []engine.Event
	for i := 1; i <= 6; i++ {
		unitLines = append(unitLines, logEv(1000+i*100, "unit", 1, store.Stdout, fmt.Sprintf("ok   example/pkg%d 0.0%ds", i, i)))
	}
	unitLines = append(unitLines,
		logEv(1800, "unit", 1, store.Stderr, "--- FAIL: TestBorrow (0.00s)"),
		logEv(1850, "unit", 1, store.Stderr, "\x1b[31mFAIL\x1b[0m example/loans\r"),
	)
	p := []phase{
		{now: at(50), events: []engine.Event{
			ev(engine.RunStarted, 0, "", -1, func(e *engine.Event) { e.RunNumber = 12 }),
			ev(engine.JobQueued, 10, "lint", -1, func(e *engine.Event) { e.Status = store.StatusPending }),
			ev(engine.JobQueued, 10, "unit", -1, func(e *engine.Event) { e.Status = store.StatusPending }),
			ev(engine.JobQueued, 10, "build", -1, func(e *engine.Event) { e.Status = store.StatusPending }),
			ev(engine.JobQueued, 10, "deploy", -1, func(e *engine.Event) { e.Status = store.StatusPending }),
			ev(engine.JobQueued, 10, "docs-site", -1, func(e *engine.Event) { e.Status = store.StatusPending }),
		}},
		{now: at(950), events: []engine.Event{
			ev(engine.JobStarted, 100, "lint", -1, func(e *engine.Event) { e.Attempt = 1 }),
			ev(engine.JobStarted, 100, "unit", -1, func(e *engine.Event) { e.Attempt = 1 }),
			ev(engine.JobStarted, 100, "docs-site", -1, func(e *engine.Event) { e.Attempt = 1 }),
			stepStart(150, "lint", 0, "go vet"),
			logEv(200, "lint", 0, store.Stdout, "vetting ./..."),
			stepStart(150, "unit", 0, ""),
			logEv(300, "unit", 0, store.Stdout, "go: downloading modules"),
			stepEnd(900, "unit", 0, "", store.StatusSucceeded, 0, ms(750)),
			stepStart(900, "unit", 1, "go test"),
			stepStart(150, "docs-site", 0, "build docs"),
			logEv(800, "docs-site", 0, store.System, "step failed (exit code 1), retrying (attempt 2 of 2)"),
			ev(engine.StepStarted, 900, "docs-site", 0, func(e *engine.Event) { e.StepName, e.Attempt = "build docs", 2 }),
		}},
		{now: at(2500), events: append(unitLines,
			stepEnd(2000, "unit", 1, "go test", store.StatusFailed, 1, ms(1100)),
			jobEnd(2000, "unit", store.StatusFailed, "step go test failed: exit code 1", 1, ms(1900)),
			stepEnd(1300, "lint", 0, "go vet", store.StatusSucceeded, 0, ms(1150)),
			jobEnd(1300, "lint", store.StatusSucceeded, "", 0, ms(1200)),
			jobEnd(2000, "build", store.StatusSkipped, "needs unit (failed)", 0, 0),
			jobEnd(2000, "deploy", store.StatusSkipped, "needs build (skipped)", 0, 0),
		)},
		{now: at(64400), events: []engine.Event{
			logEv(64000, "docs-site", 0, store.Stdout, "site built"),
			stepEnd(64200, "docs-site", 0, "build docs", store.StatusSucceeded, 0, ms(63300)),
			jobEnd(64200, "docs-site", store.StatusSucceeded, "", 0, ms(64100)),
			ev(engine.RunFinished, 64300, "", -1, func(e *engine.Event) {
				e.RunNumber, e.Status, e.Duration = 12, store.StatusFailed, ms(64300)
			}),
		}},
	}
	return p
}

// events flattens a script.
func events(ps []phase) []engine.Event {
	var out []engine.Event
	for _, p := range ps {
		out = append(out, p.events...)
	}
	return out
}

// golden compares got with testdata/name, rewriting the file with -update.
// Escape and carriage-return bytes are shown as \e and \r so the files stay
// readable.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = strings.NewReplacer("\x1b", `\e`, "\r", `\r`).Replace(got)
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}
