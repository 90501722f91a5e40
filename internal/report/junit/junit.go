// Package junit writes a run as JUnit XML, the report format CI tools
// (Jenkins, GitLab, GitHub test reporters) read: one test suite per job and
// one test case per step.
//
// It works from store entities only, so a run read back from the store is
// reported the same way as one that just finished.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// MaxLogLines caps the log lines kept in one failure; the last ones are kept.
const MaxLogLines = 200

// JobCase is the name of the test case standing for a job as a whole: a job
// skipped entirely, a job without steps, or a job that failed outside its steps.
const JobCase = "(job)"

// The XML shapes. Field order is attribute and element order.
type testSuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Stamp    string      `xml:"timestamp,attr,omitempty"`
	Suites   []testSuite `xml:"testsuite"`
}

type testSuite struct {
	Name       string      `xml:"name,attr"`
	Tests      int         `xml:"tests,attr"`
	Failures   int         `xml:"failures,attr"`
	Errors     int         `xml:"errors,attr"`
	Skipped    int         `xml:"skipped,attr"`
	Time       string      `xml:"time,attr"`
	Stamp      string      `xml:"timestamp,attr,omitempty"`
	Properties *properties `xml:"properties,omitempty"`
	Cases      []testCase  `xml:"testcase"`
}

type properties struct {
	List []property `xml:"property"`
}

type property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type testCase struct {
	Classname string   `xml:"classname,attr"`
	Name      string   `xml:"name,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *outcome `xml:"failure,omitempty"`
	Error     *outcome `xml:"error,omitempty"`
	Skipped   *skipped `xml:"skipped,omitempty"`
}

// outcome is a <failure> or an <error>: a message, a type and the output.
type outcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type skipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// Write writes run as JUnit XML to w. jobs are reported in the order given;
// steps may hold the steps of every job (they are grouped by JobID and sorted
// by Index). logs returns the last log lines of a job's step, or of the job
// itself when step is -1; it is called for failed and errored cases only and
// may be nil.
func Write(w io.Writer, run *store.Run, jobs []*store.Job, steps []*store.Step, logs func(jobID string, step int) []string) error {
	if run == nil {
		return fmt.Errorf("write junit report: no run")
	}
	byJob := map[string][]*store.Step{}
	for _, s := range steps {
		byJob[s.JobID] = append(byJob[s.JobID], s)
	}
	if logs == nil {
		logs = func(string, int) []string { return nil }
	}
	doc := testSuites{Name: clean(run.Pipeline), Stamp: stamp(run.StartedAt)}
	if doc.Name == "" {
		doc.Name = "sluice"
	}
	var sum time.Duration
	for _, j := range jobs {
		js := byJob[j.ID]
		sort.SliceStable(js, func(a, b int) bool { return js[a].Index < js[b].Index })
		suite := buildSuite(j, js, logs)
		doc.Suites = append(doc.Suites, suite)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Skipped += suite.Skipped
		sum += span(j.StartedAt, j.FinishedAt)
	}
	total := span(run.StartedAt, run.FinishedAt)
	if total == 0 {
		total = sum
	}
	doc.Time = seconds(total)

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit report of run %s: %w", run.ID, err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit report of run %s: %w", run.ID, err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit report of run %s: %w", run.ID, err)
	}
	return nil
}

// span is end-start, or 0 when either is unknown or they are out of order.
func span(start, end time.Time) time.Duration {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return 0
	}
	return end.Sub(start)
}

// seconds prints d in seconds with millisecond precision, as JUnit wants.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}

// stamp prints t in ISO 8601, or nothing when t is unknown.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}
