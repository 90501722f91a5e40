package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/sluice-ci/sluice/internal/diag"
)

// pathHint tells where policy paths are resolved from.
const pathHint = "gates.policies paths are relative to the pipeline file's folder"

// Load reads, parses and compiles the Rego files that paths name: a file is
// that file; a folder is every *.rego file directly in it (not *_test.rego,
// not sub-folders), in name order. Relative paths are resolved from
// baseDir, and files are named relative to baseDir in every message, in
// Digest and in result sources.
//
// Files are Rego v1 (`deny contains msg if { ... }`); `import rego.v1` is
// accepted. Every problem is reported at once, as diag.Diagnostics with
// file:line:col: a path that does not exist, a folder with no policy file,
// a syntax or compile error, a call to a refused built-in (http.send,
// net.lookup_ip_addr, opa.runtime), a package that defines no deny, warn or
// violation rule and that no other policy imports. No paths give an empty
// set.
func Load(baseDir string, paths []string) (*Set, error) {
	var ds diag.Diagnostics
	var files []source
	seen := map[string]bool{}
	add := func(full string) {
		name := displayName(baseDir, full)
		if seen[name] {
			return
		}
		seen[name] = true
		src, err := os.ReadFile(full) // #nosec G304 -- policy files the pipeline's author configured
		if err != nil {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, File: name, Summary: fmt.Sprintf("read policy file: %v", err)})
			return
		}
		files = append(files, source{name: name, src: src})
	}
	for _, p := range paths {
		full := p
		if !filepath.IsAbs(full) {
			full = filepath.Join(baseDir, p)
		}
		name := displayName(baseDir, full)
		info, err := os.Stat(full)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, File: name, Summary: "policy path does not exist", Hint: pathHint})
			continue
		case err != nil:
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, File: name, Summary: fmt.Sprintf("read policy path: %v", err)})
			continue
		case !info.IsDir():
			add(full)
			continue
		}
		entries, err := os.ReadDir(full)
		if err != nil {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, File: name, Summary: fmt.Sprintf("read policy folder: %v", err)})
			continue
		}
		n := 0
		for _, e := range entries { // ReadDir sorts by name
			if e.IsDir() || !isPolicyFile(e.Name()) {
				continue
			}
			n++
			add(filepath.Join(full, e.Name()))
		}
		if n == 0 {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, File: name, Summary: "policy folder holds no .rego file",
				Hint: "add policy files ending in .rego (files ending in _test.rego and sub-folders are not read), or remove the path from gates.policies"})
		}
	}
	s, cds := build(files)
	ds = append(ds, cds...)
	if ds.HasErrors() {
		ds.Sort()
		return nil, ds
	}
	return s, nil
}

// isPolicyFile reports whether a file in a policy folder is read.
func isPolicyFile(name string) bool {
	return strings.HasSuffix(name, ".rego") && !strings.HasSuffix(name, "_test.rego")
}

// displayName names full relative to baseDir with forward slashes, or as
// given when it lies outside baseDir.
func displayName(baseDir, full string) string {
	if rel, err := filepath.Rel(baseDir, full); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(filepath.Clean(full))
}

// build parses, checks and compiles files and prepares their rules.
func build(files []source) (*Set, diag.Diagnostics) {
	slices.SortFunc(files, func(a, b source) int { return strings.Compare(a.name, b.name) })
	var ds diag.Diagnostics
	modules := make(map[string]*ast.Module, len(files))
	for _, f := range files {
		m, pds := parse(f)
		ds = append(ds, pds...)
		if m != nil {
			modules[f.name] = m
			ds = append(ds, refusedCalls(m)...)
		}
	}
	if ds.HasErrors() {
		// A broken file may be the one that imports a library, so the
		// rule check would only add noise.
		return nil, ds
	}
	ds = append(ds, checkRules(files, modules)...)
	if ds.HasErrors() {
		return nil, ds
	}
	caps := capabilities()
	compiler, err := compile(modules, caps)
	if err != nil {
		return nil, astDiagnostics("", err)
	}
	s := &Set{files: files, timeout: DefaultTimeout}
	for _, r := range speakingRules(files, modules) {
		q, err := prepare(compiler, caps, r.ref)
		if err != nil {
			ds = append(ds, astDiagnostics(r.files[0], err)...)
			continue
		}
		s.targets = append(s.targets, &target{source: r.source(), deny: r.deny, query: q})
	}
	if ds.HasErrors() {
		return nil, ds
	}
	return s, nil
}

