package gosast

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/examples"
	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

const goMod = "module example.com/m\n\ngo 1.26\n"

// TestMarkers checks gosec's #nosec (which drops a finding) and sluice's
// inline marker, scoped and not (which keeps it, marked).
func TestMarkers(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod": goMod,
		"m.go": `package m

import "os"

func A(p string) { os.Remove(p) } // sluice:ignore G104
func B(p string) { os.Remove(p) } // sluice:ignore secrets
func C(p string) { os.Remove(p) } // #nosec G104 -- fine here
func D(p string) { os.Remove(p) } // sluice:ignore
func E(p string) { os.Remove(p) } // sluice:ignore gosec -- reviewed
func F(p string) { os.Remove(p) } // sluice:ignore G304
func G(p string) { os.Remove(p) } // #nosec G304
func H(p string) { os.Remove(p) } // sluice:ignored is not the marker
`,
	})
	h, fs := scanDir(t, root, Options{})
	var open, ignored []findings.Finding
	for _, f := range fs {
		if f.InlineIgnored {
			ignored = append(ignored, f)
		} else {
			open = append(open, f)
		}
	}
	if diff := cmp.Diff([]string{"m.go:10 G104", "m.go:11 G104", "m.go:12 G104", "m.go:6 G104"}, got(open)); diff != "" {
		t.Errorf("open findings (-want +got):\n%s", diff)
	}
	// The marked lines are still reported (C and G, under #nosec, are not).
	if diff := cmp.Diff([]string{"m.go:5 G104", "m.go:8 G104", "m.go:9 G104"}, got(ignored)); diff != "" {
		t.Errorf("inline-ignored findings (-want +got):\n%s", diff)
	}
	if h.Findings != len(fs) {
		t.Errorf("health counts %d findings, reported %d", h.Findings, len(fs))
	}
	// A marked finding is the finding it would be without the mark.
	for _, f := range ignored {
		unmarked := f
		unmarked.InlineIgnored = false
		if f.Fingerprint != "" || findings.Fingerprint(&f) != findings.Fingerprint(&unmarked) {
			t.Errorf("%s:%d: the mark changes the fingerprint", f.Location.Path, f.Location.StartLine)
		}
		if f.Severity != findings.Low || f.Title == "" || f.Snippet == "" || len(f.Sources) != 1 {
			t.Errorf("marked finding lost its facts: %+v", f)
		}
	}
}

// TestBrokenPackages checks that packages that do not load are input
// errors and the others are still checked.
func TestBrokenPackages(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":          goMod,
		"good/good.go":    "package good\n\nimport \"os\"\n\nfunc Read(p string) ([]byte, error) { return os.ReadFile(p) }\n",
		"syntax/bad.go":   "package syntax\n\nfunc Broken( {\n",
		"missing/miss.go": "package missing\n\nimport \"example.com/nowhere/pkg\"\n\nvar X = pkg.X\n",
		"typeerr/t.go":    "package typeerr\n\nvar X int = \"text\"\n",
		"badmod/go.mod":   "module example.com/badmod\n\ngo 1.26\nrequire (\n",
		"badmod/b.go":     "package badmod\n\nimport \"os\"\n\nfunc F(p string) { os.Remove(p) }\n",
	})
	h, fs := scanDir(t, root, Options{})
	if diff := cmp.Diff([]string{"good/good.go:5 G304"}, got(fs)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	var paths []string
	for _, e := range h.Errors {
		t.Logf("%s: %s", e.Path, e.Err)
		paths = append(paths, e.Path)
		if strings.Contains(e.Err, root) {
			t.Errorf("error names the absolute root: %s", e.Err)
		}
	}
	if diff := cmp.Diff([]string{"badmod", "missing", "syntax", "typeerr"}, paths); diff != "" {
		t.Errorf("input errors (-want +got):\n%s\n%+v", diff, h.Errors)
	}
	if h.Status != scan.Ran || !h.Partial || h.Packages != 4 {
		t.Errorf("health = %+v", h)
	}
}

