package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
)

const suppressPipeline = `version: 1
name: t
jobs:
  security:
    scan: [deps]
  to-production:
    needs: [security]
    environment: production
    steps: [{ run: "true" }]
environments:
  production: { gates: { mode: block, block: high } }
`

// TestSuppressionsCommands: sluice suppressions add makes sluice gate,
// judging a stored run again, let a blocking finding through; revoked, it
// blocks again. Both changes are audit records.
func TestSuppressionsCommands(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(file, []byte(suppressPipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, ".sluice")
	st, err := sqlstore.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	r := &store.Run{Pipeline: "t", File: "sluice.yaml", Spec: []byte(suppressPipeline), Workdir: dir, Status: store.StatusSucceeded}
	if err := st.Runs().CreateRun(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"version": 1, "scanners": []map[string]any{{"scanner": "deps", "status": "ran"}},
		"findings": []map[string]any{{"fingerprint": "fp-dep", "scanner": "osv", "rule_id": "GHSA-aaaa", "category": "deps", "severity": "high",
			"title": "vulnerable", "location": map[string]any{"path": "go.mod", "package": "example.org/a", "version": "1.0.0"},
			"sources": []map[string]string{{"scanner": "osv", "rule_id": "GHSA-aaaa"}}}}})
	if err := st.Evidence().PutEvidence(t.Context(), &store.Evidence{RunID: r.ID, JobID: "security", Kind: "scan", Body: body}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	gate := []string{"gate", "--env", "production", "--run", "1", "-f", file, "--data", data}
	if code, out, errOut := runSluice(t, gate...); code != ExitFailed || !strings.Contains(out, "GHSA-aaaa") {
		t.Fatalf("before suppressing: exit %d\n%s%s", code, out, errOut)
	}
	expires := time.Now().AddDate(0, 2, 0).Format(time.DateOnly)
	add := []string{"suppressions", "add", "--data", data, "--reason", "not reachable", "--owner", "platform", "--expires", expires}
	for what, args := range map[string][]string{
		"no reason":           {"suppressions", "add", "fp-dep", "--data", data, "--owner", "o", "--expires", expires},
		"no expiry":           {"suppressions", "add", "fp-dep", "--data", data, "--owner", "o", "--reason", "r"},
		"too far":             append(append([]string{}, add...), "fp-dep", "--expires", time.Now().AddDate(1, 1, 0).Format(time.DateOnly)),
		"unknown fingerprint": append(append([]string{}, add...), "fp-never"),
		"rule without path":   append(append([]string{}, add...), "--rule", "G304"),
	} {
		if code, out, errOut := runSluice(t, args...); code != ExitUsage {
			t.Errorf("%s: exit %d, want %d\n%s%s", what, code, ExitUsage, out, errOut)
		}
	}
	code, out, errOut := runSluice(t, append(add, "fp-dep")...)
	if code != ExitOK || !strings.Contains(out, "stored suppression 1 of this workspace's runs: fingerprint fp-dep, owner platform") {
		t.Fatalf("add: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runSluice(t, gate...)
	if code != ExitOK || !strings.Contains(out, "PASS") || !strings.Contains(out, "(by platform: not reachable)") {
		t.Fatalf("judged again with the stored suppression: exit %d\n%s%s", code, out, errOut)
	}
	if _, out, _ := runSluice(t, "suppressions", "list", "--data", data); !strings.Contains(out, "1   active  fingerprint fp-dep  platform") {
		t.Errorf("list:\n%s", out)
	}
	if code, out, errOut := runSluice(t, "suppressions", "revoke", "1", "--data", data); code != ExitOK || !strings.Contains(out, "revoked suppression 1") {
		t.Fatalf("revoke: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := runSluice(t, "suppressions", "revoke", "1", "--data", data); code != ExitFailed {
		t.Errorf("revoking twice: exit %d", code)
	}
	if code, out, _ := runSluice(t, gate...); code != ExitFailed {
		t.Fatalf("judged again after the revocation: exit %d\n%s", code, out)
	}
	if _, out, _ := runSluice(t, "suppressions", "list", "--data", data); strings.Contains(out, "fp-dep") {
		t.Errorf("list shows a revoked suppression without --all:\n%s", out)
	}
	if _, out, _ := runSluice(t, "suppressions", "list", "--all", "--data", data); !strings.Contains(out, "revoked by") {
		t.Errorf("list --all:\n%s", out)
	}

	st, err = sqlstore.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "suppression/"})
	if err != nil || len(recs) != 2 || recs[0].Action != "suppression.create" || recs[1].Action != "suppression.revoke" || recs[0].Data["fingerprint"] != "fp-dep" {
		t.Errorf("audit: %+v %v", recs, err)
	}
}
