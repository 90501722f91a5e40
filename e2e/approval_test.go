package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestApprovalFourEyes runs a pipeline whose production job needs one
// approval that is not the run's author's: the author is refused, a
// colleague's approval lets the job run; a rejection fails the next run.
func TestApprovalFourEyes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", `version: 1
jobs:
  build: { steps: [{ run: echo built }] }
  release:
    needs: [build]
    environment: production
    timeout: 5s
    steps: [{ run: echo released }]
environments:
  production:
    approval: { min: 1, roles: [approver], not_author: true, timeout: 2m }
`)
	alice := []string{"SLUICE_ACTOR=alice"}
	waitPending := func(run string) {
		waitFor(t, 60*time.Second, "an approval request", func() bool {
			r := sluice(t, dir, "approvals")
			return strings.Contains(r.stdout, "#"+run) && strings.Contains(r.stdout, "pending")
		}, func() string { return sluice(t, dir, "approvals").stdout })
	}

	bg := startSluice(t, dir, alice, "run", "--plain")
	waitPending("1")
	// The approval wait does not count against the job's 5s timeout.
	time.Sleep(6 * time.Second)
	r := sluiceWith(t, dir, alice, nil, "approve", "1", "--env", "production")
	expectCode(t, r, 1)
	expectContains(t, r, "stderr", r.stderr, "may not approve")
	r = sluiceWith(t, dir, []string{"SLUICE_ACTOR=bob"}, nil, "approve", "1", "--env", "production", "--comment", "checked")
	expectCode(t, r, 0)
	if code, ok := bg.wait(60 * time.Second); !ok || code != 0 {
		t.Fatalf("run 1 after bob's approval: code %d (ended %v)\n%s", code, ok, bg.output())
	}
	if out := bg.output(); !strings.Contains(out, "approved for production by bob") {
		t.Errorf("the job log does not say who approved:\n%s", out)
	}

	bg = startSluice(t, dir, alice, "run", "--plain")
	waitPending("2")
	expectCode(t, sluiceWith(t, dir, []string{"SLUICE_ACTOR=carol"}, nil, "reject", "2", "--env", "production", "--comment", "not on a Friday"), 0)
	if code, ok := bg.wait(60 * time.Second); !ok || code != 1 {
		t.Fatalf("run 2 after carol's rejection: code %d (ended %v)\n%s", code, ok, bg.output())
	}
	run := show(t, dir, "2")
	if j := run.job(t, "release"); j.Status != "failed" || !strings.Contains(j.Reason, "rejected by carol: not on a Friday") {
		t.Errorf("release job of run 2: %s %q", j.Status, j.Reason)
	}

	r = sluice(t, dir, "audit", "export")
	for _, want := range []string{`"action":"approval.requested"`, `"action":"approval.refused"`, `"actor":"alice"`,
		`"action":"approval.approve"`, `"action":"approval.granted"`, `"action":"approval.reject"`} {
		expectContains(t, r, "stdout", r.stdout, want)
	}
	expectCode(t, sluice(t, dir, "audit", "verify"), 0)
	r = sluice(t, dir, "report", "1", "--format", "json")
	expectContains(t, r, "stdout", r.stdout, `"approver": "bob"`)
}
