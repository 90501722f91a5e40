package gosast

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/securego/gosec/v2"
	"github.com/securego/gosec/v2/analyzers"
	"github.com/securego/gosec/v2/issue"
	"golang.org/x/tools/go/analysis"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

func TestSeverity(t *testing.T) {
	for _, c := range []struct {
		sev, conf issue.Score
		want      findings.Severity
	}{
		{issue.High, issue.High, findings.High},
		{issue.High, issue.Medium, findings.High},
		{issue.High, issue.Low, findings.Medium},
		{issue.Medium, issue.High, findings.Medium},
		{issue.Medium, issue.Low, findings.Medium},
		{issue.Low, issue.High, findings.Low},
		{issue.Low, issue.Low, findings.Low},
	} {
		if got := Severity(c.sev, c.conf); got != c.want {
			t.Errorf("Severity(%s, %s) = %s, want %s", c.sev, c.conf, got, c.want)
		}
	}
}

func TestLineRange(t *testing.T) {
	for in, want := range map[string][2]int{
		"12": {12, 12}, "12-14": {12, 14}, "14-12": {14, 14}, "": {0, 0}, "x": {0, 0},
	} {
		if s, e := lineRange(in); s != want[0] || e != want[1] {
			t.Errorf("lineRange(%q) = %d, %d; want %v", in, s, e, want)
		}
	}
}

func TestCodeLines(t *testing.T) {
	code := "9: func f() {\n10: \tx := 1: 2\n11:\n12: \ty := 3   \n13: }\n"
	if diff := cmp.Diff([]string{"\tx := 1: 2", "", "\ty := 3"}, codeLines(code, 10, 12)); diff != "" {
		t.Errorf("codeLines (-want +got):\n%s", diff)
	}
	if got := codeLines("invalid AST node provided", 1, 1); got != nil {
		t.Errorf("codeLines of no code = %q", got)
	}
	long := make([]string, 20)
	for i := range long {
		long[i] = "line"
	}
	if s := snippet(long); strings.Count(s, "\n") != maxSnippetLines || !strings.HasSuffix(s, "…") {
		t.Errorf("snippet of 20 lines = %q", s)
	}
	if s := snippet([]string{strings.Repeat("é", maxSnippetBytes)}); len(s) > maxSnippetBytes+len("\n…") || !strings.HasSuffix(s, "…") {
		t.Errorf("snippet of a long line has %d bytes", len(s))
	}
}

func TestEndColumn(t *testing.T) {
	const src = "package p\n\nfunc f() {\n\tx := g(1,\n\t\t2)\n\t_ = int16(x) // note\n}\n\nfunc g(a, b int) int { return a }\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name               string
		line, col, endLine int
		lines              []string
		file               *ast.File
		want               int
	}{
		{"call over two lines", 4, 7, 5, nil, f, 5},
		{"assignment", 4, 2, 5, nil, f, 5},
		{"conversion at its parenthesis", 6, 11, 6, nil, f, 14},
		{"conversion", 6, 6, 6, nil, f, 14},
		{"no syntax: end of line", 6, 6, 6, []string{"\t_ = int16(x) // note"}, nil, 22},
		{"line past the end", 40, 1, 40, nil, f, 0},
	} {
		if got := endColumn(fset, c.file, c.line, c.col, c.endLine, c.lines); got != c.want {
			t.Errorf("%s: endColumn = %d, want %d", c.name, got, c.want)
		}
	}
}

// TestRules checks that every rule gosec runs has a title, a CWE, a fix
// of sluice's and references.
func TestRules(t *testing.T) {
	rs := Rules()
	if len(rs) < 60 {
		t.Fatalf("only %d rules", len(rs))
	}
	for _, r := range rs {
		if r.Description == "" || r.CWE == 0 {
			t.Errorf("%s: description %q, CWE %d", r.ID, r.Description, r.CWE)
		}
		if _, ok := fixes[r.ID]; !ok {
			t.Errorf("%s (%s) has no fix hint", r.ID, r.Description)
		}
		refs := References(r.ID)
		if len(refs) != 2 || !strings.HasSuffix(refs[0], ".html") || !strings.Contains(refs[1], "#g") {
			t.Errorf("%s: references %q", r.ID, refs)
		}
	}
	if f := Fix("G000"); !strings.Contains(f, "G000") {
		t.Errorf("Fix of an unknown rule = %q", f)
	}
}

// panicRule panics on the files of package "a".
type panicRule struct{}

func (panicRule) ID() string { return "G998" }

func (panicRule) Match(n ast.Node, ctx *gosec.Context) (*issue.Issue, error) {
	if ctx.Pkg != nil && ctx.Pkg.Name() == "a" {
		panic("rule exploded")
	}
	return nil, nil
}

// TestCrashes checks that a crashing AST rule or SSA analyzer costs its
// package an input error, not the scan.
func TestCrashes(t *testing.T) {
	needGo(t)
	const bad = "package %s\n\nimport \"os\"\n\nfunc F(p string) { os.Remove(p) }\n"
	root := writeTree(t, map[string]string{
		"go.mod": goMod,
		"a/a.go": strings.Replace(bad, "%s", "a", 1),
		"b/b.go": strings.Replace(bad, "%s", "b", 1),
	})
	files := []string{"a/a.go", "b/b.go"}

	r := newRun(&scan.Target{Root: root}, files, Options{Env: testEnv})
	r.rules["G998"] = func(string, gosec.Config) (gosec.Rule, []ast.Node) {
		return panicRule{}, []ast.Node{(*ast.CallExpr)(nil)}
	}
	r.module(context.Background(), module{dir: root, rel: "."})
	if diff := cmp.Diff([]string{"b/b.go:5 G104"}, got(r.results())); diff != "" {
		t.Errorf("panicking rule: findings (-want +got):\n%s", diff)
	}
	if len(r.errs) != 1 || r.errs[0].Path != "a" || !strings.Contains(r.errs[0].Err, "rule exploded") {
		t.Errorf("panicking rule: errors = %+v", r.errs)
	}

	r = newRun(&scan.Target{Root: root}, files, Options{Env: testEnv})
	r.analyzers["G997"] = analyzers.AnalyzerDefinition{ID: "G997", Description: "explodes",
		Create: func(id, desc string) *analysis.Analyzer {
			return &analysis.Analyzer{Name: id, Doc: desc, Run: func(*analysis.Pass) (any, error) {
				panic("analyzer exploded")
			}}
		}}
	r.module(context.Background(), module{dir: root, rel: "."})
	if diff := cmp.Diff([]string{"a/a.go:5 G104", "b/b.go:5 G104"}, got(r.results())); diff != "" {
		t.Errorf("panicking analyzer: findings (-want +got):\n%s", diff)
	}
	if len(r.errs) != 2 || !strings.Contains(r.errs[0].Err, "G997 crashed: analyzer exploded") {
		t.Errorf("panicking analyzer: errors = %+v", r.errs)
	}
}
