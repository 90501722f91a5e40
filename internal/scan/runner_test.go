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
	ignored int // how many of the found are marked InlineIgnored
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
		report(findings.Finding{RuleID: "r", Location: findings.Location{Path: "f", StartLine: i + 1}, InlineIgnored: i < s.ignored})
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

// Inline-ignored findings reach the result, marked, and the health counts
// them among the findings and apart.
func TestRunKeepsInlineIgnored(t *testing.T) {
	res := Run(context.Background(), &Target{Root: t.TempDir()}, []Scanner{
		stub{name: "mixed", applies: true, found: 3, ignored: 2},
		stub{name: "plain", applies: true, found: 1},
	}, nil)
	if h := res.Health[0]; h.Findings != 3 || h.Ignored != 2 {
		t.Errorf("mixed: findings %d ignored %d, want 3 and 2", h.Findings, h.Ignored)
	}
	if h := res.Health[1]; h.Findings != 1 || h.Ignored != 0 {
		t.Errorf("plain: findings %d ignored %d, want 1 and 0", h.Findings, h.Ignored)
	}
	marked := 0
	for _, f := range res.Findings {
		if f.InlineIgnored {
			marked++
		}
	}
	if len(res.Findings) != 4 || marked != 2 {
		t.Errorf("%d findings, %d marked; want 4 and 2", len(res.Findings), marked)
	}
}
