package scan

import (
	"context"
	"errors"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
)

// stub scanners inject the outcomes the runner must handle: it is a fault
// injector, not a stand-in for a real scanner.
type stub struct {
	name    string
	applies bool
	err     error
	panics  bool
	found   int
}

func (s stub) Name() string                { return s.name }
func (s stub) Category() findings.Category { return findings.SAST }
func (s stub) Applies(context.Context, *Target) (bool, string) {
	if !s.applies {
		return false, "nothing to scan"
	}
	return true, ""
}
func (s stub) Scan(_ context.Context, _ *Target, report func(findings.Finding)) (Health, error) {
	if s.panics {
		panic("boom")
	}
	for i := 0; i < s.found; i++ {
		report(findings.Finding{RuleID: "r", Location: findings.Location{Path: "f", StartLine: i + 1}})
	}
	return Health{Files: 3}, s.err
}

func TestRunReportsHealthOfEveryScanner(t *testing.T) {
	res := Run(context.Background(), &Target{Root: t.TempDir()}, []Scanner{
		stub{name: "ok", applies: true, found: 2},
		stub{name: "skip"},
		stub{name: "fail", applies: true, err: errors.New("tool crashed")},
		stub{name: "panic", applies: true, panics: true},
	}, nil)
	want := []struct {
		status Status
		reason string
		found  int
	}{{Ran, "", 2}, {Skipped, "nothing to scan", 0}, {Failed, "tool crashed", 0}, {Failed, "scanner crashed: boom", 0}}
	for i, w := range want {
		h := res.Health[i]
		if h.Status != w.status || h.Reason != w.reason || h.Findings != w.found {
			t.Errorf("health[%d] = %+v, want %+v", i, h, w)
		}
	}
	if len(res.Findings) != 2 || res.Findings[0].Scanner != "ok" || res.Findings[0].Category != findings.SAST {
		t.Errorf("findings = %+v", res.Findings)
	}
}
