package gosast

import (
	"context"
	"fmt"
	"go/ast"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/securego/gosec/v2"
	"github.com/securego/gosec/v2/analyzers"
	"github.com/securego/gosec/v2/issue"
	"github.com/securego/gosec/v2/rules"
	"golang.org/x/tools/go/packages"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// maxPackageErrors is how many load errors of one package are kept.
const maxPackageErrors = 5

// run is one scan: what it may look at, and what it found so far. Its
// methods may be called from several goroutines.
type run struct {
	root    string
	opts    Options
	allowed map[string]bool // Go files to check, relative to root

	rules              map[string]gosec.RuleBuilder
	rulesSuppressed    map[string]bool
	analyzers          map[string]analyzers.AnalyzerDefinition
	analyzerSuppressed map[string]bool

	mu       sync.Mutex
	found    map[findingKey]findings.Finding
	files    map[string]bool
	packages map[string]bool
	errs     []scan.InputError
	errSeen  map[scan.InputError]bool
}

// findingKey identifies one report; the test variant of a package
// reports the issues of its non-test files a second time.
type findingKey struct {
	path, rule, msg string
	line, col       int
}

func newRun(t *scan.Target, files []string, opts Options) *run {
	r := &run{
		root: t.Root, opts: opts, allowed: make(map[string]bool, len(files)),
		found: map[findingKey]findings.Finding{}, files: map[string]bool{},
		packages: map[string]bool{}, errSeen: map[scan.InputError]bool{},
	}
	for _, f := range files {
		r.allowed[f] = true
	}
	var rf []rules.RuleFilter
	var af []analyzers.AnalyzerFilter
	if len(opts.Exclude) > 0 {
		rf = append(rf, rules.NewRuleFilter(true, opts.Exclude...))
		af = append(af, analyzers.NewAnalyzerFilter(true, opts.Exclude...))
	}
	r.rules, r.rulesSuppressed = rules.Generate(false, rf...).RulesInfo()
	r.analyzers, r.analyzerSuppressed = analyzers.Generate(false, af...).AnalyzersInfo()
	return r
}

// module loads every package of m at once, so that the dependencies are
// type-checked once, and checks the packages concurrently.
func (r *run) module(ctx context.Context, m module) {
	pkgs, err := r.load(ctx, m)
	if err != nil {
		r.addError(m.rel, r.relText(err.Error()))
		return
	}
	n := r.opts.Concurrency
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, p := range pkgs {
		if ctx.Err() != nil {
			break
		}
		if strings.HasSuffix(p.ID, ".test") {
			continue // the generated main of a test binary
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r.check(p)
		}()
	}
	wg.Wait()
}

// load lists and type-checks the packages of m with the go command.
func (r *run) load(ctx context.Context, m module) (pkgs []*packages.Package, err error) {
	defer func() {
		if v := recover(); v != nil {
			pkgs, err = nil, fmt.Errorf("internal error loading packages: %v", v)
		}
	}()
	cfg := &packages.Config{
		Context: ctx,
		Mode:    gosec.LoadMode,
		Dir:     m.dir,
		Tests:   r.opts.Tests,
	}
	if len(r.opts.BuildTags) > 0 {
		cfg.BuildFlags = []string{"-tags=" + strings.Join(r.opts.BuildTags, ",")}
	}
	if len(r.opts.Env) > 0 {
		cfg.Env = append(os.Environ(), r.opts.Env...)
	}
	pkgs, err = packages.Load(cfg, "./...")
	if err != nil {
		return nil, fmt.Errorf("load Go packages: %w", err)
	}
	return pkgs, nil
}

// check runs gosec over one loaded package and records what it found.
// A package none of whose files are in the target (all ignored) is left
// alone, errors included.
func (r *run) check(p *packages.Package) {
	if !r.owns(p) {
		return
	}
	dir := r.packageDir(p)
	r.packageErrors(dir, p)
	var mine []string
	for _, f := range p.Syntax {
		if tf := p.Fset.File(f.Pos()); tf != nil {
			if rel, ok := r.rel(tf.Name()); ok && r.allowed[rel] {
				mine = append(mine, rel)
			}
		}
	}
	if len(mine) == 0 {
		return
	}
	issues, err := r.analyse(p)
	if err != nil {
		r.addError(dir, err.Error())
	}
	syntax := map[string]*ast.File{}
	for _, f := range p.Syntax {
		if tf := p.Fset.File(f.Pos()); tf != nil {
			syntax[tf.Name()] = f
		}
	}
	var found []findings.Finding
	for _, is := range issues {
		rel, ok := r.rel(is.File)
		if !ok || !r.allowed[rel] {
			continue
		}
		found = append(found, convert(is, rel, p.Fset, syntax[is.File]))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rel := range mine {
		r.files[rel] = true
	}
	r.packages[p.PkgPath] = true
	for _, f := range found {
		k := findingKey{f.Location.Path, f.RuleID, f.Message, f.Location.StartLine, f.Location.StartCol}
		r.found[k] = f
	}
}

// analyse runs gosec's AST rules and SSA analyzers over p. A panic in
// either becomes an error, with whatever was found before it.
func (r *run) analyse(p *packages.Package) (issues []*issue.Issue, err error) {
	watch := &panicWatch{}
	a := gosec.NewAnalyzer(gosec.NewConfig(), r.opts.Tests, false, false, 1, log.New(watch, "", 0))
	defer func() {
		if v := recover(); v != nil {
			issues, _, _ = a.Report()
			err = fmt.Errorf("gosec crashed on this package (%v); some rules did not run", v)
		}
		if err == nil {
			err = watch.err()
		}
	}()
	a.LoadRules(r.rules, r.rulesSuppressed)
	a.LoadAnalyzers(guarded(r.analyzers, watch), r.analyzerSuppressed)
	a.CheckRules(p)
	a.CheckAnalyzers(p)
	issues, _, _ = a.Report()
	return issues, nil
}

// owns reports whether one of p's files is a file to check.
func (r *run) owns(p *packages.Package) bool {
	for _, list := range [][]string{p.GoFiles, p.CompiledGoFiles} {
		for _, f := range list {
			if rel, ok := r.rel(f); ok && r.allowed[rel] {
				return true
			}
		}
	}
	return false
}

// packageErrors records why p did not load cleanly, if it did not.
func (r *run) packageErrors(dir string, p *packages.Package) {
	msgs := r.loadErrors(p)
	if len(msgs) == 0 {
		return
	}
	if len(msgs) > maxPackageErrors {
		msgs = append(msgs[:maxPackageErrors], fmt.Sprintf("and %d more", len(msgs)-maxPackageErrors))
	}
	r.addError(dir, "package did not load cleanly, checked as far as it parsed: "+strings.Join(msgs, "; "))
}

// loadErrors lists the problems of p, without repeats: first imports that
// could not be found at all (which explain the type errors after them),
// then p's own errors, one per line of compiler output.
func (r *run) loadErrors(p *packages.Package) []string {
	var msgs []string
	seen := map[string]bool{}
	add := func(m string) {
		m = strings.TrimSpace(r.relText(m))
		if m != "" && !seen[m] {
			seen[m] = true
			msgs = append(msgs, m)
		}
	}
	paths := make([]string, 0, len(p.Imports))
	for path, imp := range p.Imports {
		if len(imp.GoFiles) == 0 && len(imp.Errors) > 0 {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	for _, path := range paths {
		for _, e := range p.Imports[path].Errors {
			first, _, _ := strings.Cut(e.Error(), "\n")
			add(strings.TrimSuffix(first, "; to add it:"))
		}
	}
	for _, e := range p.Errors {
		for line := range strings.SplitSeq(strings.TrimPrefix(e.Error(), "-: "), "\n") {
			if !strings.HasPrefix(line, "# ") {
				add(line)
			}
		}
	}
	return msgs
}

// packageDir returns the folder of p relative to the root, or its import
// path when it has no file under the root.
func (r *run) packageDir(p *packages.Package) string {
	for _, list := range [][]string{p.GoFiles, p.CompiledGoFiles, p.IgnoredFiles} {
		for _, f := range list {
			if rel, ok := r.rel(filepath.Dir(f)); ok {
				return rel
			}
		}
	}
	return p.PkgPath
}

// rel returns name relative to the root, with forward slashes, and whether
// it is under the root.
func (r *run) rel(name string) (string, bool) {
	rel, err := filepath.Rel(r.root, name)
	if err != nil || escapes(rel) || filepath.IsAbs(rel) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// relText shortens the absolute paths under the root in a message.
func (r *run) relText(msg string) string {
	return strings.ReplaceAll(msg, r.root+string(filepath.Separator), "")
}

func (r *run) addError(path, msg string) {
	e := scan.InputError{Path: path, Err: msg}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.errSeen[e] {
		r.errSeen[e] = true
		r.errs = append(r.errs, e)
	}
}

// results returns the findings in a stable order.
func (r *run) results() []findings.Finding {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]findings.Finding, 0, len(r.found))
	for _, f := range r.found {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Location, out[j].Location
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.StartLine != b.StartLine {
			return a.StartLine < b.StartLine
		}
		if a.StartCol != b.StartCol {
			return a.StartCol < b.StartCol
		}
		return out[i].RuleID < out[j].RuleID
	})
	sort.Slice(r.errs, func(i, j int) bool { return r.errs[i].Path < r.errs[j].Path })
	return out
}
