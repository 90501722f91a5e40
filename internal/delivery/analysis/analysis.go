package analysis

import (
	"fmt"
	"strings"
)

// Verdict is what an Analysis says the rollout should do.
type Verdict string

// The verdicts of an Analysis.
const (
	// Continue: keep measuring.
	Continue Verdict = "Continue"
	// Pass: the analysis succeeded; promote (or end the monitor).
	Pass Verdict = "Pass"
	// Fail: the analysis failed; roll back.
	Fail Verdict = "Fail"
	// Pause: the analysis cannot decide; hold the rollout for a human, who
	// resumes it (Analysis.Resume), promotes or rolls back.
	Pause Verdict = "Pause"
)

// Limits bound how many bad measurements an Analysis tolerates, like Argo
// Rollouts' failureLimit, consecutiveErrorLimit and inconclusiveLimit. A
// limit counts what is tolerated: the measurement that goes over it ends
// the analysis. Negative values count as 0. The zero Limits tolerates
// nothing; DefaultLimits gives Argo Rollouts' defaults.
type Limits struct {
	// FailureLimit is how many Failed measurements are tolerated in
	// total; one more makes the verdict Fail.
	FailureLimit int
	// ConsecutiveErrorLimit is how many Error measurements in a row are
	// tolerated; one more makes the verdict Fail. Any other outcome resets
	// the run of errors.
	ConsecutiveErrorLimit int
	// InconclusiveLimit is how many Inconclusive measurements are
	// tolerated in total; one more makes the verdict Pause.
	InconclusiveLimit int
	// Count, when above 0, is the number of measurements (of any outcome)
	// after which the analysis finishes by itself (see Finish). At 0 it
	// runs until the caller calls Finish (the end of a canary step or of a
	// monitor window).
	Count int
}

// DefaultLimits returns FailureLimit 0, ConsecutiveErrorLimit 4,
// InconclusiveLimit 0 and Count 0: the first failure fails, five errors
// in a row fail, the first inconclusive measurement pauses.
func DefaultLimits() Limits {
	return Limits{ConsecutiveErrorLimit: 4}
}

// Analysis accumulates the Results of repeated measurements into a
// Verdict. It is not safe for concurrent use.
//
// After each Add the checks run in this order, the first that applies
// deciding: more Failed than FailureLimit → Fail; more consecutive Errors
// than ConsecutiveErrorLimit → Fail; more Inconclusive than
// InconclusiveLimit → Pause; Count reached → as Finish; otherwise
// Continue. Pass and Fail are final: later Adds change nothing. While
// paused, Adds are still counted and can turn the verdict to Fail, but
// nothing else leaves Pause except Resume.
type Analysis struct {
	limits Limits
	st     Status
}

// Status is an Analysis' verdict with the counts behind it.
type Status struct {
	Verdict Verdict
	// Reason explains a Pass, Fail or Pause verdict; empty for Continue.
	Reason string
	// Measurements counts every Result added; the others count by
	// outcome. ConsecutiveErrors is the current run of Errors.
	Measurements, Successful, Failed, Inconclusive, Errors, ConsecutiveErrors int
	// Last is the latest Result added.
	Last Result
}

// NewAnalysis starts an analysis with the given limits.
func NewAnalysis(l Limits) *Analysis {
	l.FailureLimit = max(l.FailureLimit, 0)
	l.ConsecutiveErrorLimit = max(l.ConsecutiveErrorLimit, 0)
	l.InconclusiveLimit = max(l.InconclusiveLimit, 0)
	l.Count = max(l.Count, 0)
	return &Analysis{limits: l, st: Status{Verdict: Continue}}
}

// Add counts one measurement's Result and returns the verdict.
func (a *Analysis) Add(r Result) Verdict {
	if a.st.Verdict == Pass || a.st.Verdict == Fail {
		return a.st.Verdict
	}
	s := &a.st
	s.Measurements++
	s.Last = r
	switch r.Outcome {
	case Successful:
		s.Successful++
		s.ConsecutiveErrors = 0
	case Failed:
		s.Failed++
		s.ConsecutiveErrors = 0
	case Inconclusive:
		s.Inconclusive++
		s.ConsecutiveErrors = 0
	default: // Error, and any outcome this package does not know
		s.Errors++
		s.ConsecutiveErrors++
	}
	l := a.limits
	switch {
	case s.Failed > l.FailureLimit:
		a.decide(Fail, fmt.Sprintf("%s, limit %d", plural(s.Failed, "failed measurement"), l.FailureLimit))
	case s.ConsecutiveErrors > l.ConsecutiveErrorLimit:
		a.decide(Fail, fmt.Sprintf("%s in a row, limit %d", plural(s.ConsecutiveErrors, "measurement error"), l.ConsecutiveErrorLimit))
	case s.Verdict == Pause:
	case s.Inconclusive > l.InconclusiveLimit:
		a.decide(Pause, fmt.Sprintf("%s, limit %d", plural(s.Inconclusive, "inconclusive measurement"), l.InconclusiveLimit))
	case l.Count > 0 && s.Measurements >= l.Count:
		a.Finish()
	}
	return s.Verdict
}

// Finish ends the analysis, at the end of its window or when Count is
// reached, and returns the verdict: an earlier Fail, Pass or Pause
// stands; otherwise Pass when at least one measurement was Successful,
// and Pause when none was (the whole window was inconclusive or errors:
// no evidence either way).
func (a *Analysis) Finish() Verdict {
	s := &a.st
	if s.Verdict != Continue {
		return s.Verdict
	}
	if s.Successful == 0 {
		a.st.Verdict, a.st.Reason = Pause, fmt.Sprintf("no successful measurement in %s (%d inconclusive, %s)",
			plural(s.Measurements, "measurement"), s.Inconclusive, plural(s.Errors, "error"))
		if s.Last.Outcome != "" && len(s.Last.Reasons) > 0 {
			a.st.Reason += ": " + strings.Join(s.Last.Reasons, "; ")
		}
		return s.Verdict
	}
	s.Verdict = Pass
	s.Reason = fmt.Sprintf("%d of %s successful", s.Successful, plural(s.Measurements, "measurement"))
	return s.Verdict
}

// Resume continues a paused analysis after a human's decision: the
// inconclusive count and the run of errors start again from 0. It does
// nothing unless the verdict is Pause.
func (a *Analysis) Resume() {
	if a.st.Verdict != Pause {
		return
	}
	a.st.Verdict, a.st.Reason = Continue, ""
	a.st.Inconclusive, a.st.ConsecutiveErrors = 0, 0
}

// Status returns the verdict and the counts behind it.
func (a *Analysis) Status() Status {
	s := a.st
	s.Last.Reasons = append([]string(nil), s.Last.Reasons...)
	return s
}

// decide sets a verdict with its reason and the last result's reasons.
func (a *Analysis) decide(v Verdict, reason string) {
	if len(a.st.Last.Reasons) > 0 {
		reason += ": " + strings.Join(a.st.Last.Reasons, "; ")
	}
	a.st.Verdict, a.st.Reason = v, reason
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
