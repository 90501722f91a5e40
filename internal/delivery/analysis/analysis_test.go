package analysis

import (
	"strings"
	"testing"
)

func TestAnalysisLimits(t *testing.T) {
	const S, F, I, E = Successful, Failed, Inconclusive, Error
	tests := []struct {
		name     string
		limits   Limits
		outcomes []Outcome
		verdicts []Verdict // after each Add
		finish   Verdict   // after Finish
		reason   string
	}{
		{"defaults: first failure fails", DefaultLimits(), []Outcome{S, F, S},
			[]Verdict{Continue, Fail, Fail}, Fail, "1 failed measurement, limit 0"},
		{"failure limit 2", Limits{FailureLimit: 2, ConsecutiveErrorLimit: 4}, []Outcome{F, S, F, F},
			[]Verdict{Continue, Continue, Continue, Fail}, Fail, "3 failed measurements, limit 2"},
		{"defaults: first inconclusive pauses", DefaultLimits(), []Outcome{S, I},
			[]Verdict{Continue, Pause}, Pause, "1 inconclusive measurement, limit 0"},
		{"inconclusive limit 1", Limits{InconclusiveLimit: 1, ConsecutiveErrorLimit: 4}, []Outcome{I, S, I},
			[]Verdict{Continue, Continue, Pause}, Pause, "2 inconclusive measurements, limit 1"},
		{"defaults: four errors in a row tolerated", DefaultLimits(), []Outcome{E, E, E, E, S},
			[]Verdict{Continue, Continue, Continue, Continue, Continue}, Pass, "1 of 5 measurements successful"},
		{"defaults: the fifth error in a row fails", DefaultLimits(), []Outcome{E, E, E, E, E},
			[]Verdict{Continue, Continue, Continue, Continue, Fail}, Fail, "5 measurement errors in a row, limit 4"},
		{"errors interrupted", DefaultLimits(), []Outcome{E, E, E, S, E, E, E, E},
			[]Verdict{Continue, Continue, Continue, Continue, Continue, Continue, Continue, Continue}, Pass, ""},
		{"zero limits: any error fails", Limits{}, []Outcome{E},
			[]Verdict{Fail}, Fail, "1 measurement error in a row, limit 0"},
		{"count reached passes", Limits{ConsecutiveErrorLimit: 4, Count: 3}, []Outcome{S, E, S, F},
			[]Verdict{Continue, Continue, Pass, Pass}, Pass, "2 of 3 measurements successful"},
		{"nothing successful pauses at finish", Limits{InconclusiveLimit: 5, ConsecutiveErrorLimit: 4}, []Outcome{I, E, I},
			[]Verdict{Continue, Continue, Continue}, Pause, "no successful measurement in 3 measurements (2 inconclusive, 1 error)"},
		{"failure while paused fails", DefaultLimits(), []Outcome{I, F},
			[]Verdict{Pause, Fail}, Fail, "1 failed measurement"},
		{"negative limits count as 0", Limits{FailureLimit: -3, ConsecutiveErrorLimit: -1}, []Outcome{F},
			[]Verdict{Fail}, Fail, "limit 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAnalysis(tt.limits)
			for i, o := range tt.outcomes {
				if got := a.Add(Result{Outcome: o, Reasons: []string{"because " + string(o)}}); got != tt.verdicts[i] {
					t.Fatalf("after %d (%s): verdict %s, want %s", i+1, o, got, tt.verdicts[i])
				}
			}
			if got := a.Finish(); got != tt.finish {
				t.Fatalf("finish: %s, want %s", got, tt.finish)
			}
			if st := a.Status(); !strings.Contains(st.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", st.Reason, tt.reason)
			}
		})
	}
}

func TestAnalysisResumeAndStatus(t *testing.T) {
	a := NewAnalysis(DefaultLimits())
	a.Add(Result{Outcome: Successful})
	if v := a.Add(Result{Outcome: Inconclusive, Reasons: []string{"only 12 requests, need 100"}}); v != Pause {
		t.Fatalf("verdict %s, want Pause", v)
	}
	st := a.Status()
	if st.Reason != "1 inconclusive measurement, limit 0: only 12 requests, need 100" {
		t.Errorf("reason = %q", st.Reason)
	}
	// Paused: successes do not leave Pause, a human does.
	if v := a.Add(Result{Outcome: Successful}); v != Pause {
		t.Fatalf("success while paused: %s, want Pause", v)
	}
	a.Resume()
	if st := a.Status(); st.Verdict != Continue || st.Inconclusive != 0 || st.Successful != 2 || st.Measurements != 3 {
		t.Fatalf("after resume: %+v", st)
	}
	if v := a.Add(Result{Outcome: Inconclusive}); v != Pause {
		t.Fatalf("inconclusive after resume: %s, want Pause again", v)
	}
	a.Resume()
	if v := a.Finish(); v != Pass {
		t.Fatalf("finish after resume: %s, want Pass", v)
	}
	a.Resume() // no effect on a final verdict
	if v := a.Add(Result{Outcome: Failed}); v != Pass {
		t.Fatalf("add after Pass: %s, want Pass to stand", v)
	}
	if st := a.Status(); st.Failed != 0 {
		t.Errorf("a result after the final verdict was counted: %+v", st)
	}
}
