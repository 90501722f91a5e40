package gosast

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// testEnv keeps the go command offline and away from any workspace.
var testEnv = []string{"GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly"}

func needGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
}

// scanDir scans root (walking it) with opts and returns the health and
// the findings.
func scanDir(t *testing.T, root string, opts Options) (scan.Health, []findings.Finding) {
	t.Helper()
	return scanTarget(t, &scan.Target{Root: root}, opts)
}

func scanTarget(t *testing.T, target *scan.Target, opts Options) (scan.Health, []findings.Finding) {
	t.Helper()
	needGo(t)
	opts.Env = append(append([]string(nil), testEnv...), opts.Env...)
	s := New(opts)
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
	if h.Findings != len(all) {
		t.Errorf("Health.Findings = %d, reported %d", h.Findings, len(all))
	}
	return h, all
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

// got lists findings as "file:line RULE", sorted.
func got(fs []findings.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s:%d %s", f.Location.Path, f.Location.StartLine, f.RuleID))
	}
	sort.Strings(out)
	return out
}

var expectComment = regexp.MustCompile(`// expect: (G\d{3}(?: G\d{3})*)\s*$`)

// expected reads the "// expect: G101 G202" comments of the Go files
// under root and lists them like got.
func expected(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		rel, _ := filepath.Rel(root, p)
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			if m := expectComment.FindStringSubmatch(sc.Text()); m != nil {
				for _, id := range strings.Fields(m[1]) {
					out = append(out, fmt.Sprintf("%s:%d %s", filepath.ToSlash(rel), line, id))
				}
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestPlanted scans the insecure corpus: every planted issue is reported
// on its line, and nothing else.
func TestPlanted(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("testdata", "corpus", "insecure"))
	if err != nil {
		t.Fatal(err)
	}
	want := expected(t, root)
	if len(want) < 25 {
		t.Fatalf("only %d expect comments in the corpus", len(want))
	}
	h, fs := scanDir(t, root, Options{})
	if diff := cmp.Diff(want, got(fs)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if h.Status != scan.Ran || h.Partial || len(h.Errors) > 0 {
		t.Errorf("health = %+v", h)
	}
	if h.Files != 6 || h.Packages != 1 {
		t.Errorf("Files, Packages = %d, %d; want 6, 1", h.Files, h.Packages)
	}
}

// TestClean scans the safe twin of the corpus: nothing is reported.
func TestClean(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("testdata", "corpus", "clean"))
	if err != nil {
		t.Fatal(err)
	}
	h, fs := scanDir(t, root, Options{})
	if len(fs) > 0 {
		t.Errorf("findings on clean code: %v", got(fs))
	}
	if h.Status != scan.Ran || h.Files != 6 || h.Packages != 1 || len(h.Errors) > 0 {
		t.Errorf("health = %+v", h)
	}
}