// parse parses one file as Rego v1. A panic inside the parser becomes a
// diagnostic.
func parse(f source) (m *ast.Module, ds diag.Diagnostics) {
	defer func() {
		if r := recover(); r != nil {
			m, ds = nil, diag.Diagnostics{{Severity: diag.Error, File: f.name, Summary: fmt.Sprintf("the Rego parser failed: %v", r)}}
		}
	}()
	empty := diag.Diagnostics{{Severity: diag.Error, File: f.name, Summary: "policy file is empty",
		Hint: "a policy starts with a package declaration and defines deny, warn or violation rules"}}
	m, err := ast.ParseModuleWithOpts(f.name, string(f.src), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if errs := astErrors(err); len(errs) == 1 && errs[0].Message == "empty module" {
		return nil, empty
	}
	if err != nil {
		return nil, astDiagnostics(f.name, err)
	}
	if m == nil {
		return nil, empty
	}
	return m, nil
}

// compile compiles modules. A panic inside the compiler becomes an error.
func compile(modules map[string]*ast.Module, caps *ast.Capabilities) (c *ast.Compiler, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("the Rego compiler failed: %v", r)
		}
	}()
	c = ast.NewCompiler().WithCapabilities(caps).SetErrorLimit(0)
	c.Compile(modules)
	if c.Failed() {
		return nil, c.Errors
	}
	return c, nil
}

// prepare prepares the query of one rule.
func prepare(c *ast.Compiler, caps *ast.Capabilities, ref ast.Ref) (rego.PreparedEvalQuery, error) {
	return rego.New(
		rego.Compiler(c),
		rego.Capabilities(caps),
		rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(ref)))),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(context.Background())
}

// astDiagnostics turns OPA's errors into diagnostics at their file:line:col;
// file names the problem when OPA gives no location.
func astDiagnostics(file string, err error) diag.Diagnostics {
	errs := astErrors(err)
	if errs == nil {
		return diag.Diagnostics{{Severity: diag.Error, File: file, Summary: err.Error()}}
	}
	ds := make(diag.Diagnostics, 0, len(errs))
	for _, e := range errs {
		d := diag.Diagnostic{Severity: diag.Error, File: file, Summary: e.Code + ": " + e.Message}
		if e.Location != nil {
			if e.Location.File != "" {
				d.File = e.Location.File
			}
			d.Line, d.Col = e.Location.Row, e.Location.Col
		}
		ds = append(ds, d)
	}
	return ds
}

// astErrors returns OPA's errors in err, nil when it holds none.
func astErrors(err error) ast.Errors {
	var errs ast.Errors
	if errors.As(err, &errs) {
		return errs
	}
	var one *ast.Error
	if errors.As(err, &one) {
		return ast.Errors{one}
	}
	return nil
}

// refusedCalls reports every call of a refused built-in in m.
func refusedCalls(m *ast.Module) diag.Diagnostics {
	var ds diag.Diagnostics
	check := func(op *ast.Term) {
		if op == nil {
			return
		}
		ref, ok := op.Value.(ast.Ref)
		if !ok {
			return
		}
		name := ref.String()
		why, refused := refusedBuiltins[name]
		if !refused {
			return
		}
		d := diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("%s is not allowed: %s", name, why),
			Hint: "decide from the input document only; see docs/policies.md"}
		if loc := op.Location; loc != nil {
			d.File, d.Line, d.Col = loc.File, loc.Row, loc.Col
		}
		ds = append(ds, d)
	}
	ast.WalkExprs(m, func(e *ast.Expr) bool {
		if e.IsCall() {
			check(e.OperatorTerm())
		}
		return false
	})
	ast.WalkTerms(m, func(t *ast.Term) bool {
		if call, ok := t.Value.(ast.Call); ok && len(call) > 0 {
			check(call[0])
		}
		return false
	})
	return ds
}

// ruleName matches the rules Eval reads, conftest's way: deny, violation
// and warn, optionally followed by _suffixes (deny_unpinned).
var ruleName = regexp.MustCompile(`^(deny|violation|warn)(_[a-zA-Z0-9]+)*$`)

// speaking is one rule Eval reads, with the files that define it (a
// package may span files).
type speaking struct {
	pkg   string // package path without "data."
	name  string
	ref   ast.Ref
	deny  bool
	files []string
}

