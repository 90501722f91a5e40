package analysis

import (
	"strings"
	"testing"
)

func TestParseConditions(t *testing.T) {
	tests := []struct {
		key, text string
		op        string
		threshold float64
		str       string
	}{
		{"success_rate", ">= 99%", ">=", 0.99, "success_rate >= 99%"},
		{"success_rate", ">=99.5 %", ">=", 0.995, "success_rate >= 99.5 %"},
		{"success_rate", ">= 0.99", ">=", 0.99, "success_rate >= 0.99"},
		{"error_rate", "> 2%", ">", 0.02, "error_rate > 2%"},
		{"error_rate", "  < 0.05 ", "<", 0.05, "error_rate < 0.05"},
		{"p99", "<= 500ms", "<=", 0.5, "p99 <= 500ms"},
		{"p50", "< 1.5s", "<", 1.5, "p50 < 1.5s"},
		{"p90", "<1m", "<", 60, "p90 < 1m"},
		{"p95", "<= 250us", "<=", 0.00025, "p95 <= 250us"},
		{"rps", ">= 10", ">=", 10, "rps >= 10"},
		{"rps", "> 2.5/s", ">", 2.5, "rps > 2.5/s"},
		{"success_rate", "== 100%", "==", 1, "success_rate == 100%"},
		{"min_requests", "100", ">=", 100, "min_requests >= 100"},
		{"min_requests", ">= 0", ">=", 0, "min_requests >= 0"},
	}
	for _, tt := range tests {
		conds, err := ParseConditions(map[string]string{tt.key: tt.text})
		if err != nil {
			t.Errorf("%s: %q: %v", tt.key, tt.text, err)
			continue
		}
		c := conds[0]
		if c.Key != tt.key || c.Op != tt.op || !near(c.Threshold, tt.threshold, 1e-12) || c.String() != tt.str {
			t.Errorf("%s: %q = %+v (%s), want %s %v (%s)", tt.key, tt.text, c, c, tt.op, tt.threshold, tt.str)
		}
	}
}

func TestParseConditionsErrors(t *testing.T) {
	tests := []struct {
		key, text string
		want      []string // all must appear in the error
	}{
		{"latency", "<= 1s", []string{`"latency"`, "unknown metric", "success_rate, error_rate, p50, p90, p95, p99, rps, min_requests"}},
		{"success_rate", "99%", []string{"success_rate", `"99%"`, "no comparison", ">= 99%"}},
		{"success_rate", ">= 99", []string{"success_rate", `">= 99"`, "between 0 and 1", "99%"}},
		{"success_rate", ">= 120%", []string{"success_rate", "between 0% and 100%"}},
		{"error_rate", "> lots", []string{"error_rate", `"> lots"`, "not a rate"}},
		{"error_rate", "> NaN", []string{"error_rate", "not a rate"}},
		{"p99", "<= 500", []string{"p99", `"<= 500"`, "needs a unit"}},
		{"p99", "<= fast", []string{"p99", "not a duration"}},
		{"p99", "<= -5ms", []string{"p99", "cannot be negative"}},
		{"p99", "<=", []string{"p99", "no threshold"}},
		{"p99", "= 1s", []string{"p99", "no comparison"}},
		{"p99", "=> 1s", []string{"p99", "no comparison"}},
		{"rps", "> -1", []string{"rps", "not a rate"}},
		{"min_requests", "lots", []string{"min_requests", `"lots"`, "whole number"}},
		{"min_requests", "1.5", []string{"min_requests", "whole number"}},
		{"min_requests", "< 100", []string{"min_requests", "plain count"}},
	}
	for _, tt := range tests {
		_, err := ParseConditions(map[string]string{tt.key: tt.text})
		if err == nil {
			t.Errorf("%s: %q: no error", tt.key, tt.text)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q: error %q does not mention %q", tt.key, tt.text, err, w)
			}
		}
	}
}

func TestParseConditionsAllErrorsAndOrder(t *testing.T) {
	_, err := ParseConditions(map[string]string{"p99": "fast", "rps": "many", "success_rate": ">= 99%"})
	if err == nil || !strings.Contains(err.Error(), "p99") || !strings.Contains(err.Error(), "rps") {
		t.Fatalf("err = %v, want both bad keys reported", err)
	}
	conds, err := ParseConditions(map[string]string{"min_requests": "5", "p99": "< 1s", "error_rate": "< 1%", "success_rate": "> 90%"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range conds {
		keys = append(keys, c.Key)
	}
	if got := strings.Join(keys, ","); got != "success_rate,error_rate,p99,min_requests" {
		t.Errorf("order = %s", got)
	}
	if conds, err := ParseConditions(nil); err != nil || len(conds) != 0 {
		t.Errorf("no conditions: %v, %v", conds, err)
	}
}
