package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// gatedPipeline has a scan job and two jobs bound to environments, so the
// engine gates each before it starts.
func gatedPipeline(t *testing.T, productionGates string) string {
	return `version: 1
jobs:
  security:
    env: { SLUICE_VULN_DB: "` + vulnDB(t) + `" }
    scan: [deps]
  to-staging:
    needs: [security]
    environment: staging
    steps: [{ run: echo staged }]
  to-production:
    needs: [to-staging]
    environment: production
    steps: [{ run: echo released }]
environments:
  staging: { gates: { mode: block, block: high, require: [deps] } }
  production: { gates: ` + productionGates + ` }
`
}

// TestPipelineGates runs a pipeline whose production gate blocks a medium
// dependency advisory, then suppresses it (first with an expired entry),
// and backtests policies over the stored runs.
func TestPipelineGates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "requirements.txt", "requests==2.25.1\n")
	writeFile(t, dir, "sluice.yaml", gatedPipeline(t, "{ mode: block, block: medium, require: [deps] }"))

	// Run 1: staging admits, production refuses, naming the finding.
	r := sluice(t, dir, "run", "--plain")
	expectCode(t, r, 1)
	run := show(t, dir, "1")
	if j := run.job(t, "to-staging"); j.Status != "succeeded" {
		t.Fatalf("to-staging: %s %s", j.Status, j.Reason)
	}
	prod := run.job(t, "to-production")
	if prod.Status != "failed" || !strings.Contains(prod.Reason, "gate production blocked") ||
		!strings.Contains(prod.Reason, "GHSA-j8r2-6x86-q33q") || !strings.Contains(prod.Reason, "at or above medium") {
		t.Fatalf("to-production: %s %q", prod.Status, prod.Reason)
	}
	if len(prod.Steps) != 0 && prod.Steps[0].Status == "succeeded" {
		t.Fatal("a refused job ran its steps")
	}
	expectContains(t, r, "stdout", r.stdout, "requests")

	// The stored evidence judged again by hand: same answer, recorded.
	r = sluice(t, dir, "gate", "--env", "production", "--run", "1")
	expectCode(t, r, 1)
	expectContains(t, r, "stdout", r.stdout, "GHSA-j8r2-6x86-q33q")
	r = sluice(t, dir, "gate", "--env", "staging", "--run", "1", "--format", "md")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, "Gate `staging`: PASS")

	// Run 2: an expired suppression no longer suppresses, and says so; an
	// entry that matches nothing is stale.
	writeFile(t, dir, ".sluice/ignore.yaml", `suppressions:
  - advisory: GHSA-j8r2-6x86-q33q
    package: requests
    reason: not reachable from our code
    owner: ana
    expires: 2020-01-31
  - rule: no-such-rule
    path: "**"
    reason: old
    owner: bo
`)
	r = sluice(t, dir, "run", "--plain")
	expectCode(t, r, 1)
	r = sluice(t, dir, "gate", "--env", "production", "--run", "2")
	expectCode(t, r, 1)
	for _, want := range []string{"expired on 2020-01-31", "stale suppression", "owner bo"} {
		expectContains(t, r, "stdout", r.stdout, want)
	}

	// Run 3: renewed, the release goes through; the stale entry fails the
	// gate only with --fail-on-stale.
	writeFile(t, dir, ".sluice/ignore.yaml", `suppressions:
  - advisory: GHSA-j8r2-6x86-q33q
    package: requests
    reason: not reachable from our code
    owner: ana
    expires: 2099-01-31
  - rule: no-such-rule
    path: "**"
    reason: old
    owner: bo
`)
	r = sluice(t, dir, "run", "--plain")
	expectCode(t, r, 0)
	expectCode(t, sluice(t, dir, "gate", "--env", "production", "--run", "3"), 0)
	r = sluice(t, dir, "gate", "--env", "production", "--run", "3", "--fail-on-stale")
	expectCode(t, r, 1)
	expectContains(t, r, "stderr", r.stderr, "stale")

	// Backtest: the policy as it is now over the three runs.
	var bt struct {
		Runs []struct {
			Run      int64  `json:"run"`
			Recorded string `json:"recorded"`
			Outcome  string `json:"outcome"`
			Reason   string `json:"reason"`
		} `json:"runs"`
		Pass, Warn, Block, Changed int
	}
	r = sluice(t, dir, "gate", "--env", "production", "--simulate", "--last", "3", "--format", "json")
	expectCode(t, r, 0)
	if err := json.Unmarshal([]byte(r.stdout), &bt); err != nil {
		t.Fatalf("simulate json: %v\n%s", err, r)
	}
	// Today's suppressions apply to every run: all three pass now, two
	// differ from what was recorded at the time.
	if len(bt.Runs) != 3 || bt.Pass != 3 || bt.Changed != 2 || bt.Runs[2].Recorded != "block" {
		t.Fatalf("backtest: %+v", bt)
	}
	// A proposed stricter policy, side by side with the pipeline file.
	writeFile(t, dir, "proposed.yaml", gatedPipeline(t, "{ mode: block, block: low, require: [deps, secrets] }"))
	r = sluice(t, dir, "gate", "--env", "production", "--simulate", "-f", "proposed.yaml")
	expectCode(t, r, 0)
	for _, want := range []string{"#3", "BLOCK", "requires scanner secrets", "0 would pass, 0 warn, 3 block"} {
		expectContains(t, r, "stdout", r.stdout, want)
	}

	// The compliance report of run 3, as JSON and as one HTML file.
	r = sluice(t, dir, "report", "3", "--format", "json")
	expectCode(t, r, 0)
	var rep struct {
		Run       struct{ Number int64 } `json:"run"`
		Decisions []struct {
			Env     string            `json:"env"`
			Outcome string            `json:"outcome"`
			Digests map[string]string `json:"digests"`
		} `json:"decisions"`
		Audit struct {
			Verified bool `json:"verified"`
			Entries  []struct {
				Action string `json:"action"`
			} `json:"entries"`
		} `json:"audit"`
		OWASP2021 []struct {
			ID       string   `json:"id"`
			TestedBy []string `json:"tested_by"`
		} `json:"owasp_2021"`
		Checklist []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"checklist"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report json: %v\n%s", err, r)
	}
	if rep.Run.Number != 3 || len(rep.Decisions) < 2 || !rep.Audit.Verified || len(rep.OWASP2021) != 10 || len(rep.Checklist) == 0 {
		t.Fatalf("report: run %d, %d decisions, audit verified %v, %d OWASP rows, %d checklist items",
			rep.Run.Number, len(rep.Decisions), rep.Audit.Verified, len(rep.OWASP2021), len(rep.Checklist))
	}
	actions := map[string]int{}
	for _, e := range rep.Audit.Entries {
		actions[e.Action]++
	}
	if actions["run.start"] != 1 || actions["run.finish"] != 1 || actions["gate.decide"] < 2 {
		t.Errorf("audit actions of run 3: %v", actions)
	}
	for _, row := range rep.OWASP2021 {
		if row.ID == "A06:2021" && !slices.Contains(row.TestedBy, "deps") {
			t.Errorf("A06:2021 not tested by deps: %v", row.TestedBy)
		}
	}
	html := filepath.Join(dir, "report.html")
	r = sluice(t, dir, "report", "3", "-o", html)
	expectCode(t, r, 0)
	data, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", "A06:2021", "GHSA-j8r2-6x86-q33q", "production"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(string(data), "<script") || strings.Contains(string(data), "<link") {
		t.Error("report.html loads or runs something; it must be self-contained")
	}
}

