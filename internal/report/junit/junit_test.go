package junit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sluice-ci/sluice/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// fixture is a finished run: lint passes, unit fails in its second step,
// build is skipped, deploy was cancelled, package failed outside its steps,
// and a matrix job passed.
func fixture() (*store.Run, []*store.Job, []*store.Step, func(string, int) []string) {
	run := &store.Run{ID: "r1", Number: 12, Pipeline: "goodbooks", Status: store.StatusFailed,
		StartedAt: at(0), FinishedAt: at(64300)}
	jobs := []*store.Job{
		{RunID: "r1", ID: "lint", Status: store.StatusSucceeded, StartedAt: at(100), FinishedAt: at(1300)},
		{RunID: "r1", ID: "unit", Status: store.StatusFailed, Reason: "step go test failed: exit code 1", ExitCode: 1,
			StartedAt: at(100), FinishedAt: at(2000)},
		{RunID: "r1", ID: "build", Status: store.StatusSkipped, Reason: "needs unit (failed)"},
		{RunID: "r1", ID: "deploy", Status: store.StatusCancelled, Reason: "run cancelled by alice",
			StartedAt: at(2000), FinishedAt: at(3000)},
		{RunID: "r1", ID: "package", Status: store.StatusFailed, Reason: "artifact dist/app not found",
			StartedAt: at(3000), FinishedAt: at(3500)},
		{RunID: "r1", ID: "test[go=1.22,os=linux]", Name: "test", Matrix: map[string]string{"os": "linux", "go": "1.22"},
			Status: store.StatusSucceeded, StartedAt: at(100), FinishedAt: at(900)},
	}
	steps := []*store.Step{
		// Out of order on purpose: Write sorts by index.
		{RunID: "r1", JobID: "unit", Index: 1, Name: "go test", Status: store.StatusFailed, ExitCode: 1,
			StartedAt: at(900), FinishedAt: at(2000)},
		{RunID: "r1", JobID: "unit", Index: 0, Status: store.StatusSucceeded, StartedAt: at(150), FinishedAt: at(900)},
		{RunID: "r1", JobID: "unit", Index: 2, Name: "upload coverage", Status: store.StatusPending},
		{RunID: "r1", JobID: "lint", Index: 0, Name: "go vet", Status: store.StatusSucceeded, StartedAt: at(150), FinishedAt: at(1300)},
		{RunID: "r1", JobID: "deploy", Index: 0, Name: "push", Status: store.StatusCancelled, ExitCode: -1,
			StartedAt: at(2000), FinishedAt: at(3000)},
		{RunID: "r1", JobID: "package", Index: 0, Name: "tar", Status: store.StatusSucceeded, StartedAt: at(3000), FinishedAt: at(3400)},
		{RunID: "r1", JobID: "test[go=1.22,os=linux]", Index: 0, Name: "go test", Status: store.StatusSucceeded,
			StartedAt: at(100), FinishedAt: at(900)},
		{RunID: "r1", JobID: "ghost", Index: 0, Name: "not a listed job", Status: store.StatusFailed},
	}
	logs := func(job string, step int) []string {
		switch {
		case job == "unit" && step == 1:
			return []string{
				"ok   example/pkg 0.01s",
				"--- FAIL: TestBorrow (0.00s)",
				`    loans_test.go:12: got <nil> & "x", want 'y'`,
				"\x1b[31mFAIL\x1b[0m\texample/loans\r",
			}
		case job == "deploy" && step == 0:
			return []string{"pushing image", "context canceled"}
		case job == "package" && step == -1:
			return []string{"saving artifacts", "dist/app: no such file"}
		}
		return nil
	}
	return run, jobs, steps, logs
}

func TestWriteGolden(t *testing.T) {
	run, jobs, steps, logs := fixture()
	var buf bytes.Buffer
	if err := Write(&buf, run, jobs, steps, logs); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "run.golden.xml")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("report mismatch (-want +got):\n%s", diff)
	}
}

