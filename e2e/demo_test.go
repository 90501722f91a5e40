package e2e

import (
	"os/exec"
	"testing"
)

// TestDemo runs `sluice demo`, which copies the example project and runs
// its whole pipeline (go vet, go test, go build, a smoke test).
func TestDemo(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipped: the demo builds and tests a Go project, and go is not on PATH")
	}
	// The demo copies the project into a temporary folder of TMPDIR: make
	// that one of the test's, so nothing is left behind.
	r := sluiceWith(t, t.TempDir(), []string{"TMPDIR=" + t.TempDir()}, nil, "demo", "--plain")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, "run #1 succeeded")
	// Gates admitted each promotion; delivery promoted the good canary and
	// rolled back the bad one, and the stable release failed no request.
	for _, want := range []string{"production PASS", "2.0.0 live: monitor window passed",
		"2.1.0-bad rolled_back: success_rate >= 99% failed", " by anything else.", "audit chain verified",
		"Stopped the demo's releases and gateway."} {
		expectContains(t, r, "stderr", r.stderr, want)
	}
	expectContains(t, r, "stderr", r.stderr, "rolled it back), 0 by anything else.")
	// With terraform at hand, staging's infrastructure is planned, checked,
	// judged and applied as code.
	if _, err := exec.LookPath("terraform"); err == nil {
		for _, want := range []string{"Plan: 2 to add, 0 to change, 0 to destroy.", "Apply complete! Resources: 2 added, 0 changed, 0 destroyed."} {
			expectContains(t, r, "stdout", r.stdout, want)
		}
	}
}
