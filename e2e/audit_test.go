package e2e

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// TestAuditVerifyCatchesEdits edits the store's database directly, the way
// someone with the file could, and checks `sluice audit verify` names the
// record.
func TestAuditVerifyCatchesEdits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", `version: 1
jobs:
  a: { steps: [{ run: echo a }] }
  b: { needs: [a], steps: [{ run: echo b }] }
`)
	expectCode(t, sluice(t, dir, "run", "--plain"), 0)
	expectCode(t, sluice(t, dir, "run", "--plain"), 0)
	r := sluice(t, dir, "audit", "verify")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, "audit trail verified: 4 records")

	r = sluice(t, dir, "audit", "export")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, `"action":"run.start"`)

	db, err := sql.Open("sqlite", filepath.Join(dir, ".sluice", "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit SET actor = 'mallory' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	r = sluice(t, dir, "audit", "verify")
	expectCode(t, r, 1)
	expectContains(t, r, "stdout", r.stdout, "record 2")
	expectContains(t, r, "stdout", r.stdout, "edited")

	// The compliance report says so too, and exits 1.
	r = sluice(t, dir, "report", "2", "--format", "json")
	expectCode(t, r, 1)
	expectContains(t, r, "stderr", r.stderr, "does not verify")

	// Put it back, then delete a record: the gap is named.
	if _, err := db.Exec(`UPDATE audit SET actor = (SELECT actor FROM audit WHERE seq = 1) WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	expectCode(t, sluice(t, dir, "audit", "verify"), 0)
	if _, err := db.Exec(`DELETE FROM audit WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	r = sluice(t, dir, "audit", "verify")
	expectCode(t, r, 1)
	expectContains(t, r, "stdout", r.stdout, "record 3")
}
