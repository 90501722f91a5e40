package iac

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
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

// expectations reads the "# expect: rule …" comments of the files under
// dir: each names rules that the next line that is neither blank nor a
// comment must trigger. It returns "path:line rule" entries, sorted.
func expectations(t *testing.T, dir string) []string {
	t.Helper()
	return annotated(t, dir, "# expect:")
}

// ignoredExpectations reads the "# ignored: rule …" comments the same way:
// the findings an inline marker or annotation marks InlineIgnored.
func ignoredExpectations(t *testing.T, dir string) []string {
	t.Helper()
	return annotated(t, dir, "# ignored:")
}

// annotated reads the comments starting with prefix; see expectations.
func annotated(t *testing.T, dir, prefix string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var pending []string
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				pending = append(pending, strings.Fields(rest)...)
				continue
			}
			if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
				continue
			}
			for _, r := range pending {
				out = append(out, fmt.Sprintf("%s:%d %s", filepath.ToSlash(rel), n, r))
			}
			pending = nil
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// runScanner scans root and returns the findings and health.
func runScanner(t *testing.T, s scan.Scanner, root string) ([]findings.Finding, scan.Health) {
	t.Helper()
	var (
		mu  sync.Mutex
		all []findings.Finding
	)
	h, err := s.Scan(context.Background(), &scan.Target{Root: root}, func(f findings.Finding) {
		mu.Lock()
		defer mu.Unlock()
		all = append(all, f)
	})
	if err != nil {
		t.Fatalf("scan %s: %v", root, err)
	}
	return all, h
}

// located lists findings as "path:line rule", sorted.
func located(fs []findings.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s:%d %s", f.Location.Path, f.Location.StartLine, f.RuleID))
	}
	slices.Sort(out)
	return out
}

// TestCorpus scans the insecure corpora, where every check is planted
// and every finding must be at its expected line, the clean twins, where
// nothing may be found, and the suppressed corpora, where markers and
// annotations turn findings off: those are still reported, marked
// InlineIgnored, at their expected lines.
func TestCorpus(t *testing.T) {
	cases := []struct {
		name    string
		scanner scan.Scanner
		dir     string
	}{
		{"terraform insecure", NewTerraform(Options{}), "testdata/terraform/insecure"},
		{"terraform clean", NewTerraform(Options{}), "testdata/terraform/clean"},
		{"terraform suppressed", NewTerraform(Options{}), "testdata/terraform/suppressed"},
		{"kubernetes insecure", NewKubernetes(Options{}), "testdata/kubernetes/insecure"},
		{"kubernetes clean", NewKubernetes(Options{}), "testdata/kubernetes/clean"},
		{"kubernetes suppressed", NewKubernetes(Options{}), "testdata/kubernetes/suppressed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, h := runScanner(t, tc.scanner, tc.dir)
			if len(h.Errors) > 0 || h.Status != scan.Ran || h.Files == 0 || h.Findings != len(fs) {
				t.Errorf("health %+v", h)
			}
			var open, ignored []findings.Finding
			for _, f := range fs {
				if f.InlineIgnored {
					ignored = append(ignored, f)
				} else {
					open = append(open, f)
				}
			}
			if diff := cmp.Diff(expectations(t, tc.dir), located(open)); diff != "" {
				t.Errorf("open findings (-want +got):\n%s", diff)
				for _, f := range open {
					t.Logf("%s:%d %s %s", f.Location.Path, f.Location.StartLine, f.RuleID, f.Message)
				}
			}
			if diff := cmp.Diff(ignoredExpectations(t, tc.dir), located(ignored)); diff != "" {
				t.Errorf("inline-ignored findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEveryCheckPlanted makes sure the insecure corpora exercise every
// built-in check.
func TestEveryCheckPlanted(t *testing.T) {
	for target, dir := range map[string]string{
		targetTerraform: "testdata/terraform/insecure", targetKubernetes: "testdata/kubernetes/insecure",
	} {
		set, err := builtinSets[target]()
		if err != nil {
			t.Fatal(err)
		}
		planted := map[string]bool{}
		for _, e := range expectations(t, dir) {
			planted[e[strings.LastIndexByte(e, ' ')+1:]] = true
		}
		for _, c := range set.checks {
			if !planted[c.id] {
				t.Errorf("%s: check %s is not planted in %s", target, c.id, dir)
			}
		}
	}
}

func readTestFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
