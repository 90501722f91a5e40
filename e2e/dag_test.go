package e2e

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// expectedRun is a testdata/<case>/<scenario>.expected.json file: how a run
// of the case's sluice.yaml with args must end.
type expectedRun struct {
	Args   []string `json:"args"`
	Exit   int      `json:"exit"`
	Status string   `json:"status"`
	Reason string   `json:"reason"`
	Jobs   map[string]struct {
		Status   string `json:"status"`
		Reason   string `json:"reason"` // a substring of the job's reason
		ExitCode int    `json:"exit_code"`
	} `json:"jobs"`
	JUnit struct {
		Tests    int `json:"tests"`
		Failures int `json:"failures"`
		Skipped  int `json:"skipped"`
	} `json:"junit"`
}

func loadExpected(t *testing.T, path string) *expectedRun {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var e expectedRun
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &e
}

// event is one line of `sluice run --json`.
type event struct {
	Type   string `json:"type"`
	Run    string `json:"run"`
	Job    string `json:"job"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// TestRunDAG runs testdata/dag in the scenarios next to it: parallel
// independent jobs, dependents that wait, a failure that skips what needs
// it, an always() job, a continue_on_error job; --json events, --junit and
// the plain output on a pipe.
func TestRunDAG(t *testing.T) {
	t.Parallel()
	for _, scenario := range []string{"fail", "pass"} {
		t.Run(scenario, func(t *testing.T) {
			t.Parallel()
			want := loadExpected(t, filepath.Join("testdata", "dag", scenario+".expected.json"))
			dir := fixture(t, "dag")

			args := append([]string{"run", "--json", "--junit", "report.xml", "-p", "4"}, want.Args...)
			r := sluice(t, dir, args...)
			expectCode(t, r, want.Exit)
			checkEvents(t, r, want)

			got := show(t, dir, "1")
			if got.Status != want.Status || got.Error != want.Reason {
				t.Errorf("run: want status %q reason %q, got %q %q", want.Status, want.Reason, got.Status, got.Error)
			}
			var ids []string
			for _, j := range got.Jobs {
				ids = append(ids, j.ID)
				w, ok := want.Jobs[j.ID]
				if !ok {
					t.Errorf("unexpected job %s", j.ID)
					continue
				}
				if j.Status != w.Status || !strings.Contains(j.Reason, w.Reason) || j.ExitCode != w.ExitCode {
					t.Errorf("job %s: want status %s, reason containing %q, exit code %d; got %s, %q, %d",
						j.ID, w.Status, w.Reason, w.ExitCode, j.Status, j.Reason, j.ExitCode)
				}
			}
			if len(ids) != len(want.Jobs) {
				t.Errorf("want jobs %v, got %v", keys(want.Jobs), ids)
			}
			checkTiming(t, got)
			checkJUnit(t, filepath.Join(dir, "report.xml"), want)

			// The same pipeline again, with its output on a pipe: the
			// automatic mode must fall back to plain lines, no ANSI codes.
			r = sluice(t, dir, append([]string{"run", "-p", "4"}, want.Args...)...)
			expectCode(t, r, want.Exit)
			expectContains(t, r, "stdout", r.stdout, "run #2 "+want.Status)
			if strings.Contains(r.stdout+r.stderr, "\x1b") {
				t.Errorf("output on a pipe has ANSI escape sequences (TERM=xterm-256color)\n%q", tail(r.stdout, 2000))
			}
		})
	}
}

// checkEvents checks that every stdout line is a JSON event, that every job
// finished as expected, and that the last event is run.finished.
func checkEvents(t *testing.T, r *result, want *expectedRun) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	var events []event
	for i, l := range lines {
		var ev event
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Type == "" || ev.Run == "" {
			t.Fatalf("--json line %d is not an event (%v): %q\n%s", i+1, err, l, r)
		}
		events = append(events, ev)
	}
	finished := map[string]string{}
	runFinished := 0
	for _, ev := range events {
		switch ev.Type {
		case "job.finished":
			finished[ev.Job] = ev.Status
		case "run.finished":
			runFinished++
		}
	}
	if runFinished != 1 {
		t.Errorf("want one run.finished event, got %d\n%s", runFinished, r)
	}
	if last := events[len(events)-1]; last.Type != "run.finished" || last.Status != want.Status || last.Reason != want.Reason {
		t.Errorf("want the last event to be run.finished %s %q, got %+v", want.Status, want.Reason, last)
	}
	for id, w := range want.Jobs {
		if finished[id] != w.Status {
			t.Errorf("job.finished of %s: want status %q, got %q", id, w.Status, finished[id])
		}
	}
}

// checkTiming proves from the stored timestamps that a and b ran at the same
// time and that dependents started only after what they need had finished.
func checkTiming(t *testing.T, run *shownRun) {
	t.Helper()
	a, b, c := run.job(t, "a"), run.job(t, "b"), run.job(t, "c")
	for _, j := range []*shownJob{a, b, c} {
		if j.StartedAt == nil || j.FinishedAt == nil {
			t.Fatalf("job %s has no start or finish time: %+v", j.ID, j)
		}
	}
	overlap := minTime(*a.FinishedAt, *b.FinishedAt).Sub(maxTime(*a.StartedAt, *b.StartedAt))
	if overlap < 500*time.Millisecond {
		t.Errorf("a (%s–%s) and b (%s–%s) overlap %s; independent jobs should run in parallel",
			a.StartedAt.Format(time.StampMilli), a.FinishedAt.Format(time.StampMilli),
			b.StartedAt.Format(time.StampMilli), b.FinishedAt.Format(time.StampMilli), overlap)
	}
	if c.StartedAt.Before(*a.FinishedAt) || c.StartedAt.Before(*b.FinishedAt) {
		t.Errorf("c started at %s, before its needs a (%s) and b (%s) finished",
			c.StartedAt.Format(time.StampMilli), a.FinishedAt.Format(time.StampMilli), b.FinishedAt.Format(time.StampMilli))
	}
	for _, id := range []string{"d", "e"} {
		j := run.job(t, id)
		if j.StartedAt != nil && j.StartedAt.Before(*c.FinishedAt) {
			t.Errorf("%s started at %s, before c finished (%s)", id, j.StartedAt.Format(time.StampMilli), c.FinishedAt.Format(time.StampMilli))
		}
	}
}

type junitReport struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// checkJUnit parses the --junit report and checks its counts, both the
// totals and the test cases they summarize.
func checkJUnit(t *testing.T, path string, want *expectedRun) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("--junit wrote no report: %v", err)
	}
	var rep junitReport
	if err := xml.Unmarshal(data, &rep); err != nil {
		t.Fatalf("JUnit report does not parse: %v\n%s", err, data)
	}
	if rep.Tests != want.JUnit.Tests || rep.Failures != want.JUnit.Failures || rep.Skipped != want.JUnit.Skipped {
		t.Errorf("JUnit totals: want tests=%d failures=%d skipped=%d, got %d %d %d\n%s",
			want.JUnit.Tests, want.JUnit.Failures, want.JUnit.Skipped, rep.Tests, rep.Failures, rep.Skipped, data)
	}
	var cases, failures, skipped int
	for _, s := range rep.Suites {
		for _, c := range s.Cases {
			cases++
			if c.Failure != nil {
				failures++
			}
			if c.Skipped != nil {
				skipped++
			}
		}
	}
	if cases != rep.Tests || failures != rep.Failures || skipped != rep.Skipped {
		t.Errorf("JUnit totals (%d/%d/%d) do not match its test cases (%d/%d/%d)\n%s",
			rep.Tests, rep.Failures, rep.Skipped, cases, failures, skipped, data)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
