package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRestore backs the store up, adds a run, restores the backup:
// the later run is gone, the earlier one and the audit chain are intact.
func TestBackupRestore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", "version: 1\njobs:\n  a: { steps: [{ run: echo one }] }\n")
	expectCode(t, sluice(t, dir, "run", "--plain"), 0)
	backup := filepath.Join(t.TempDir(), "store.db")
	r := sluice(t, dir, "backup", backup)
	expectCode(t, r, 0)
	expectCode(t, sluice(t, dir, "backup", backup), 1) // never overwrites
	expectCode(t, sluice(t, dir, "run", "--plain"), 0)
	r = sluice(t, dir, "restore", backup)
	expectCode(t, r, 0)
	r = sluice(t, dir, "runs")
	if strings.Count(r.stdout, "succeeded") != 1 {
		t.Errorf("runs after restore:\n%s", r.stdout)
	}
	expectCode(t, sluice(t, dir, "audit", "verify"), 0)
	expectCode(t, sluice(t, dir, "restore", filepath.Join(dir, "sluice.yaml")), 1)
}
