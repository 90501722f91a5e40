package dockerfile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

func TestIsDockerfile(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "dockerfile": true, "Containerfile": true, "Dockerfile.dev": true,
		"api.Dockerfile": true, "api.dockerfile": true, "Containerfile.arm64": true,
		"Dockerfile.dockerignore": false, ".dockerignore": false, "Dockerfiles": false,
		"MyDockerfile": false, "docker-compose.yml": false, "README.md": false,
		"dockerfile.go": false, "Dockerfile.md": false, "dockerfile_test.go": false, "Dockerfile.prod.yaml": false,
		"Dockerfile.prod": true, "Dockerfile.txt": true, "Dockerfile.j2": true,
	} {
		if got := IsDockerfile(name); got != want {
			t.Errorf("IsDockerfile(%q) = %v, want %v", name, got, want)
		}
	}
}

// writeTree writes files (relative path -> content) under a new folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// scanAll runs the scanner and collects what it reports.
func scanAll(t *testing.T, target *scan.Target) (scan.Health, []findings.Finding) {
	t.Helper()
	s := New()
	if ok, why := s.Applies(context.Background(), target); !ok {
		t.Fatalf("scanner does not apply: %s", why)
	}
	var (
		mu  sync.Mutex
		all []findings.Finding
	)
	h, err := s.Scan(context.Background(), target, func(f findings.Finding) {
		mu.Lock()
		defer mu.Unlock()
		all = append(all, f)
	})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return h, all
}

// TestScanTree scans a folder with Dockerfiles under several names, broken
// ones, and folders that are never entered.
func TestScanTree(t *testing.T) {
	const bad = "FROM alpine:latest\n"
	root := writeTree(t, map[string]string{
		"Dockerfile":                   bad,
		"deploy/api.Dockerfile":        "FROM alpine:3.20" + digest + "\nUSER app\nHEALTHCHECK NONE\nRUN sudo true\n",
		"Dockerfile.dev":               bad,
		"tools/Containerfile":          bad,
		"broken/Dockerfile":            "FROM alpine:3.20\nRUNN true\n",
		"binary/Dockerfile":            "FROM a\x00b\n",
		"huge/Dockerfile":              "FROM alpine:3.20\n" + strings.Repeat("# padding\n", maxFileSize/10),
		"node_modules/pkg/Dockerfile":  bad,
		".git/Dockerfile":              bad,
		".sluice/cache/Dockerfile":     bad,
		"Dockerfile.dockerignore":      "node_modules\n",
		"README.md":                    "FROM alpine:latest\n",
		"docs/examples/Dockerfile.txt": bad,
	})
	// A link loop must not hang the walk, and links are not followed.
	if err := os.Symlink(root, filepath.Join(root, "loop")); err != nil {
		t.Fatal(err)
	}
	h, fs := scanAll(t, &scan.Target{Root: root})

	if h.Status != scan.Ran || h.Scanner != scannerName || !h.Partial || h.Findings != len(fs) {
		t.Errorf("health %+v", h)
	}
	if h.Files != 8 {
		t.Errorf("looked at %d files, want 8", h.Files)
	}
	var errPaths []string
	for _, e := range h.Errors {
		errPaths = append(errPaths, e.Path)
		if strings.Contains(e.Err, root) {
			t.Errorf("error %q repeats the absolute path", e.Err)
		}
	}
	if diff := cmp.Diff([]string{"binary/Dockerfile", "broken/Dockerfile", "huge/Dockerfile"}, errPaths); diff != "" {
		t.Errorf("input errors (-want +got):\n%s\n%+v", diff, h.Errors)
	}
	for _, e := range h.Errors {
		if e.Path == "broken/Dockerfile" && !strings.Contains(e.Err, "line 2: unknown instruction RUNN") {
			t.Errorf("broken file error %q does not name the line", e.Err)
		}
	}

	perFile := map[string][]string{}
	for _, f := range fs {
		perFile[f.Location.Path] = append(perFile[f.Location.Path], f.RuleID)
	}
	for _, p := range []string{"Dockerfile", "Dockerfile.dev", "docs/examples/Dockerfile.txt", "tools/Containerfile"} {
		if !slices.Contains(perFile[p], ruleLatestTag) {
			t.Errorf("%s: no latest-tag finding in %v", p, perFile[p])
		}
	}
	if diff := cmp.Diff([]string{ruleSudo}, perFile["deploy/api.Dockerfile"]); diff != "" {
		t.Errorf("deploy/api.Dockerfile (-want +got):\n%s", diff)
	}
	if len(perFile) != 5 {
		t.Errorf("findings in %d files, want 5: %v", len(perFile), perFile)
	}
}