// TestLayouts checks which modules are found: nested modules are loaded
// on their own, a module above the root is loaded for the root's part,
// testdata is left out as the go command does, and Go files outside any
// module are an input error.
func TestLayouts(t *testing.T) {
	const bad = "package %s\n\nimport \"os\"\n\nfunc F(p string) { os.Remove(p) }\n"
	src := func(pkg string) string { return strings.Replace(bad, "%s", pkg, 1) }
	root := writeTree(t, map[string]string{
		"outer/go.mod":          goMod,
		"outer/a/a.go":          src("a"),
		"outer/b/b.go":          src("b"),
		"outer/testdata/x.go":   src("x"),
		"outer/nested/go.mod":   "module example.com/nested\n\ngo 1.26\n",
		"outer/nested/n.go":     src("nested"),
		"outer/nested/sub/s.go": src("sub"),
	})
	outer := filepath.Join(root, "outer")
	h, fs := scanDir(t, outer, Options{})
	want := []string{"a/a.go:5 G104", "b/b.go:5 G104", "nested/n.go:5 G104", "nested/sub/s.go:5 G104"}
	if diff := cmp.Diff(want, got(fs)); diff != "" {
		t.Errorf("whole tree (-want +got):\n%s", diff)
	}
	if h.Files != 4 || h.Packages != 4 || len(h.Errors) > 0 {
		t.Errorf("health = %+v", h)
	}

	// The module holds the root: only the root's part is checked.
	_, fs = scanDir(t, filepath.Join(outer, "a"), Options{})
	if diff := cmp.Diff([]string{"a.go:5 G104"}, got(fs)); diff != "" {
		t.Errorf("root inside a module (-want +got):\n%s", diff)
	}

	if moduleRoot(root, map[string]string{}) != "" {
		t.Skip("a go.mod above the temporary folder")
	}
	loose := writeTree(t, map[string]string{
		"mod/go.mod":  goMod,
		"mod/m.go":    src("m"),
		"loose/l.go":  src("l"),
		"loose2/l.go": src("l"),
	})
	h, fs = scanDir(t, loose, Options{})
	if diff := cmp.Diff([]string{"mod/m.go:5 G104"}, got(fs)); diff != "" {
		t.Errorf("loose files (-want +got):\n%s", diff)
	}
	if len(h.Errors) != 2 || h.Errors[0].Path != "loose" || h.Errors[1].Path != "loose2" {
		t.Errorf("errors = %+v, want one for each folder outside a module", h.Errors)
	}
}

// TestTests checks that test files are left out unless asked for, and
// that the test variant of a package does not report its files twice.
func TestTests(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":      goMod,
		"m.go":        "package m\n\nimport \"os\"\n\nfunc F(p string) { os.Remove(p) }\n",
		"m_test.go":   "package m\n\nimport \"os\"\n\nfunc helper(p string) { os.Remove(p) }\n",
		"ext_test.go": "package m_test\n\nimport \"os\"\n\nfunc helper(p string) { os.Remove(p) }\n",
	})
	h, fs := scanDir(t, root, Options{})
	if diff := cmp.Diff([]string{"m.go:5 G104"}, got(fs)); diff != "" {
		t.Errorf("without tests (-want +got):\n%s", diff)
	}
	if h.Files != 1 {
		t.Errorf("Files = %d without tests, want 1", h.Files)
	}
	h, fs = scanDir(t, root, Options{Tests: true})
	want := []string{"ext_test.go:5 G104", "m.go:5 G104", "m_test.go:5 G104"}
	if diff := cmp.Diff(want, got(fs)); diff != "" {
		t.Errorf("with tests (-want +got):\n%s", diff)
	}
	if h.Files != 3 {
		t.Errorf("Files = %d with tests, want 3", h.Files)
	}
}

// TestExclude checks that excluded rules do not run and that an unknown
// rule id fails the scan.
func TestExclude(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("testdata", "corpus", "insecure"))
	if err != nil {
		t.Fatal(err)
	}
	_, fs := scanDir(t, root, Options{Exclude: []string{"g104", "G401", "G705"}})
	for _, f := range fs {
		if f.RuleID == "G104" || f.RuleID == "G401" || f.RuleID == "G705" {
			t.Errorf("excluded rule reported: %s:%d %s", f.Location.Path, f.Location.StartLine, f.RuleID)
		}
	}
	if n := len(expected(t, root)) - len(fs); n != 5 {
		t.Errorf("%d findings fewer with three rules excluded, want 5", n)
	}
	needGo(t)
	_, err = New(Options{Exclude: []string{"G999"}}).Scan(context.Background(), &scan.Target{Root: root}, func(findings.Finding) {})
	if err == nil || !strings.Contains(err.Error(), "G999") {
		t.Errorf("unknown rule: err = %v", err)
	}
}

