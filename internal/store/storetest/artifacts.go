package storetest

import (
	"path/filepath"
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
)

var artifactTests = []subtest{
	{"PutAndList", testArtifacts},
	{"Errors", testArtifactErrors},
	{"Dir", testArtifactDir},
}

func testArtifacts(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	mustJobs(t, s, r.ID, "build", "docs")
	put := func(a *store.Artifact) {
		t.Helper()
		if err := s.Artifacts().PutArtifact(t.Context(), a); err != nil {
			t.Fatalf("PutArtifact: %v", err)
		}
	}
	bin := &store.Artifact{RunID: r.ID, JobID: "build", Path: "dist/goodbooks", Size: 1 << 20,
		SHA256: "ab12", Mode: 0o755, StoredPath: "/data/artifacts/x/build/dist/goodbooks"}
	sum := &store.Artifact{RunID: r.ID, JobID: "build", Path: "dist/SHA256SUMS", Size: 80,
		SHA256: "cd34", Mode: 0o644, StoredPath: "/data/artifacts/x/build/dist/SHA256SUMS"}
	site := &store.Artifact{RunID: r.ID, JobID: "docs", Path: "site/index.html", Size: 10,
		SHA256: "ef56", Mode: 0o600, StoredPath: "/data/artifacts/x/docs/site/index.html"}
	put(site)
	put(bin)
	put(sum)
	got, err := s.Artifacts().ListArtifacts(t.Context(), r.ID, "build")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "build's artifacts by path", []*store.Artifact{sum, bin}, got)

	replaced := *bin
	replaced.Size, replaced.SHA256 = 42, "9999"
	put(&replaced)
	got, err = s.Artifacts().ListArtifacts(t.Context(), r.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "run's artifacts in job order", []*store.Artifact{sum, &replaced, site}, got)
}

func testArtifactErrors(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	err := s.Artifacts().PutArtifact(t.Context(), &store.Artifact{RunID: r.ID, JobID: "nope", Path: "a"})
	wantErr(t, "PutArtifact of a missing job", err, store.ErrNotFound)
	got, err := s.Artifacts().ListArtifacts(t.Context(), r.ID, "nope")
	if err != nil || len(got) != 0 {
		t.Errorf("ListArtifacts of a missing job = %d, %v; want none", len(got), err)
	}
}

func testArtifactDir(t *testing.T, open Opener) {
	s := open(t)
	jobs := []string{"build", "test[go=1.22]", "a/b", "a_b", "a b", "..", ".", "", "%41", "A"}
	seen := map[string]string{}
	base := filepath.Dir(s.ArtifactDir("run1", "build"))
	for _, run := range []string{"run1", "run2"} {
		for _, job := range jobs {
			dir := s.ArtifactDir(run, job)
			if !filepath.IsAbs(dir) || filepath.Clean(dir) != dir {
				t.Errorf("ArtifactDir(%q, %q) = %q: want a clean absolute path", run, job, dir)
			}
			if prev, ok := seen[dir]; ok {
				t.Errorf("ArtifactDir(%q, %q) = %q, same as for %s", run, job, dir, prev)
			}
			seen[dir] = run + "/" + job
			parent := filepath.Dir(dir)
			if run == "run1" && parent != base {
				t.Errorf("ArtifactDir(run1, %q) = %q is not one level under %q", job, dir, base)
			}
			if filepath.Dir(parent) != filepath.Dir(base) {
				t.Errorf("ArtifactDir(%q, %q) = %q escapes the artifacts folder", run, job, dir)
			}
		}
	}
}