// parsed is what a CI tool reads back.
type parsed struct {
	Name     string `xml:"name,attr"`
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Stamp    string `xml:"timestamp,attr"`
		Cases    []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parse(t *testing.T, b []byte) parsed {
	t.Helper()
	var p parsed
	if err := xml.Unmarshal(b, &p); err != nil {
		t.Fatalf("report is not well-formed XML: %v\n%s", err, b)
	}
	return p
}

func TestWriteCounts(t *testing.T) {
	run, jobs, steps, logs := fixture()
	var buf bytes.Buffer
	if err := Write(&buf, run, jobs, steps, logs); err != nil {
		t.Fatal(err)
	}
	p := parse(t, buf.Bytes())
	type counts struct{ Tests, Failures, Errors, Skipped int }
	got := map[string]counts{}
	for _, s := range p.Suites {
		got[s.Name] = counts{s.Tests, s.Failures, s.Errors, s.Skipped}
		c := counts{Tests: len(s.Cases)}
		for _, tc := range s.Cases {
			switch {
			case tc.Failure != nil:
				c.Failures++
			case tc.Error != nil:
				c.Errors++
			case tc.Skipped != nil:
				c.Skipped++
			}
		}
		if c != got[s.Name] {
			t.Errorf("suite %s: attributes say %+v, cases say %+v", s.Name, got[s.Name], c)
		}
	}
	want := map[string]counts{
		"lint":                   {1, 0, 0, 0},
		"unit":                   {3, 1, 0, 1},
		"build":                  {1, 0, 0, 1},
		"deploy":                 {1, 0, 1, 0},
		"package":                {2, 1, 0, 0},
		"test[go=1.22,os=linux]": {1, 0, 0, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suite counts (-want +got):\n%s", diff)
	}
	if p.Name != "goodbooks" || p.Tests != 9 || p.Failures != 2 || p.Errors != 1 || p.Skipped != 2 || p.Time != "64.300" {
		t.Errorf("totals = %s tests=%d failures=%d errors=%d skipped=%d time=%s",
			p.Name, p.Tests, p.Failures, p.Errors, p.Skipped, p.Time)
	}
	unit := p.Suites[1]
	if unit.Stamp != "2024-05-01T10:00:00Z" {
		t.Errorf("unit timestamp = %q", unit.Stamp)
	}
	if names := []string{unit.Cases[0].Name, unit.Cases[1].Name, unit.Cases[2].Name}; !cmp.Equal(names, []string{"step 1", "go test", "upload coverage"}) {
		t.Errorf("unit case names = %q, want steps in index order", names)
	}
	f := unit.Cases[1].Failure
	if f == nil || f.Message != "exit code 1" || f.Type != "exit" {
		t.Fatalf("unit go test failure = %+v", f)
	}
	if !strings.Contains(f.Text, `got <nil> & "x", want 'y'`) || !strings.Contains(f.Text, "FAIL\texample/loans\n") {
		t.Errorf("failure text lost or mangled log lines:\n%s", f.Text)
	}
	if s := p.Suites[2].Cases[0].Skipped; s == nil || s.Message != "needs unit (failed)" {
		t.Errorf("skipped job case = %+v, want the job's reason", s)
	}
}

func TestControlCharactersStayWellFormed(t *testing.T) {
	run := &store.Run{ID: "r2", Pipeline: "p\x00ipe"}
	jobs := []*store.Job{{ID: "j\x01ob", Status: store.StatusFailed}}
	steps := []*store.Step{{JobID: "j\x01ob", Index: 0, Name: "st\x1b[1mep", Status: store.StatusFailed, ExitCode: 2, Reason: "bad\x07"}}
	line := "nul\x00 bell\x07 esc\x1b[2J vt\x0b ff\x0c \xff\xfe bad utf8 \U0001F600 ]]> <!-- \uFFFE end"
	var buf bytes.Buffer
	err := Write(&buf, run, jobs, steps, func(string, int) []string { return []string{line} })
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, buf.Bytes())
	c := p.Suites[0].Cases[0]
	if p.Name != "pipe" || p.Suites[0].Name != "job" || c.Name != "step" {
		t.Errorf("names not cleaned: %q %q %q", p.Name, p.Suites[0].Name, c.Name)
	}
	want := "bad\nnul bell esc vt ff \uFFFD\uFFFD bad utf8 \U0001F600 ]]> <!--  end\n"
	if c.Failure == nil || c.Failure.Text != want {
		t.Errorf("failure text = %q, want %q", c.Failure, want)
	}
	for _, b := range buf.Bytes() {
		if b < 0x20 && b != '\n' && b != '\t' {
			t.Errorf("output holds control byte %#x", b)
		}
	}
}

func TestLongLogsKeepTheEnd(t *testing.T) {
	lines := make([]string, MaxLogLines+50)
	for i := range lines {
		lines[i] = "line"
	}
	lines[len(lines)-1] = "the last line"
	lines[0] = "the first line"
	run := &store.Run{ID: "r3", Pipeline: "p"}
	jobs := []*store.Job{{ID: "j", Status: store.StatusFailed}}
	steps := []*store.Step{{JobID: "j", Index: 0, Status: store.StatusFailed, ExitCode: 1}}
	var buf bytes.Buffer
	if err := Write(&buf, run, jobs, steps, func(string, int) []string { return lines }); err != nil {
		t.Fatal(err)
	}
	text := parse(t, buf.Bytes()).Suites[0].Cases[0].Failure.Text
	if strings.Contains(text, "the first line") || !strings.Contains(text, "the last line") {
		t.Errorf("failure text does not keep the last %d lines", MaxLogLines)
	}
	if n := strings.Count(text, "\n"); n != MaxLogLines {
		t.Errorf("failure text has %d lines, want %d", n, MaxLogLines)
	}
}

func TestEmptyAndUnfinished(t *testing.T) {
	run := &store.Run{ID: "r4", Status: store.StatusRunning, StartedAt: at(0)}
	jobs := []*store.Job{
		{ID: "waiting", Status: store.StatusPending},
		{ID: "busy", Status: store.StatusRunning, StartedAt: at(0)},
		{ID: "nosteps", Status: store.StatusSucceeded, StartedAt: at(0), FinishedAt: at(1500)},
	}
	var buf bytes.Buffer
	if err := Write(&buf, run, jobs, nil, nil); err != nil {
		t.Fatal(err)
	}
	p := parse(t, buf.Bytes())
	if p.Name != "sluice" || p.Tests != 3 || p.Skipped != 2 || p.Failures != 0 || p.Time != "1.500" {
		t.Errorf("totals = %+v", p)
	}
	msgs := []string{p.Suites[0].Cases[0].Skipped.Message, p.Suites[1].Cases[0].Skipped.Message}
	if !cmp.Equal(msgs, []string{"not run", "still running"}) {
		t.Errorf("skip messages = %q", msgs)
	}
	if c := p.Suites[2].Cases[0]; c.Name != JobCase || c.Skipped != nil || c.Failure != nil {
		t.Errorf("job without steps = %+v, want one passing case", c)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	run, jobs, steps, logs := fixture()
	if err := Write(failWriter{}, run, jobs, steps, logs); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Write to a failing writer = %v", err)
	}
	if err := Write(&bytes.Buffer{}, nil, nil, nil, nil); err == nil {
		t.Error("Write without a run succeeded")
	}
}
