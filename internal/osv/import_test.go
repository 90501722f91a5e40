package osv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestImportZip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "npm-all.zip")
	writeZip(t, src, map[string]string{
		"GHSA-1.json": record("GHSA-1", "lodash", "4.17.21", "2024-01-01T00:00:00Z"),
		"GHSA-2.json": record("GHSA-2", "express", "4.19.2", "2024-05-06T07:08:09Z"),
	})
	dir := t.TempDir()
	if err := Import(src, dir); err != nil {
		t.Fatal(err)
	}
	// A single-ecosystem archive becomes that ecosystem's all.zip.
	if _, err := os.Stat(filepath.Join(dir, "npm", "all.zip")); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.Query("npm", "express", "4.18.0"); len(got) != 1 {
		t.Errorf("express after import: %v", got)
	}
	// The age is the newest record's.
	if want := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC); !db.Updated("npm").Equal(want) {
		t.Errorf("Updated(npm) = %v, want %v", db.Updated("npm"), want)
	}
}

func TestImportFolder(t *testing.T) {
	dir := t.TempDir()
	err := Import("testdata/db", dir)
	// testdata/db holds one broken record: imported all the others, then
	// said which was skipped.
	if err == nil || !strings.Contains(err.Error(), "11 imported, 1 skipped") || !strings.Contains(err.Error(), "broken.json") {
		t.Fatalf("Import: %v", err)
	}
	for _, p := range []string{"npm/import-db.zip", "PyPI/import-db.zip", "Debian/import-db.zip", "Alpine/.import-db.zip.idx"} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			t.Errorf("%s not imported: %v", p, err)
		}
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.Query("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"); len(got) != 1 {
		t.Errorf("log4j after import: %v", got)
	}
	if len(db.Errors()) != 0 {
		t.Errorf("imported database has errors: %v", db.Errors())
	}
	if n := db.Count(); n != 10 {
		t.Errorf("Count() = %d, want 10 (11 records, one withdrawn)", n)
	}
	// Importing the same folder again replaces its archives.
	if err := Import("testdata/db", dir); err == nil {
		t.Error("second import: broken.json not reported")
	}
	db2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if n := db2.Count(); n != 10 {
		t.Errorf("after a second import Count() = %d, want 10", n)
	}
}

func TestImportErrors(t *testing.T) {
	if err := Import(filepath.Join(t.TempDir(), "missing.zip"), t.TempDir()); err == nil {
		t.Error("Import of a missing file: no error")
	}
	empty := t.TempDir()
	if err := Import(empty, t.TempDir()); err == nil || !strings.Contains(err.Error(), "no OSV records") {
		t.Errorf("Import of an empty folder: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.zip")
	if err := os.WriteFile(bad, []byte("PK not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Import(bad, dir); err == nil {
		t.Error("Import of a corrupt zip: no error")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("corrupt import left %d entries", len(entries))
	}
}