// TestGateBaselineOnlyNewBlock judges a report against the previous
// release's: with new_only, only the finding that is new blocks.
func TestGateBaselineOnlyNewBlock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", `version: 1
jobs:
  security: { scan: [deps] }
environments:
  production: { gates: { mode: block, block: medium, new_only: true } }
`)
	writeFile(t, dir, "requirements.txt", "requests==2.25.1\n")
	old := filepath.Join(dir, "old.json")
	expectCode(t, sluice(t, dir, "scan", "-q", "--scanners", "deps", "--vuln-db", vulnDB(t), "--json", old), 0)
	writeFile(t, dir, "requirements.txt", "requests==2.25.1\nurllib3==1.26.4\n")
	cur := filepath.Join(dir, "new.json")
	expectCode(t, sluice(t, dir, "scan", "-q", "--scanners", "deps", "--vuln-db", vulnDB(t), "--json", cur), 0)

	r := sluice(t, dir, "gate", "--env", "production", "--findings", cur, "--baseline", old)
	expectCode(t, r, 1)
	expectContains(t, r, "stdout", r.stdout, "GHSA-q2q7-5pp4-w6pg")
	expectContains(t, r, "stdout", r.stdout, "1 pre-existing finding")
	if strings.Contains(r.stdout, "GHSA-j8r2-6x86-q33q (medium)") {
		t.Errorf("the baseline's finding blocks:\n%s", r.stdout)
	}
	// Without the baseline both block.
	r = sluice(t, dir, "gate", "--env", "production", "--findings", cur)
	expectCode(t, r, 1)
	expectContains(t, r, "stdout", r.stdout, "GHSA-j8r2-6x86-q33q")
	// The baseline itself judged against itself: nothing new, pass.
	expectCode(t, sluice(t, dir, "gate", "--env", "production", "--findings", old, "--baseline", old), 0)
}
