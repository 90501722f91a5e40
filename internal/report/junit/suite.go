package junit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sluice-ci/sluice/internal/store"
)

// buildSuite reports one job: a case per step, plus a case for the job
// itself when it was skipped, has no steps, or ended badly outside its steps.
func buildSuite(j *store.Job, steps []*store.Step, logs func(string, int) []string) testSuite {
	s := testSuite{
		Name:       clean(j.ID),
		Time:       seconds(span(j.StartedAt, j.FinishedAt)),
		Stamp:      stamp(j.StartedAt),
		Properties: jobProperties(j),
	}
	switch {
	case j.Status == store.StatusSkipped:
		s.Cases = []testCase{jobCase(j, logs)}
	default:
		explained := false
		for _, st := range steps {
			c := stepCase(j, st, logs)
			s.Cases = append(s.Cases, c)
			if st.Status == j.Status {
				explained = true
			}
		}
		if len(steps) == 0 || !explained && bad(j.Status) {
			s.Cases = append(s.Cases, jobCase(j, logs))
		}
	}
	for _, c := range s.Cases {
		s.Tests++
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	return s
}

// bad reports whether a status is a failure or an error.
func bad(st store.Status) bool {
	return st == store.StatusFailed || st == store.StatusCancelled || st == store.StatusInterrupted
}

// jobProperties lists a job's display name and matrix values, or is nil.
func jobProperties(j *store.Job) *properties {
	var ps []property
	if j.Name != "" && j.Name != j.ID {
		ps = append(ps, property{Name: "job.name", Value: clean(j.Name)})
	}
	keys := make([]string, 0, len(j.Matrix))
	for k := range j.Matrix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ps = append(ps, property{Name: "matrix." + clean(k), Value: clean(j.Matrix[k])})
	}
	if len(ps) == 0 {
		return nil
	}
	return &properties{List: ps}
}

// stepCase reports one step.
func stepCase(j *store.Job, st *store.Step, logs func(string, int) []string) testCase {
	name := st.Name
	if name == "" {
		name = fmt.Sprintf("step %d", st.Index+1)
	}
	c := testCase{Classname: clean(j.ID), Name: clean(name), Time: seconds(span(st.StartedAt, st.FinishedAt))}
	mark(&c, st.Status, st.ExitCode, st.Reason, func() []string { return logs(j.ID, st.Index) })
	return c
}

// jobCase reports a job as a whole.
func jobCase(j *store.Job, logs func(string, int) []string) testCase {
	c := testCase{Classname: clean(j.ID), Name: JobCase, Time: seconds(span(j.StartedAt, j.FinishedAt))}
	mark(&c, j.Status, j.ExitCode, j.Reason, func() []string { return logs(j.ID, -1) })
	return c
}

// mark sets a case's outcome from a status: failed is a <failure>,
// cancelled and interrupted an <error>, and anything that did not run to an
// end a <skipped>.
func mark(c *testCase, st store.Status, exit int, reason string, lines func() []string) {
	switch st {
	case store.StatusSucceeded:
	case store.StatusFailed:
		o := &outcome{Message: "failed", Type: "failure"}
		if exit != 0 {
			o.Message, o.Type = fmt.Sprintf("exit code %d", exit), "exit"
		} else if reason != "" {
			o.Message = clean(reason)
		}
		o.Text = body(reason, exit != 0, lines())
		c.Failure = o
	case store.StatusCancelled, store.StatusInterrupted:
		msg := string(st)
		if reason != "" {
			msg += ": " + clean(reason)
		}
		c.Error = &outcome{Message: msg, Type: string(st), Text: body("", false, lines())}
	case store.StatusSkipped:
		c.Skipped = &skipped{Message: clean(reason)}
	case store.StatusRunning:
		c.Skipped = &skipped{Message: "still running"}
	default:
		msg := "not run"
		if reason != "" {
			msg += ": " + clean(reason)
		}
		c.Skipped = &skipped{Message: msg}
	}
}

// body is the text of a failure: the reason when the message does not hold
// it, then the last log lines, cleaned for XML.
func body(reason string, withReason bool, lines []string) string {
	if len(lines) > MaxLogLines {
		lines = lines[len(lines)-MaxLogLines:]
	}
	var b strings.Builder
	if withReason && reason != "" {
		b.WriteString(clean(reason))
		b.WriteString("\n")
	}
	for _, l := range lines {
		b.WriteString(clean(l))
		b.WriteString("\n")
	}
	return b.String()
}
