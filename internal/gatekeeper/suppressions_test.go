package gatekeeper

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/store"
)

// TestStoredSuppressions: a standing stored suppression of the run's
// project lets a blocking finding through when the gate judges again; one
// of another project, an expired one and a revoked one do not, and the
// decision's suppressions digest tells each set apart.
func TestStoredSuppressions(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	f := dep("example.org/a", "GHSA-aaaa", findings.High)
	r := fx.run([]findings.Finding{f}, healthy("secrets", "deps", "gosec"), 90)
	r.Project = "web"
	if err := fx.st.Runs().UpdateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	ev, err := RunEvidence(ctx, fx.st, r.ID, []string{"security", "test"})
	if err != nil {
		t.Fatal(err)
	}
	fp := ev.Findings[0].Fingerprint
	judge := func() *Judgement {
		t.Helper()
		j, err := fx.k.Judge(ctx, "staging", ev, Options{Run: r, Jobs: []string{"security", "test"}})
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	before := judge()
	if before.Decision.Outcome != gate.Block || before.Digests["suppressions"] != "none" {
		t.Fatalf("without suppressions: %s, digest %s", before.Decision.Outcome, before.Digests["suppressions"])
	}
	suppress := func(project string, expires time.Time) *store.Suppression {
		t.Helper()
		s := &store.Suppression{Project: project, Fingerprint: fp, Reason: "not reachable from our code", Owner: "platform",
			Expires: expires, CreatedBy: "bo"}
		if err := fx.st.Suppressions().CreateSuppression(ctx, s, &store.AuditRecord{Actor: "bo", Action: "suppression.create"}); err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Another project's suppression does not apply.
	suppress("other", now.Add(24*time.Hour))
	if j := judge(); j.Decision.Outcome != gate.Block || j.Digests["suppressions"] != "none" {
		t.Fatalf("another project's suppression applied: %s %s", j.Decision.Outcome, j.Digests["suppressions"])
	}

	// The project's own does, on re-judging and at admission.
	s := suppress("web", now.Add(30*24*time.Hour))
	j := judge()
	if j.Decision.Outcome != gate.Pass || len(j.Decision.Suppressed) != 1 {
		t.Fatalf("a stored suppression did not let the finding through: %s %+v", j.Decision.Outcome, j.Decision.Reasons)
	}
	by := j.Decision.Suppressed[0].By
	if by == nil || by.ID != s.ID || by.Owner != "platform" || !strings.Contains(j.Decision.Suppressed[0].Why, "stored suppression") {
		t.Errorf("suppressed by %+v: %s", by, j.Decision.Suppressed[0].Why)
	}
	withStored := j.Digests["suppressions"]
	if withStored == "none" || withStored == before.Digests["suppressions"] {
		t.Errorf("the suppressions digest does not cover the stored suppression: %s", withStored)
	}
	if lines, err := fx.admit(r, "to-staging", "staging"); err != nil {
		t.Fatalf("admission ignored the stored suppression: %v\n%s", err, strings.Join(lines, "\n"))
	}

	// The ignore file's entries and the stored ones both count, in one digest.
	ignore := "suppressions:\n  - rule: nothing-matches\n    path: \"**\"\n    reason: r\n    owner: o\n"
	if err := os.MkdirAll(filepath.Join(fx.dir, ".sluice"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fx.dir, ".sluice", "ignore.yaml"), []byte(ignore), 0o644); err != nil {
		t.Fatal(err)
	}
	j = judge()
	if j.Decision.Outcome != gate.Pass || len(j.Decision.Stale) != 1 || j.Digests["suppressions"] == withStored {
		t.Errorf("file and store together: %s, stale %+v, digest %s", j.Decision.Outcome, j.Decision.Stale, j.Digests["suppressions"])
	}
	if err := os.Remove(filepath.Join(fx.dir, ".sluice", "ignore.yaml")); err != nil {
		t.Fatal(err)
	}

	// Revoked, it no longer suppresses.
	if err := fx.st.Suppressions().RevokeSuppression(ctx, s.ID, "cy", now, &store.AuditRecord{Actor: "cy", Action: "suppression.revoke",
		Subject: store.SuppressionSubject(s.ID)}); err != nil {
		t.Fatal(err)
	}
	if j := judge(); j.Decision.Outcome != gate.Block || j.Digests["suppressions"] != "none" {
		t.Fatalf("a revoked suppression still applies: %s %s", j.Decision.Outcome, j.Digests["suppressions"])
	}
	if _, err := fx.admit(r, "to-staging", "staging"); err == nil {
		t.Fatal("admitted after the suppression was revoked")
	}

	// Expired, it no longer suppresses, and the decision says so.
	old := suppress("web", now.Add(-time.Hour))
	j = judge()
	if j.Decision.Outcome != gate.Block || len(j.Decision.Expired) != 1 || j.Decision.Expired[0].ID != old.ID {
		t.Fatalf("an expired stored suppression: %s, expired %+v", j.Decision.Outcome, j.Decision.Expired)
	}
	said := false
	for _, r := range j.Decision.Reasons {
		if r.Kind == gate.KindExpired && strings.Contains(r.Message, "stored suppression") && strings.Contains(r.Message, "revoke it") {
			said = true
		}
	}
	if !said {
		t.Errorf("no reason says the stored suppression expired: %+v", j.Decision.Reasons)
	}
	if !strings.Contains(j.Decision.Blocking[0].Why, "expired on") {
		t.Errorf("the blocking finding does not mention the expired suppression: %s", j.Decision.Blocking[0].Why)
	}

	// Report files (no stored run) see the ignore file only.
	jf, err := fx.k.Judge(ctx, "staging", ev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if jf.Digests["suppressions"] != "none" {
		t.Errorf("report files were judged with stored suppressions: %s", jf.Digests["suppressions"])
	}
}

func TestCheckSuppression(t *testing.T) {
	ok := store.Suppression{Fingerprint: "fp", Reason: "r", Owner: "o", Expires: now.Add(24 * time.Hour)}
	if err := CheckSuppression(&ok, now); err != nil {
		t.Fatalf("a sound suppression: %v", err)
	}
	for what, change := range map[string]func(s *store.Suppression){
		"no selector":     func(s *store.Suppression) { s.Fingerprint = "" },
		"rule, no path":   func(s *store.Suppression) { s.Fingerprint, s.Rule = "", "G304" },
		"bad glob":        func(s *store.Suppression) { s.Rule, s.Path = "G304", "a/[" },
		"no reason":       func(s *store.Suppression) { s.Reason = " " },
		"no owner":        func(s *store.Suppression) { s.Owner = "" },
		"no expiry":       func(s *store.Suppression) { s.Expires = time.Time{} },
		"expired":         func(s *store.Suppression) { s.Expires = now.Add(-time.Second) },
		"too far":         func(s *store.Suppression) { s.Expires = now.Add(MaxSuppressionAge + time.Hour) },
		"long reason":     func(s *store.Suppression) { s.Reason = strings.Repeat("x", maxReason+1) },
		"control in rule": func(s *store.Suppression) { s.Fingerprint, s.Rule, s.Path = "", "a\x1b", "**" },
	} {
		s := ok
		change(&s)
		if err := CheckSuppression(&s, now); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
	for in, want := range map[string]time.Time{
		"2026-12-31":           time.Date(2026, 12, 31, 23, 59, 59, 999999000, time.UTC),
		"2026-12-31T10:00:00Z": time.Date(2026, 12, 31, 10, 0, 0, 0, time.UTC),
	} {
		if got, err := ParseExpiry(in); err != nil || !got.Equal(want) {
			t.Errorf("ParseExpiry(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseExpiry("next week"); err == nil {
		t.Error("ParseExpiry accepted prose")
	}
}

// TestUsedBaseline: the baseline a decision judged against is found again
// and checked against the decision's digest; without one nothing is said.
func TestUsedBaseline(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	old := dep("example.org/old", "GHSA-old", findings.High)
	r1 := fx.run([]findings.Finding{old}, healthy("secrets", "deps", "gosec"), 90)
	if b, err := UsedBaseline(ctx, fx.st, r1); err != nil || b != nil {
		t.Fatalf("a run without decisions has a baseline: %+v %v", b, err)
	}
	j, err := fx.k.Judge(ctx, "production", &Evidence{Health: healthy("secrets", "deps", "gosec")}, Options{Run: r1, Jobs: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.k.Record(ctx, r1, "to-production", j); err != nil {
		t.Fatal(err)
	}
	r2 := fx.run([]findings.Finding{old, dep("example.org/new", "GHSA-new", findings.High)}, healthy("secrets", "deps", "gosec"), 90)
	if _, err := fx.admit(r2, "to-production", "production"); err == nil {
		t.Fatal("the new finding did not block")
	}
	b, err := UsedBaseline(ctx, fx.st, r2)
	if err != nil || b == nil {
		t.Fatalf("UsedBaseline: %+v %v", b, err)
	}
	ev, _ := RunEvidence(ctx, fx.st, r2.ID, nil)
	for _, f := range ev.Findings {
		if b.Fingerprints[f.Fingerprint] != (f.RuleID == "GHSA-old") {
			t.Errorf("%s in the baseline: %v", f.RuleID, b.Fingerprints[f.Fingerprint])
		}
	}
	if b.Env != "production" || b.Run.ID != r1.ID || !strings.Contains(b.From, "run #1") {
		t.Errorf("baseline: %+v", b)
	}
	// A baseline that no longer matches its digest is not guessed at.
	ds, _ := fx.st.Decisions().ListDecisions(ctx, r2.ID)
	ds[len(ds)-1].Digests["baseline"] = "sha256:other"
	d := *ds[len(ds)-1]
	d.ID = 0
	r3 := fx.run([]findings.Finding{old}, healthy("secrets", "deps", "gosec"), 90)
	d.RunID = r3.ID
	if err := fx.st.Decisions().PutDecision(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if b, err := UsedBaseline(ctx, fx.st, r3); err != nil || b != nil {
		t.Errorf("a baseline that does not match its digest: %+v %v", b, err)
	}
}
