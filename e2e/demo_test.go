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
}
