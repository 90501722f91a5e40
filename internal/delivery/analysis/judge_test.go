package analysis

import (
	"strings"
	"testing"
	"time"
)

func mustConds(t *testing.T, m map[string]string) []Condition {
	t.Helper()
	c, err := ParseConditions(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestJudge(t *testing.T) {
	canary := map[string]string{"success_rate": ">= 99%", "p99": "<= 500ms"}
	good := Metrics{Requests: 1000, Errors: 5, SuccessRate: 0.995, ErrorRate: 0.005, P99: 400 * time.Millisecond}
	tests := []struct {
		name     string
		m        Metrics
		conds    map[string]string
		min      int64
		rollback bool
		want     Outcome
		reasons  []string
	}{
		{"all met", good, canary, 100, false, Successful, nil},
		{"too few requests", Metrics{Requests: 12, SuccessRate: 1}, canary, 100, false, Inconclusive, []string{"only 12 requests, need 100"}},
		{"min_requests condition wins", Metrics{Requests: 12, SuccessRate: 1}, map[string]string{"success_rate": ">= 99%", "min_requests": "10"}, 100, false, Successful, nil},
		{"min_requests condition can raise", good, map[string]string{"min_requests": "5000"}, 0, false, Inconclusive, []string{"only 1000 requests, need 5000"}},
		{"no data", Metrics{}, canary, 0, false, Inconclusive, []string{"no data"}},
		{"no data, no metric conditions", Metrics{}, nil, 0, false, Successful, nil},
		{"success rate low", Metrics{Requests: 1000, Errors: 25, SuccessRate: 0.975, ErrorRate: 0.025, P99: 100 * time.Millisecond}, canary, 100, false, Failed,
			[]string{"success_rate >= 99% failed: measured 97.5% over 1000 requests"}},
		{"both fail", Metrics{Requests: 200, SuccessRate: 0.5, P99: 730 * time.Millisecond}, canary, 100, false, Failed,
			[]string{"success_rate >= 99% failed: measured 50%", "p99 <= 500ms failed: measured 730ms"}},
		{"rollback breached", Metrics{Requests: 300, ErrorRate: 0.031}, map[string]string{"error_rate": "> 2%"}, 50, true, Failed,
			[]string{"error_rate > 2% breached: measured 3.1% over 300 requests"}},
		{"rollback quiet", Metrics{Requests: 300, ErrorRate: 0.02}, map[string]string{"error_rate": "> 2%"}, 50, true, Successful, nil},
		{"rollback too little traffic", Metrics{Requests: 3, ErrorRate: 1}, map[string]string{"error_rate": "> 2%"}, 50, true, Inconclusive, []string{"only 3 requests, need 50"}},
		{"equal", Metrics{Requests: 3, SuccessRate: 1 - 1.0/3 - 2.0/3 + 1}, map[string]string{"success_rate": "== 100%"}, 0, false, Successful, nil},
		{"not equal", Metrics{Requests: 300, SuccessRate: 0.999}, map[string]string{"success_rate": "== 100%"}, 0, false, Failed, []string{"success_rate == 100% failed: measured 99.9%"}},
		{"rps", Metrics{Requests: 300, RPS: 4.2}, map[string]string{"rps": ">= 5"}, 0, false, Failed, []string{"rps >= 5 failed: measured 4.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conds := mustConds(t, tt.conds)
			var r Result
			if tt.rollback {
				r = JudgeRollback(tt.m, conds, tt.min)
			} else {
				r = Judge(tt.m, conds, tt.min)
			}
			if r.Outcome != tt.want {
				t.Fatalf("outcome %s (%v), want %s", r.Outcome, r.Reasons, tt.want)
			}
			if len(r.Reasons) != len(tt.reasons) {
				t.Fatalf("reasons %q, want %d like %q", r.Reasons, len(tt.reasons), tt.reasons)
			}
			for i, w := range tt.reasons {
				if !strings.Contains(r.Reasons[i], w) {
					t.Errorf("reason %q does not contain %q", r.Reasons[i], w)
				}
			}
			if r.Metrics.Requests != tt.m.Requests {
				t.Errorf("result metrics not carried: %+v", r.Metrics)
			}
		})
	}
}
