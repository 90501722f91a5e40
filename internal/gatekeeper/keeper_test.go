package gatekeeper

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/scan"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
)

const pipelineSrc = `version: 1
name: t
jobs:
  security:
    scan: [secrets, deps]
  test:
    coverage: { file: cover.out, min: 70 }
    steps: [{ run: "true" }]
  advisory:
    continue_on_error: true
    steps: [{ run: "false" }]
  to-staging:
    needs: [security, test]
    environment: staging
    steps: [{ run: "true" }]
  to-production:
    needs: [to-staging]
    environment: production
    steps: [{ run: "true" }]
environments:
  dev: { gates: { mode: warn, block: low } }
  staging: { gates: { mode: block, block: high, require: [secrets, deps] } }
  production:
    gates: { mode: block, block: medium, new_only: true, require: [secrets, deps, gosec], policies: [policies/] }
`

const policySrc = `package t.rules

deny contains msg if {
	some f in input.findings
	not f.suppressed
	f.rule_id == "forbidden-rule"
	msg := sprintf("rule %s is forbidden in %s", [f.rule_id, input.env])
}
`

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	t   *testing.T
	st  store.Store
	dir string
	p   *spec.Pipeline
	k   *Keeper
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.Open(t.Context(), filepath.Join(dir, ".sluice"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, ds := spec.Parse("sluice.yaml", []byte(pipelineSrc))
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	if err := os.MkdirAll(filepath.Join(dir, "policies"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policies", "t.rego"), []byte(policySrc), 0o644); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, st: st, dir: dir, p: p,
		k: &Keeper{Store: st, Pipeline: p, Dir: dir, Actor: "tester", Now: func() time.Time { return now }}}
}

// run stores a run whose security job reported fs, whose test job wrote
// a coverage profile covering pct percent, and whose advisory job failed.
func (fx *fixture) run(fs []findings.Finding, health []scan.Health, pct int) *store.Run {
	t := fx.t
	t.Helper()
	r := &store.Run{Pipeline: "t", File: "sluice.yaml", Spec: []byte(pipelineSrc), Workdir: fx.dir,
		Status: store.StatusSucceeded, Actor: "ana", Commit: "abc"}
	if err := fx.st.Runs().CreateRun(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	jobs := []*store.Job{
		{RunID: r.ID, ID: "security", Status: store.StatusSucceeded},
		{RunID: r.ID, ID: "test", Status: store.StatusSucceeded},
		{RunID: r.ID, ID: "advisory", Status: store.StatusFailed, Reason: "exit 1"},
		{RunID: r.ID, ID: "to-staging", Status: store.StatusPending},
		{RunID: r.ID, ID: "to-production", Status: store.StatusPending},
	}
	if err := fx.st.Jobs().PutJobs(t.Context(), jobs); err != nil {
		t.Fatal(err)
	}
	for i := range fs {
		fs[i].Fingerprint = findings.Fingerprint(&fs[i])
	}
	body, err := json.Marshal(map[string]any{"version": 1, "findings": fs, "scanners": health})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.st.Evidence().PutEvidence(t.Context(), &store.Evidence{RunID: r.ID, JobID: "security", Kind: "scan", Body: body}); err != nil {
		t.Fatal(err)
	}
	profile := "mode: set\na.go:1.1,2.1 " + itoa(pct) + " 1\na.go:3.1,4.1 " + itoa(100-pct) + " 0\n"
	if err := os.WriteFile(filepath.Join(fx.dir, "cover.out"), []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func healthy(names ...string) []scan.Health {
	var hs []scan.Health
	for _, n := range names {
		hs = append(hs, scan.Health{Scanner: n, Status: scan.Ran})
	}
	return hs
}

func dep(pkg, id string, sev findings.Severity) findings.Finding {
	return findings.Finding{Scanner: "deps", RuleID: id, Category: findings.Deps, Severity: sev, Title: id,
		Location: findings.Location{Path: "go.mod", Package: pkg, Version: "1.0.0", Ecosystem: "Go"}, FixedVersion: "1.0.1"}
}

// admit runs the engine hook for job id of run r.
func (fx *fixture) admit(r *store.Run, job, env string) ([]string, error) {
	var lines []string
	ups := map[string][]string{"to-staging": {"security", "test"}, "to-production": {"security", "test", "to-staging"}}
	err := fx.k.Admit(fx.t.Context(), engine.AdmitRequest{Run: *r, JobID: job, Env: env, Upstream: ups[job],
		Log: func(l string) { lines = append(lines, l) }})
	return lines, err
}

func TestAdmitRecordsAndBlocks(t *testing.T) {
	fx := newFixture(t)
	r := fx.run([]findings.Finding{dep("example.org/a", "GHSA-aaaa", findings.Medium)}, healthy("secrets", "deps", "gosec"), 90)
	if lines, err := fx.admit(r, "to-staging", "staging"); err != nil {
		t.Fatalf("staging (block high) refused a medium finding: %v\n%s", err, strings.Join(lines, "\n"))
	}
	lines, err := fx.admit(r, "to-production", "production")
	if err == nil || !strings.Contains(err.Error(), "gate production blocked") || !strings.Contains(err.Error(), "GHSA-aaaa") {
		t.Fatalf("production (block medium) admitted, or said nothing useful: %v", err)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "blocking:") {
		t.Errorf("the job log does not list the blocking findings:\n%s", strings.Join(lines, "\n"))
	}
	ds, err := fx.st.Decisions().ListDecisions(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Outcome != "pass" || ds[1].Outcome != "block" || ds[1].JobID != "to-production" {
		t.Fatalf("recorded decisions: %+v", ds)
	}
	for _, k := range []string{"findings", "policy", "suppressions"} {
		if !strings.HasPrefix(ds[1].Digests[k], "sha256:") && ds[1].Digests[k] != "none" {
			t.Errorf("decision digest %s = %q", k, ds[1].Digests[k])
		}
	}
	var d gate.Decision
	if err := json.Unmarshal(ds[1].Body, &d); err != nil || d.Outcome != gate.Block {
		t.Errorf("stored body: %v %+v", err, d)
	}
	recs, err := fx.st.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "run/" + r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].Action != "gate.decide" || recs[1].Data["outcome"] != "block" || recs[1].Data["env"] != "production" {
		t.Fatalf("audit records: %+v", recs)
	}
	if err := store.VerifyAudit("", recs); err != nil {
		t.Error(err)
	}
}

func TestRequiredScannerMissingBlocks(t *testing.T) {
	fx := newFixture(t)
	r := fx.run(nil, healthy("secrets"), 90)
	_, err := fx.admit(r, "to-staging", "staging")
	if err == nil || !strings.Contains(err.Error(), "requires scanner deps") {
		t.Fatalf("a missing required scanner did not block: %v", err)
	}
}

func TestCoverageBelowMinimumIsAQualityFinding(t *testing.T) {
	fx := newFixture(t)
	r := fx.run(nil, healthy("secrets", "deps", "gosec"), 50)
	ev, err := RunEvidence(t.Context(), fx.st, r.ID, []string{"security", "test"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := fx.k.Judge(t.Context(), "production", ev, Options{Run: r, Jobs: []string{"security", "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if j.Decision.Outcome != gate.Block || len(j.Decision.Blocking) != 1 || j.Decision.Blocking[0].Finding.RuleID != "coverage-below-minimum" {
		t.Fatalf("coverage 50%% < 70%%: %s %+v", j.Decision.Outcome, j.Decision.Blocking)
	}
	if !strings.Contains(j.Decision.Blocking[0].Finding.Title, "50.0%") {
		t.Errorf("title does not give the figure: %s", j.Decision.Blocking[0].Finding.Title)
	}
	// The failed advisory job counts only when its result is judged.
	j, err = fx.k.Judge(t.Context(), "production", ev, Options{Run: r})
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, b := range j.Decision.Blocking {
		rules = append(rules, b.Finding.RuleID)
	}
	if !slices.Contains(rules, "job-failed") {
		t.Errorf("a failed job allowed to fail is not a quality finding: %v", rules)
	}
}

func TestNewOnlyUsesTheLastAdmittedRun(t *testing.T) {
	fx := newFixture(t)
	old := dep("example.org/old", "GHSA-old", findings.High)
	r1 := fx.run([]findings.Finding{old}, healthy("secrets", "deps", "gosec"), 90)
	// Run 1 reached production once (say through a suppression since removed).
	j, err := fx.k.Judge(t.Context(), "production", &Evidence{Health: healthy("secrets", "deps", "gosec")}, Options{Run: r1, Jobs: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.k.Record(t.Context(), r1, "to-production", j); err != nil {
		t.Fatal(err)
	}
	r2 := fx.run([]findings.Finding{old, dep("example.org/new", "GHSA-new", findings.High)}, healthy("secrets", "deps", "gosec"), 90)
	lines, err := fx.admit(r2, "to-production", "production")
	if err == nil || strings.Contains(err.Error(), "GHSA-old") || !strings.Contains(err.Error(), "GHSA-new") {
		t.Fatalf("want a block naming only the new finding: %v", err)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "1 pre-existing finding") {
		t.Errorf("pre-existing finding not listed:\n%s", strings.Join(lines, "\n"))
	}
}

func TestRegoPolicyDenies(t *testing.T) {
	fx := newFixture(t)
	f := findings.Finding{Scanner: "secrets", RuleID: "forbidden-rule", Category: findings.Secrets, Severity: findings.Low,
		Title: "x", Location: findings.Location{Path: "a.txt", StartLine: 1}}
	r := fx.run([]findings.Finding{f}, healthy("secrets", "deps", "gosec"), 90)
	_, err := fx.admit(r, "to-production", "production")
	if err == nil || !strings.Contains(err.Error(), "rule forbidden-rule is forbidden in production") {
		t.Fatalf("policy deny did not block: %v", err)
	}
	// A broken policy blocks too, naming the file and line.
	if err := os.WriteFile(filepath.Join(fx.dir, "policies", "t.rego"), []byte("package t\n\ndeny contains msg if {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = fx.admit(r, "to-production", "production")
	if err == nil || !strings.Contains(err.Error(), "cannot judge, so it blocks") || !strings.Contains(err.Error(), "t.rego:") {
		t.Fatalf("a broken policy: %v", err)
	}
}

func TestJobsFor(t *testing.T) {
	p, ds := spec.Parse("sluice.yaml", []byte(pipelineSrc))
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	for env, want := range map[string][]string{
		"staging":    {"security", "test"},
		"production": {"security", "test", "to-staging"},
		"dev":        {"advisory", "security", "test"},
	} {
		got, err := JobsFor(p, env)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("JobsFor(%s) = %v, want %v", env, got, want)
		}
	}
}

func TestGoProfile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.out")
	// Two test binaries list the same block; covered once is covered.
	src := "mode: atomic\na.go:1.1,2.1 3 0\na.go:1.1,2.1 3 2\nb.go:1.1,2.1 1 0\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	pct, err := goProfile(path)
	if err != nil || pct != 75 {
		t.Fatalf("goProfile = %v, %v; want 75", pct, err)
	}
	if err := os.WriteFile(path, []byte("mode: set\nnot a line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := goProfile(path); err == nil || !strings.Contains(err.Error(), "c.out:2") {
		t.Errorf("bad profile: %v", err)
	}
}