// TestTargetFiles checks that files left out of Target.Files (ignored by
// .sluiceignore) are neither reported nor counted.
func TestTargetFiles(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":         goMod,
		"m.go":           "package m\n\nimport \"os\"\n\nfunc F(p string) { os.Remove(p) }\n",
		"gen.go":         "package m\n\nimport \"os\"\n\nfunc G(p string) { os.Remove(p) }\n",
		"ignored/i.go":   "package ignored\n\nimport \"os\"\n\nfunc F(p string) { os.Remove(p) }\n",
		"ignored/b.go":   "package ignored\n\nfunc Broken( {\n",
		".sluiceignore":  "gen.go\nignored/\n",
		"other/README":   "not Go\n",
		"other/notes.md": "# notes\n",
	})
	files, _, err := scan.Walk(context.Background(), root, scan.WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h, fs := scanTarget(t, &scan.Target{Root: root, Files: files}, Options{})
	if diff := cmp.Diff([]string{"m.go:5 G104"}, got(fs)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if h.Files != 1 || h.Packages != 1 || len(h.Errors) > 0 {
		t.Errorf("health = %+v", h)
	}
}

// TestApplies checks the reasons for skipping.
func TestApplies(t *testing.T) {
	ctx := context.Background()
	withGo := writeTree(t, map[string]string{"go.mod": goMod, "m.go": "package m\n"})
	noGo := writeTree(t, map[string]string{"README.md": "# hi\n", "main.py": "print(1)\n"})
	s := New(Options{})
	if ok, why := s.Applies(ctx, &scan.Target{Root: noGo}); ok || why != "no Go files (*.go) found" {
		t.Errorf("no Go files: %v %q", ok, why)
	}
	if ok, why := s.Applies(ctx, &scan.Target{Root: withGo, Files: []string{"go.mod", "README"}}); ok || why != "no Go files (*.go) found" {
		t.Errorf("Files without Go: %v %q", ok, why)
	}
	if moduleRoot(noGo, map[string]string{}) == "" {
		orphan := writeTree(t, map[string]string{"m.go": "package m\n"})
		if ok, why := s.Applies(ctx, &scan.Target{Root: orphan}); ok || why != "no go.mod at or above the Go files" {
			t.Errorf("no go.mod: %v %q", ok, why)
		}
	}
	needGo(t)
	if ok, why := s.Applies(ctx, &scan.Target{Root: withGo}); !ok {
		t.Errorf("module: does not apply: %s", why)
	}
	t.Setenv("PATH", t.TempDir())
	if ok, why := s.Applies(ctx, &scan.Target{Root: withGo}); ok || !strings.Contains(why, "go command is not on PATH") {
		t.Errorf("no go command: %v %q", ok, why)
	}
}

// TestCancel checks that a cancelled scan says so.
func TestCancel(t *testing.T) {
	needGo(t)
	root, err := filepath.Abs(filepath.Join("testdata", "corpus", "insecure"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = New(Options{}).Scan(ctx, &scan.Target{Root: root}, func(findings.Finding) {})
	if err == nil {
		t.Error("a cancelled scan returned no error")
	}
}

// TestGoodbooks scans a standalone copy of the example project: it loads
// cleanly and has nothing high or critical.
func TestGoodbooks(t *testing.T) {
	fsys, err := examples.GoodbooksFS()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, fsys); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), examples.GoModFile(), 0o644); err != nil {
		t.Fatal(err)
	}
	h, fs := scanDir(t, dir, Options{})
	if h.Status != scan.Ran || len(h.Errors) > 0 || h.Packages == 0 || h.Files == 0 {
		t.Errorf("health = %+v", h)
	}
	for _, f := range fs {
		t.Logf("%s %s %s: %s", f.Location, f.RuleID, f.Severity, f.Message)
		if f.Severity >= findings.High {
			t.Errorf("%s finding in goodbooks: %s %s %s", f.Severity, f.Location, f.RuleID, f.Message)
		}
		if slices.Contains([]string{"G114", "G112", "G101", "G402"}, f.RuleID) {
			t.Errorf("goodbooks should not have %s: %s", f.RuleID, f.Location)
		}
	}
}