// source names the rule in results: file:package.rule.
func (r speaking) source() string {
	return strings.Join(r.files, ",") + ":" + r.pkg + "." + r.name
}

// speakingRules lists the rules Eval reads, sorted by package and name.
func speakingRules(files []source, modules map[string]*ast.Module) []speaking {
	byKey := map[string]*speaking{}
	for _, f := range files { // in name order, so files come out sorted
		m := modules[f.name]
		for _, r := range m.Rules {
			name, ok := ruleHead(r)
			if !ok || !ruleName.MatchString(name) {
				continue
			}
			pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
			key := pkg + "\x00" + name
			sp := byKey[key]
			if sp == nil {
				sp = &speaking{pkg: pkg, name: name, ref: m.Package.Path.Copy().Append(ast.StringTerm(name)), deny: !strings.HasPrefix(name, "warn")}
				byKey[key] = sp
			}
			if !slices.Contains(sp.files, f.name) {
				sp.files = append(sp.files, f.name)
			}
		}
	}
	out := make([]speaking, 0, len(byKey))
	for _, sp := range byKey {
		out = append(out, *sp)
	}
	slices.SortFunc(out, func(a, b speaking) int {
		if c := strings.Compare(a.pkg, b.pkg); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out
}

// ruleHead returns the name a rule defines when it is a plain (not a
// function, single-name) rule.
func ruleHead(r *ast.Rule) (string, bool) {
	ref := r.Head.Ref()
	if len(r.Head.Args) > 0 || len(ref) != 1 {
		return "", false
	}
	v, ok := ref[0].Value.(ast.Var)
	return string(v), ok
}

// checkRules reports rules named like deny, warn or violation that Eval
// cannot read, and packages that can never say anything: no such rule, and
// not imported by another package.
func checkRules(files []source, modules map[string]*ast.Module) diag.Diagnostics {
	var ds diag.Diagnostics
	speaks := map[string]bool{} // package path → defines a rule Eval reads
	for _, f := range files {
		m := modules[f.name]
		pkg := m.Package.Path.String()
		for _, r := range m.Rules {
			if name, ok := ruleHead(r); ok && ruleName.MatchString(name) {
				speaks[pkg] = true
				continue
			}
			ref := r.Head.Ref()
			if v, ok := ref[0].Value.(ast.Var); ok && ruleName.MatchString(string(v)) {
				d := diag.Diagnostic{Severity: diag.Error, File: f.name,
					Summary: fmt.Sprintf("rule %s cannot be read as a %s rule", ref, v),
					Hint:    fmt.Sprintf("write `%s contains msg if { ... }` (a function or a nested name is not read)", v)}
				if r.Location != nil {
					d.Line, d.Col = r.Location.Row, r.Location.Col
				}
				ds = append(ds, d)
			}
		}
	}
	for _, f := range files {
		m := modules[f.name]
		pkg := m.Package.Path
		if speaks[pkg.String()] || referenced(pkg, modules) {
			continue
		}
		d := diag.Diagnostic{Severity: diag.Error, File: f.name,
			Summary: fmt.Sprintf("package %s defines no deny, warn or violation rule, so it can never say anything", strings.TrimPrefix(pkg.String(), "data.")),
			Hint:    "add a rule like `deny contains msg if { ... }`, or import the package from a policy that has one"}
		if m.Package.Location != nil {
			d.Line, d.Col = m.Package.Location.Row, m.Package.Location.Col
		}
		ds = append(ds, d)
	}
	return ds
}

// referenced reports whether a module of another package refers to pkg (an
// import, or a data reference into it): then pkg is a library.
func referenced(pkg ast.Ref, modules map[string]*ast.Module) bool {
	found := false
	visit := func(r ast.Ref) bool {
		if found || !r.HasPrefix(ast.DefaultRootRef) {
			return found
		}
		p := r.ConstantPrefix()
		if p.HasPrefix(pkg) || pkg.HasPrefix(p) {
			found = true
		}
		return found
	}
	for _, m := range modules {
		if m.Package.Path.Equal(pkg) {
			continue
		}
		for _, imp := range m.Imports {
			ast.WalkRefs(imp, visit)
		}
		for _, r := range m.Rules {
			ast.WalkRefs(r, visit)
		}
		if found {
			return true
		}
	}
	return false
}
