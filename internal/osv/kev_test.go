package osv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// syntheticKEV is a catalog in the KEV feed's format with made-up entries.
const syntheticKEV = `{
  "title": "test catalog",
  "catalogVersion": "2026.11.01",
  "dateReleased": "2026-11-01T12:00:00.000Z",
  "count": 2,
  "vulnerabilities": [
    {"cveID": "CVE-2099-0001", "vendorProject": "Example", "product": "Lib", "dateAdded": "2026-10-30", "knownRansomwareCampaignUse": "Known"},
    {"cveID": "cve-2099-0002", "vendorProject": "Example", "product": "Other", "dateAdded": "2026-10-31", "knownRansomwareCampaignUse": "Unknown"}
  ]
}`

func TestImportKEVAndLookUp(t *testing.T) {
	src := filepath.Join(t.TempDir(), "kev.json")
	if err := os.WriteFile(src, []byte(syntheticKEV), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Import(src, dir); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if len(db.Errors()) != 0 {
		t.Fatalf("load errors: %v", db.Errors())
	}
	if db.KEVCount() != 2 {
		t.Fatalf("KEVCount = %d", db.KEVCount())
	}
	// Advisories are matched through their aliases, case-insensitively.
	e, ok := db.KnownExploited("GHSA-xxxx-yyyy-zzzz", "CVE-2099-0002")
	if !ok || e.CVE != "CVE-2099-0002" || e.DateAdded != "2026-10-31" || e.Ransomware {
		t.Errorf("KnownExploited = %+v, %v", e, ok)
	}
	if e, _ := db.KnownExploited("cve-2099-0001"); !e.Ransomware {
		t.Errorf("ransomware use not read: %+v", e)
	}
	if _, ok := db.KnownExploited("CVE-2000-1"); ok {
		t.Error("an unlisted CVE is known exploited")
	}
}

func TestKEVErrors(t *testing.T) {
	if IsKEV([]byte(record("GHSA-1", "lodash", "4.17.21", "2024-01-01T00:00:00Z"))) {
		t.Error("an OSV record taken for a KEV catalog")
	}
	bad := strings.Replace(syntheticKEV, "CVE-2099-0001", "GHSA-1", 1)
	if _, err := ParseKEV([]byte(bad)); err == nil || !strings.Contains(err.Error(), "entry 1") {
		t.Errorf("bad cveID: %v", err)
	}
	// A broken catalog in a database is a load error, not a silent nothing.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, KEVFile), []byte(`{"catalogVersion": 1`), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if len(db.Errors()) != 1 || db.KEVCount() != 0 {
		t.Errorf("errors %v, count %d", db.Errors(), db.KEVCount())
	}
}
