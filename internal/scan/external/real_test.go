package external

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// toolsOptions are the options of the real-tool tests: PATH, then the
// folder scripts/tools.sh installs into.
func toolsOptions() Options {
	dir := os.Getenv("SLUICE_TOOLS_DIR")
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".cache", "sluice-test-tools")
		}
	}
	return Options{ToolsDirs: []string{dir}}
}

// realTool returns the scanner of a tool and a target over dir, skipping
// the test when the tool is not installed, unless SLUICE_REQUIRE_TOOLS is
// set (scripts/test.sh sets it after installing the tools), which makes a
// missing tool a failure.
func realTool(t *testing.T, name, dir string) (scan.Scanner, *scan.Target) {
	t.Helper()
	var s scan.Scanner
	for _, sc := range Tools(toolsOptions()) {
		if sc.Name() == name {
			s = sc
		}
	}
	if s == nil {
		t.Fatalf("Tools() has no %s scanner", name)
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, errs, err := scan.Walk(context.Background(), root, scan.WalkOptions{})
	if err != nil || len(errs) > 0 {
		t.Fatalf("walk %s: %v %v", root, err, errs)
	}
	tg := &scan.Target{Root: root, Files: files}
	if ok, why := s.Applies(context.Background(), tg); !ok {
		if strings.Contains(why, "not installed") && os.Getenv("SLUICE_REQUIRE_TOOLS") == "" {
			t.Skipf("%s (run scripts/tools.sh; with SLUICE_REQUIRE_TOOLS=1 this fails)", why)
		}
		t.Fatalf("%s does not apply: %s", name, why)
	}
	return s, tg
}

// runReal scans tg with s and returns the findings as "file:line rule"
// strings, sorted, with the health.
func runReal(t *testing.T, s scan.Scanner, tg *scan.Target) ([]string, []findings.Finding, scan.Health) {
	t.Helper()
	var fs []findings.Finding
	h, err := s.Scan(context.Background(), tg, func(f findings.Finding) { fs = append(fs, f) })
	if err != nil {
		t.Fatalf("%s scan: %v", s.Name(), err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s:%d %s", f.Location.Path, f.Location.StartLine, f.RuleID))
		if f.Scanner != s.Name() || f.Category != findings.SAST || len(f.CWE) == 0 || f.Title == "" {
			t.Errorf("%s:%d %s: scanner %q, category %q, CWE %v, title %q: want the tool, sast, a CWE and a title",
				f.Location.Path, f.Location.StartLine, f.RuleID, f.Scanner, f.Category, f.CWE, f.Title)
		}
	}
	slices.Sort(got)
	return got, fs, h
}

func TestBanditReal(t *testing.T) {
	s, tg := realTool(t, "bandit", "testdata/bandit")
	got, fs, h := runReal(t, s, tg)
	// Bandit 1.7 and later report hashlib.md5 as B324 where 1.6 says B303.
	for i, g := range got {
		got[i] = strings.Replace(g, "22 B324", "22 B303", 1)
	}
	want := []string{
		"corpus/insecure.py:10 B602", // subprocess.call(cmd, shell=True)
		"corpus/insecure.py:14 B506", // yaml.load
		"corpus/insecure.py:18 B301", // pickle.loads
		"corpus/insecure.py:22 B303", // hashlib.md5
		"corpus/insecure.py:26 B101", // assert
		"corpus/insecure.py:31 B307", // eval
		"corpus/insecure.py:35 B106", // password="…"
		"corpus/insecure.py:3 B403",  // import pickle
		"corpus/insecure.py:4 B404",  // import subprocess
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("bandit findings:\n got %q\nwant %q", got, want)
	}
	if h.Files != 3 {
		t.Errorf("health files = %d, want 3 (insecure.py, clean.py, broken.py)", h.Files)
	}
	if len(h.Errors) != 1 || h.Errors[0].Path != "broken/broken.py" {
		t.Errorf("health errors = %+v, want broken/broken.py", h.Errors)
	}
	for _, f := range fs {
		if f.RuleID == "B602" && (f.Severity != findings.High || f.Snippet != "    return subprocess.call(cmd, shell=True)") {
			t.Errorf("B602: severity %s, snippet %q", f.Severity, f.Snippet)
		}
	}
}

func TestESLintReal(t *testing.T) {
	s, tg := realTool(t, "eslint", "testdata/eslint")
	got, fs, h := runReal(t, s, tg)
	want := []string{
		"corpus/insecure.js:6 security/detect-child-process",
		"corpus/insecure.js:10 security/detect-eval-with-expression",
		"corpus/insecure.js:14 security/detect-non-literal-regexp",
		"corpus/insecure.js:18 security/detect-object-injection",
		"corpus/insecure.js:22 security/detect-non-literal-fs-filename",
		"corpus/insecure.js:26 security/detect-non-literal-require",
		"corpus/insecure.js:30 security/detect-possible-timing-attacks",
		"corpus/insecure.js:36 security/detect-unsafe-regex",
		// Suppressed inline: reported, marked InlineIgnored (below).
		"corpus/suppressed.js:5 security/detect-object-injection",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("eslint findings:\n got %q\nwant %q", got, want)
	}
	if h.Files != 4 {
		t.Errorf("health files = %d, want 4", h.Files)
	}
	if len(h.Errors) != 1 || h.Errors[0].Path != "broken/broken.js" || !strings.Contains(h.Errors[0].Err, "Parsing error") {
		t.Errorf("health errors = %+v, want a parsing error in broken/broken.js", h.Errors)
	}
	for _, f := range fs {
		if f.Severity != findings.Medium {
			t.Errorf("%s: severity %s, want medium (ESLint warning)", f.RuleID, f.Severity)
		}
		if f.InlineIgnored != (f.Location.Path == "corpus/suppressed.js") {
			t.Errorf("%s:%d: InlineIgnored = %v", f.Location.Path, f.Location.StartLine, f.InlineIgnored)
		}
	}
}
