package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDASTBlocksProduction deploys the deliberately vulnerable fixture app
// to staging, attacks it there with a scan: [dast] job, and the production
// gate, which requires DAST and blocks high findings, refuses to promote.
func TestDASTBlocksProduction(t *testing.T) {
	t.Parallel()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "dist", "vulnapp"), "./examples/vulnapp")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build vulnapp: %v\n%s", err, out)
	}
	writeFile(t, dir, "sluice.yaml", `version: 1
jobs:
  to-staging:
    environment: staging
    steps: [{ run: '"$SLUICE_BIN" deploy --env staging --artifact dist/vulnapp --version 1.0' }]
  dast-staging:
    needs: [to-staging]
    env: { SLUICE_DAST_ENV: staging }
    scan: [dast]
  to-production:
    needs: [dast-staging]
    environment: production
    steps: [{ run: 'echo would deploy' }]
deploy:
  run: ["${ARTIFACT}", "--addr", "127.0.0.1:${PORT}"]
  health: { path: /healthz, interval: 100ms }
environments:
  staging: { strategy: blue-green }
  production:
    after: [staging]
    gates: { mode: block, block: critical, require: [dast], dast: { block: high } }
`)
	t.Cleanup(func() { sluice(t, dir, "down") })
	r := sluice(t, dir, "run", "--plain")
	expectCode(t, r, 1)
	run := show(t, dir, "1")
	if j := run.job(t, "dast-staging"); j.Status != "succeeded" {
		t.Fatalf("dast job: %s %s", j.Status, j.Reason)
	}
	prod := run.job(t, "to-production")
	if prod.Status != "failed" || !strings.Contains(prod.Reason, "gate production blocked") || !strings.Contains(prod.Reason, "dast") {
		t.Fatalf("to-production: %s %q", prod.Status, prod.Reason)
	}
	for _, rule := range []string{"dast-sqli-error", "dast-xss-reflected", "dast-command-injection"} {
		if !strings.Contains(prod.Reason, rule) {
			t.Errorf("the block does not name %s: %s", rule, prod.Reason)
		}
	}
}
