package spec_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/pipeline/lint"
)

// TestKitchenSink checks that every mistake planted in
// testdata/invalid/kitchen_sink.yaml is reported at its line and column,
// all in one pass, and that nothing else is.
func TestKitchenSink(t *testing.T) {
	planted := []struct {
		at, kind, text string
	}{
		{"6:13", "bad cron", `invalid cron "0 3 * *"`},
		{"7:20", "unknown scheduled job", `unknown job "biuld"`},
		{"10:5", "unknown key with typo", `unknown key "stpes" (hint: did you mean "steps"?)`},
		{"13:19", "unknown need", `unknown job "tset" in needs (hint: did you mean "test"?)`},
		{"14:14", "bad duration", `invalid duration "10 minutes"`},
		{"17:13", "bad expression", "invalid if expression"},
		{"19:12", "cycle", "dependency cycle: test -> deploy -> test"},
		{"20:10", "wrong type", "expected a mapping, got a list"},
		{"22:9", "missing run", "step has no run"},
		{"26:14", "expression in run", "not allowed in run (hint: pass the value through env: to keep it out of the shell)"},
		{"27:3", "duplicate job id", `duplicate job id "build" (hint: first defined at line 12)`},
		{"32:20", "bad enum", `unknown gate mode "strict"`},
		{"34:33", "canary order", "canary step 25% does not increase on 50%"},
	}
	_, ds := lint.Load("testdata/invalid/kitchen_sink.yaml")
	got := map[string]string{}
	for _, d := range ds {
		got[fmt.Sprintf("%d:%d", d.Line, d.Col)] += d.String() + "\n"
	}
	for _, p := range planted {
		if !strings.Contains(got[p.at], p.text) {
			t.Errorf("%s at %s: want %q, got %q", p.kind, p.at, p.text, got[p.at])
		}
		delete(got, p.at)
	}
	for at, d := range got {
		t.Errorf("unexpected diagnostic at %s: %s", at, d)
	}
	if len(ds) != len(planted) {
		t.Errorf("got %d diagnostics, want %d", len(ds), len(planted))
	}
}
