package policy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestInputDocument checks the document a policy sees, through a policy
// that echoes it, against testdata/input.json (the shape docs/policies.md
// shows).
func TestInputDocument(t *testing.T) {
	s := load(t, map[string]string{"echo.rego": `package echo

warn contains json.marshal(input) if true
`}, "echo.rego")
	in := sample()
	in.Findings[0].CWE = []int{400}
	in.Findings[0].Aliases = []string{"CVE-2023-44487"}
	in.Findings[0].Sources = []findings.Source{{Scanner: "deps", RuleID: "GHSA-qppj-fm5r-hxr3"}}
	in.Scanners[1].DBUpdated = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in.Scanners[1].Duration = 1500 * time.Millisecond
	in.Counts = map[string]map[string]int{"bogus": {"high": 99}} // replaced by Eval
	res := eval(t, s, in)
	if len(res) != 1 {
		t.Fatalf("got %d results, want the echoed input", len(res))
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(res[0].Message), "", "  "); err != nil {
		t.Fatalf("echoed input is not JSON: %v", err)
	}
	pretty.WriteByte('\n')
	golden := filepath.Join("testdata", "input.json")
	if *update {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), pretty.String()); diff != "" {
		t.Errorf("input document (-want +got):\n%s", diff)
	}
}

func TestNewInput(t *testing.T) {
	maxIaC := 2
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	gin := gate.Input{
		Env: "staging",
		Policy: &spec.Gates{Block: "high", Require: []string{"secrets"}, NewOnly: true,
			Categories:    map[string]spec.GateThreshold{"iac": {Block: "medium", MaxCount: &maxIaC}, "sast": {Block: "none"}},
			InlineIgnores: true, FixableOnly: true, KnownExploited: "warn", MaxDBAge: spec.Duration(48 * time.Hour)},
		Findings: []findings.Finding{
			{Fingerprint: "live", Category: findings.SAST, RuleID: "G101", Severity: findings.High},
			{Fingerprint: "expired", Category: findings.SAST, RuleID: "G102", Severity: findings.High},
			{Fingerprint: "marked", Category: findings.SAST, RuleID: "G103", Severity: findings.Low, InlineIgnored: true},
			{Fingerprint: "old", Category: findings.Deps, Severity: findings.Low},
			{Fingerprint: "", Category: findings.Deps, Severity: findings.Critical},
		},
		Health:   []scan.Health{{Scanner: "secrets", Status: scan.Ran}},
		Baseline: []string{"old", ""},
		Suppressions: []gate.Suppression{
			{Fingerprint: "live", Reason: "r", Owner: "o"},
			{Fingerprint: "expired", Reason: "r", Owner: "o", Expires: now.Add(-time.Hour)},
		},
		Now: now,
	}
	run := Run{ID: "r9", Number: 9, Branch: "main"}
	in := NewInput(gin, run)
	want := Input{
		Env: "staging",
		Policy: Gates{Mode: "block", Block: "high", Require: []string{"secrets"}, NewOnly: true,
			Categories:    map[string]Threshold{"iac": {Block: "medium", Max: 2}, "sast": {Block: "none"}},
			InlineIgnores: true, FixableOnly: true, KnownExploited: "warn", MaxDBAge: int64(48 * time.Hour)},
		Findings: []InputFinding{
			{Finding: gin.Findings[0], Suppressed: true},
			{Finding: gin.Findings[1]},
			{Finding: gin.Findings[2], Suppressed: true},
			{Finding: gin.Findings[3], InBaseline: true},
			{Finding: gin.Findings[4]},
		},
		Scanners: gin.Health,
		Run:      run,
		Now:      now,
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("input (-want +got):\n%s", diff)
	}

	// Counts leave out the suppressed finding and hold every category.
	c := counts(in.Findings)
	if c["sast"]["high"] != 1 || c["deps"]["low"] != 1 || c["deps"]["critical"] != 1 || c["dast"]["info"] != 0 || len(c) != 6 || len(c["iac"]) != 5 {
		t.Errorf("counts %v", c)
	}

	// Without inline_ignores a marker does not suppress.
	gin.Policy.InlineIgnores = false
	if NewInput(gin, run).Findings[2].Suppressed {
		t.Error("an inline marker suppressed a finding in an environment that does not honour markers")
	}

	empty := GatesOf(nil)
	if empty.Require == nil || empty.Categories == nil {
		t.Errorf("GatesOf(nil) = %+v, want empty lists, not null", empty)
	}
}