// TestScanFiles uses the target's file list instead of walking.
func TestScanFiles(t *testing.T) {
	root := writeTree(t, map[string]string{
		"Dockerfile":      "FROM alpine:latest\n",
		"b/Dockerfile":    "FROM node\n",
		"c/Containerfile": "FROM python:latest\n",
	})
	h, fs := scanAll(t, &scan.Target{Root: root, Files: []string{"b/Dockerfile", "main.go", "gone/Dockerfile"}})
	if h.Files != 2 || len(h.Errors) != 1 || h.Errors[0].Path != "gone/Dockerfile" {
		t.Errorf("health %+v", h)
	}
	for _, f := range fs {
		if f.Location.Path != "b/Dockerfile" {
			t.Errorf("finding in %s, which is not in the file list", f.Location.Path)
		}
	}
	if len(fs) == 0 {
		t.Error("no finding in b/Dockerfile")
	}
}

func TestApplies(t *testing.T) {
	s := New()
	if s.Name() != "dockerfile" || s.Category() != findings.IaC {
		t.Errorf("name %q category %q", s.Name(), s.Category())
	}
	root := writeTree(t, map[string]string{"main.go": "package main\n", "node_modules/x/Dockerfile": "FROM a\n"})
	if ok, why := s.Applies(context.Background(), &scan.Target{Root: root}); ok || !strings.Contains(why, "no Dockerfile") {
		t.Errorf("Applies = %v, %q; want false with a reason", ok, why)
	}
	if ok, _ := s.Applies(context.Background(), &scan.Target{Root: root, Files: []string{"svc/Dockerfile"}}); !ok {
		t.Error("Applies = false for a file list with a Dockerfile")
	}
	// A root that cannot be listed is Scan's failure to report, not a skip.
	missing := &scan.Target{Root: filepath.Join(root, "missing")}
	if ok, _ := s.Applies(context.Background(), missing); !ok {
		t.Error("Applies = false for a missing root")
	}
	if _, err := s.Scan(context.Background(), missing, func(findings.Finding) {}); err == nil {
		t.Error("Scan of a missing root did not fail")
	}
}

func TestScanCancelled(t *testing.T) {
	root := writeTree(t, map[string]string{"Dockerfile": "FROM a:1\n"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New().Scan(ctx, &scan.Target{Root: root}, func(findings.Finding) {}); err == nil {
		t.Error("Scan with a cancelled context did not fail")
	}
}

// TestUnreadable checks that a Dockerfile that cannot be read is an input
// error. Root reads everything, so the test needs another user.
func TestUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions are not enforced")
	}
	root := writeTree(t, map[string]string{"Dockerfile": "FROM a:1\n", "ok/Dockerfile": "FROM a:1\n"})
	if err := os.Chmod(filepath.Join(root, "Dockerfile"), 0); err != nil {
		t.Fatal(err)
	}
	h, _ := scanAll(t, &scan.Target{Root: root})
	if len(h.Errors) != 1 || h.Errors[0].Path != "Dockerfile" || h.Files != 2 {
		t.Errorf("health %+v", h)
	}
}

// TestNeverPanics feeds odd but parseable inputs through the whole file
// path.
func TestNeverPanics(t *testing.T) {
	inputs := []string{
		"FROM a\nRUN \"unterminated\n",
		"FROM a\nRUN $(((\n",
		"FROM a\nRUN `\n",
		"FROM a\nRUN a |\n",
		"FROM a\nRUN | b\n",
		"FROM a\nRUN 2>\n",
		"FROM a\nRUN chmod\nRUN apt-get\nRUN pip\nRUN python -m\nRUN npm\nRUN apk\nRUN sudo\nRUN set -o\n",
		"FROM a\nEXPOSE\nUSER\nWORKDIR\nADD\nENV\nCMD\nSHELL []\nHEALTHCHECK\n",
		"FROM a\nADD x\nEXPOSE -1 99999999999999999999 a-b\n",
		"\ufeffFROM a\nRUN echo\r\n",
	}
	for _, in := range inputs {
		root := writeTree(t, map[string]string{"Dockerfile": in})
		h, _ := scanAll(t, &scan.Target{Root: root})
		for _, e := range h.Errors {
			if strings.Contains(e.Err, "internal error") {
				t.Errorf("%q: %s", in, e.Err)
			}
		}
	}
	if _, err := analyze("Dockerfile", bytes.Repeat([]byte("RUN a | b\n"), 10)); err == nil {
		t.Error("RUN without FROM accepted")
	}
}
