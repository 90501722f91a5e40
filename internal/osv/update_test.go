package osv

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// osvBucket serves "<ecosystem>/all.zip" from a folder the way OSV's bucket
// does, with ETags, and counts full downloads.
type osvBucket struct {
	root      string
	mu        sync.Mutex
	downloads map[string]int
}

func (b *osvBucket) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := filepath.Join(b.root, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/")))
	data, err := os.ReadFile(path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256(data))
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	b.mu.Lock()
	b.downloads[r.URL.Path]++
	b.mu.Unlock()
	_, _ = w.Write(data)
}

func TestUpdate(t *testing.T) {
	bucket := &osvBucket{root: t.TempDir(), downloads: map[string]int{}}
	writeZip(t, filepath.Join(bucket.root, "npm", "all.zip"), map[string]string{
		"GHSA-1.json": record("GHSA-1", "lodash", "4.17.21", "2024-01-01T00:00:00Z"),
	})
	writeZip(t, filepath.Join(bucket.root, "crates.io", "all.zip"), map[string]string{
		"RUSTSEC-1.json": `{"id": "RUSTSEC-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "crates.io", "name": "time"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.2.23"}]}]}]}`,
	})
	srv := httptest.NewServer(bucket)
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "db")
	ctx := context.Background()

	before := time.Now().Add(-time.Second)
	if err := Update(ctx, srv.URL, dir, []string{"npm", "CRATES.IO"}); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Query("npm", "lodash", "4.17.20"); len(got) != 1 {
		t.Errorf("lodash after update: %v", got)
	}
	if got := db.Query("crates.io", "time", "0.2.22"); len(got) != 1 {
		t.Errorf("time after update: %v", got)
	}
	if u := db.Updated("npm"); u.Before(before) || u.After(time.Now()) {
		t.Errorf("Updated(npm) = %v", u)
	}
	if _, err := os.Stat(filepath.Join(dir, "npm", ".all.zip.idx")); err != nil {
		t.Errorf("Update did not index the archive: %v", err)
	}
	db.Close()

	// Unchanged archives are not downloaded again, but the time moves on.
	first := db.Updated("npm")
	time.Sleep(10 * time.Millisecond)
	if err := Update(ctx, srv.URL, dir, []string{"npm"}); err != nil {
		t.Fatal(err)
	}
	if n := bucket.downloads["/npm/all.zip"]; n != 1 {
		t.Errorf("npm downloaded %d times, want 1", n)
	}
	db2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if !db2.Updated("npm").After(first) {
		t.Errorf("Updated(npm) did not move: %v then %v", first, db2.Updated("npm"))
	}

	// A missing ecosystem fails without touching the others.
	err = Update(ctx, srv.URL, dir, []string{"PyPI", "npm"})
	if err == nil || !strings.Contains(err.Error(), "update PyPI") || !strings.Contains(err.Error(), "404") {
		t.Errorf("Update of a missing ecosystem: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "PyPI", "all.zip")); err == nil {
		t.Error("a failed download left an archive")
	}
}

// TestUpdateKeepsOldArchiveOnBadDownload checks that a download that is
// not a zip never replaces a good archive.
func TestUpdateKeepsOldArchiveOnBadDownload(t *testing.T) {
	bucket := t.TempDir()
	writeZip(t, filepath.Join(bucket, "npm", "all.zip"), map[string]string{
		"GHSA-1.json": record("GHSA-1", "lodash", "4.17.21", "2024-01-01T00:00:00Z"),
	})
	srv := httptest.NewServer(http.FileServer(http.Dir(bucket)))
	defer srv.Close()
	dir := t.TempDir()
	if err := Update(context.Background(), srv.URL, dir, []string{"npm"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bucket, "npm", "all.zip"), []byte("truncated garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(bucket, "npm", "all.zip"), later, later); err != nil {
		t.Fatal(err)
	}
	err := Update(context.Background(), srv.URL, dir, []string{"npm"})
	if err == nil || !strings.Contains(err.Error(), "not a zip") {
		t.Fatalf("Update with a bad archive: %v", err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.Query("npm", "lodash", "4.17.20"); len(got) != 1 {
		t.Errorf("old archive lost: %v", got)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "npm"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".all.zip-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestUpdateCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := Update(ctx, srv.URL, t.TempDir(), []string{"npm"}); err == nil {
		t.Error("Update with a cancelled context: no error")
	}
}
