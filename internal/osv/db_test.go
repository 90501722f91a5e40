package osv

import (
	"archive/zip"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeZip writes an archive with the given members (name → content).
func writeZip(t testing.TB, path string, members map[string]string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	names := slices.Sorted(maps.Keys(members))
	for _, name := range names {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(members[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// record returns a small npm record affecting name below fixed.
func record(id, name, fixed, modified string) string {
	return fmt.Sprintf(`{"id": %q, "modified": %q, "summary": "%s in %s",
		"affected": [{"package": {"ecosystem": "npm", "name": %q},
		"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": %q}]}]}]}`,
		id, modified, id, name, name, fixed)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestOpenReportsBrokenRecords(t *testing.T) {
	db := openTestDB(t)
	errs := db.Errors()
	if len(errs) != 1 || !strings.HasSuffix(errs[0].Source, "broken.json") {
		t.Fatalf("Errors() = %v, want broken.json only", errs)
	}
	// Lazy ecosystems are not loaded until queried.
	if n := db.Len(); n != 0 {
		t.Errorf("Len() before any query = %d, want 0", n)
	}
	db.Query("npm", "minimist", "1.0.0")
	if n := db.Len(); n != 2 {
		t.Errorf("Len() after an npm query = %d, want 2 (npm records only)", n)
	}
	if n := db.Count(); n != 10 {
		t.Errorf("Count() = %d, want 10 (11 records, one withdrawn)", n)
	}
	db.Preload()
	if n := db.Len(); n != 11 {
		t.Errorf("Len() after Preload = %d, want 11", n)
	}
	want := "Alpine Debian Go Maven Packagist PyPI RubyGems crates.io npm"
	if got := strings.Join(db.Ecosystems(), " "); got != want {
		t.Errorf("Ecosystems() = %s, want %s", got, want)
	}
	if !db.HasEcosystem("pypi") || !db.HasEcosystem("Debian:12") || db.HasEcosystem("NuGet") {
		t.Error("HasEcosystem is wrong")
	}
}

func TestOpenZipArchives(t *testing.T) {
	dir := t.TempDir()
	writeZip(t, filepath.Join(dir, "npm", "all.zip"), map[string]string{
		"GHSA-aaaa.json":   record("GHSA-aaaa", "lodash", "4.17.21", "2024-01-01T00:00:00Z"),
		"GHSA-bbbb.json":   record("GHSA-bbbb", "lodash", "4.17.12", "2024-01-01T00:00:00Z"),
		"GHSA-trunc.json":  `{"id": "GHSA-trunc", "affected": [`,
		"GHSA-noid.json":   `{"summary": "no id"}`,
		"GHSA-array.json":  `[1, 2, 3]`,
		"README.txt":       "not a record",
		"GHSA-dup.json":    record("GHSA-dup", "express", "4.0.0", "2023-01-01T00:00:00Z"),
		"nested/dup2.json": record("GHSA-dup", "express", "4.19.2", "2024-06-01T00:00:00Z"),
	})
	// A zip outside an ecosystem folder is loaded at Open.
	writeZip(t, filepath.Join(dir, "extra.zip"), map[string]string{
		"MAL-1.json": record("MAL-2024-1", "evil-pkg", "9.9.9", "2024-01-01T00:00:00Z"),
	})
	if err := os.MkdirAll(filepath.Join(dir, "Go"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Go", "all.zip"), []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := db.Count(); n != 5 {
		t.Errorf("Count() = %d, want 5 (lodash twice, express twice, evil-pkg)", n)
	}
	if got := db.Query("npm", "evil-pkg", "1.0.0"); len(got) != 1 {
		t.Errorf("record from extra.zip: %v", got)
	}
	got := db.Query("npm", "lodash", "4.17.11")
	if len(got) != 2 || got[0].ID != "GHSA-aaaa" || got[1].ID != "GHSA-bbbb" {
		t.Errorf("lodash 4.17.11: %+v", got)
	}
	if got := db.Query("npm", "lodash", "4.17.12"); len(got) != 1 || got[0].Fixed != "4.17.21" {
		t.Errorf("lodash 4.17.12: %+v", got)
	}
	// The newer copy of a duplicated advisory wins.
	if got := db.Query("npm", "express", "4.18.0"); len(got) != 1 || got[0].Fixed != "4.19.2" {
		t.Errorf("express 4.18.0: %+v", got)
	}
	db.Query("Go", "golang.org/x/net", "v0.1.0")
	var sources []string
	for _, e := range db.Errors() {
		sources = append(sources, filepath.Base(e.Source))
	}
	slices.Sort(sources)
	want := "all.zip all.zip!GHSA-array.json all.zip!GHSA-noid.json all.zip!GHSA-trunc.json"
	if got := strings.Join(sources, " "); got != want {
		t.Errorf("error sources = %s, want %s", got, want)
	}
	db.Close()

	// The cached index remembers unreadable members; a damaged index is
	// rebuilt.
	for _, damage := range []bool{false, true} {
		if damage {
			idx := filepath.Join(dir, "npm", ".all.zip.idx")
			stamp, _, _ := strings.Cut(readFile(t, idx), "\n")
			if err := os.WriteFile(idx, []byte(stamp+"\nnpm\tlodash\t99999\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		db, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := db.Query("npm", "lodash", "4.17.11"); len(got) != 2 {
			t.Errorf("damaged index %v: lodash 4.17.11: %+v", damage, got)
		}
		if n := len(db.Errors()); n != 3 {
			t.Errorf("damaged index %v: %d errors, want the 3 bad members", damage, n)
		}
		db.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Open of a missing folder: no error")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file); err == nil {
		t.Error("Open of a file: no error")
	}
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !db.Empty() {
		t.Error("empty folder: Empty() = false")
	}
}

func TestUpdatedFallsBackToFileTime(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "npm", "all.zip")
	writeZip(t, path, map[string]string{"a.json": record("GHSA-a", "a", "1.0.0", "2024-01-01T00:00:00Z")})
	when := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Updated("npm"); !got.Equal(when) {
		t.Errorf("Updated(npm) = %v, want %v", got, when)
	}
	if got := db.Updated("PyPI"); !got.IsZero() {
		t.Errorf("Updated(PyPI) = %v, want zero", got)
	}
}

// syntheticZip writes n GHSA-shaped records of about 3 KB each for npm.
func syntheticZip(t testing.TB, path string, n int) {
	t.Helper()
	details := strings.Repeat("The package is vulnerable to something unpleasant under some conditions. ", 30)
	members := make(map[string]string, n)
	for i := range n {
		id := fmt.Sprintf("GHSA-%04d-test-syn1", i)
		members[id+".json"] = fmt.Sprintf(`{"schema_version": "1.4.0", "id": %q, "modified": "2024-01-01T00:00:00Z",
 "published": "2023-01-01T00:00:00Z", "aliases": ["CVE-2023-%d"], "summary": "Issue %d", "details": %q,
 "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
 "affected": [{"package": {"ecosystem": "npm", "name": "pkg-%d", "purl": "pkg:npm/pkg-%d"},
   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.%d.0"}]}],
   "database_specific": {"source": "https://example.invalid/%s.json"}}],
 "references": [{"type": "ADVISORY", "url": "https://example.invalid/%s"}, {"type": "WEB", "url": "https://example.invalid/x/%d"}],
 "database_specific": {"cwe_ids": ["CWE-79"], "severity": "HIGH", "github_reviewed": true}}`,
			id, 10000+i, i, details, i%1000, i%1000, i, id, id, i)
	}
	writeZip(t, path, members)
}

// TestLoadSpeed measures opening a 5,000-record archive, the size of a
// mid-sized OSV ecosystem: the first open builds the index, later ones
// read it; each query parses only its package's records. It fails only
// when loading is absurdly slow.
// TestIndexCached opens a database twice: the first open builds the
// index of the zip and keeps it beside it; the second reads that index
// instead of building it again. (How long each takes is
// BenchmarkLoadZip's business; it is only logged here.)
func TestIndexCached(t *testing.T) {
	dir := t.TempDir()
	syntheticZip(t, filepath.Join(dir, "npm", "all.zip"), 5000)
	idx := filepath.Join(dir, "npm", ".all.zip.idx")
	var (
		took  [2]time.Duration
		stats [2]os.FileInfo
	)
	for i := range took {
		start := time.Now()
		db, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		got := db.Query("npm", "pkg-7", "1.0.0")
		took[i] = time.Since(start)
		if len(got) != 5 || len(db.Errors()) != 0 || db.Len() != 5 {
			t.Fatalf("got %d results, %d errors, %d records parsed", len(got), len(db.Errors()), db.Len())
		}
		db.Close()
		if stats[i], err = os.Stat(idx); err != nil {
			t.Fatalf("index not cached: %v", err)
		}
	}
	if !stats[1].ModTime().Equal(stats[0].ModTime()) || stats[1].Size() != stats[0].Size() {
		t.Errorf("the second open wrote the index again (%v, %d bytes; was %v, %d bytes)",
			stats[1].ModTime(), stats[1].Size(), stats[0].ModTime(), stats[0].Size())
	}
	t.Logf("5000 records: open + first query %v building the index, %v with the cached index", took[0], took[1])
}

func BenchmarkLoadZip(b *testing.B) {
	dir := b.TempDir()
	syntheticZip(b, filepath.Join(dir, "npm", "all.zip"), 5000)
	b.ResetTimer()
	for b.Loop() {
		db, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		db.Preload()
	}
}

// TestConcurrentQueries runs queries for overlapping packages from many
// goroutines (run with -race) and checks they agree with a fresh DB
// queried one at a time.
func TestConcurrentQueries(t *testing.T) {
	dir := t.TempDir()
	syntheticZip(t, filepath.Join(dir, "npm", "all.zip"), 500)
	want := map[string]int{}
	seq, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		want[fmt.Sprintf("pkg-%d", i)] = len(seq.Query("npm", fmt.Sprintf("pkg-%d", i), "1.0.0"))
	}
	seq.Close()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	errs := make(chan string, 400)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				name := fmt.Sprintf("pkg-%d", (i+g*7)%50)
				if n := len(db.Query("npm", name, "1.0.0")); n != want[name] {
					errs <- fmt.Sprintf("%s: %d results, want %d", name, n, want[name])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
