package iac

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// builtinPolicies holds sluice's own checks and the helper libraries they
// share; see policies/README.md for the conventions user policies follow.
//
//go:embed policies/lib/*.rego policies/terraform/*.rego policies/kubernetes/*.rego
var builtinPolicies embed.FS

// Package namespaces: a package under checksRoot.<target> that defines
// deny is a check of that target.
const checksRoot = "sluice"

// Targets of checks: the second part of a check's package path.
const (
	targetTerraform  = "terraform"
	targetKubernetes = "kubernetes"
)

// forbiddenBuiltins are left out of the capabilities policies compile
// against: a policy from a scanned repository must not reach the network
// or read sluice's environment.
var forbiddenBuiltins = map[string]bool{
	"http.send": true, "net.lookup_ip_addr": true, "opa.runtime": true,
}

// policySet is the compiled checks of one target. It is safe for
// concurrent use.
type policySet struct {
	checks   []*check
	compiler *ast.Compiler
	caps     *ast.Capabilities
	batches  batchCache
}

// check is one policy package: its metadata and its prepared deny query.
type check struct {
	rule
	pkg   string
	deny  ast.Ref
	query rego.PreparedEvalQuery
}

// loadPolicies parses and compiles the built-in libraries and checks of
// target and every .rego file under dirs (recursively; *_test.rego files
// are left out), and prepares the checks of target.
func loadPolicies(ctx context.Context, target string, dirs []string) (*policySet, error) {
	modules := map[string]*ast.Module{}
	// The libraries and this target's checks: the other target's checks
	// would only cost compile time.
	for _, dir := range []string{"policies/lib", "policies/" + target} {
		err := fs.WalkDir(builtinPolicies, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			src, err := builtinPolicies.ReadFile(p)
			if err != nil {
				return err
			}
			return parseModule(modules, "builtin/"+strings.TrimPrefix(p, "policies/"), src)
		})
		if err != nil {
			return nil, fmt.Errorf("built-in policies: %w", err)
		}
	}
	for _, dir := range dirs {
		if err := loadDir(modules, dir); err != nil {
			return nil, err
		}
	}
	caps := capabilities()
	compiler := ast.NewCompiler().WithCapabilities(caps)
	compiler.Compile(modules)
	if compiler.Failed() {
		return nil, fmt.Errorf("compile policies: %w", compiler.Errors)
	}
	return prepare(ctx, compiler, caps, modules, target)
}

// loadDir parses every policy file under dir.
func loadDir(modules map[string]*ast.Module, dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("policy folder: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("policy folder %s: not a folder", dir)
	}
	n := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && strings.HasPrefix(name, ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".rego") || strings.HasSuffix(name, "_test.rego") || !d.Type().IsRegular() {
			return nil
		}
		src, err := os.ReadFile(p) // #nosec G122 -- reads policy files of a folder the operator configured; no privilege boundary
		if err != nil {
			return err
		}
		n++
		return parseModule(modules, p, src)
	})
	if err != nil {
		return fmt.Errorf("load policies from %s: %w", dir, err)
	}
	if n == 0 {
		return fmt.Errorf("policy folder %s holds no .rego file", dir)
	}
	return nil
}

// parseModule parses one file as Rego v1 (v0 syntax is refused, with
// OPA's own message naming the line).
func parseModule(modules map[string]*ast.Module, name string, src []byte) error {
	m, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("%s: empty policy file", name)
	}
	modules[name] = m
	return nil
}

// capabilities are OPA's for this version without forbiddenBuiltins.
func capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool { return forbiddenBuiltins[b.Name] })
	caps.AllowNet = []string{}
	return caps
}

// prepare finds the check packages of target, reads their metadata and
// prepares their deny queries.
func prepare(ctx context.Context, compiler *ast.Compiler, caps *ast.Capabilities, modules map[string]*ast.Module, target string) (*policySet, error) {
	prefix := ast.MustParseRef("data." + checksRoot + "." + target)
	pkgs := map[string]ast.Ref{}
	for _, m := range modules {
		p := m.Package.Path
		if len(p) <= len(prefix) || !p.HasPrefix(prefix) {
			continue
		}
		for _, r := range m.Rules {
			if ref := r.Head.Ref(); len(ref) > 0 && ref[0].Equal(ast.VarTerm("deny")) {
				pkgs[p.String()] = p
			}
		}
	}
	names := make([]string, 0, len(pkgs))
	for name := range pkgs {
		names = append(names, name)
	}
	sort.Strings(names)

	set := &policySet{compiler: compiler, caps: caps}
	ids := map[string]string{}
	for _, name := range names {
		pkg := pkgs[name]
		meta, err := evalMetadata(ctx, compiler, caps, pkg)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", name, err)
		}
		r, err := parseRule(meta)
		if err != nil {
			return nil, fmt.Errorf("policy %s: metadata: %w", name, err)
		}
		if other, dup := ids[r.id]; dup {
			return nil, fmt.Errorf("policy %s: id %q is already used by %s", name, r.id, other)
		}
		ids[r.id] = name
		deny := pkg.Append(ast.StringTerm("deny"))
		q, err := rego.New(
			rego.Compiler(compiler),
			rego.Capabilities(caps),
			rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(deny)))),
		).PrepareForEval(ctx)
		if err != nil {
			return nil, fmt.Errorf("policy %s: prepare: %w", name, err)
		}
		set.checks = append(set.checks, &check{rule: r, pkg: name, deny: deny, query: q})
	}
	if len(set.checks) == 0 {
		return nil, fmt.Errorf("no %s checks (packages %s.%s.* with a deny rule)", target, checksRoot, target)
	}
	return set, nil
}

// evalMetadata evaluates a package's metadata rule, without input.
func evalMetadata(ctx context.Context, compiler *ast.Compiler, caps *ast.Capabilities, pkg ast.Ref) (any, error) {
	rs, err := rego.New(
		rego.Compiler(compiler),
		rego.Capabilities(caps),
		rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(pkg.Append(ast.StringTerm("metadata")))))),
	).Eval(ctx)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, errors.New("no metadata rule (want metadata := {\"id\": …, \"title\": …, \"severity\": …})")
	}
	return rs[0].Expressions[0].Value, nil
}

// violation is one result of a deny rule.
type violation struct {
	msg string
	// path is the attribute path the policy blamed, as keys (strings) and
	// indexes (ints); nil for the whole resource or document.
	path []any
}

// eval runs c on one input document.
func (c *check) eval(ctx context.Context, input ast.Value, cancel topdown.Cancel) ([]violation, error) {
	rs, err := c.query.Eval(ctx, evalOptions(input, cancel)...)
	if err != nil {
		return nil, fmt.Errorf("policy %s (%s): %w", c.pkg, c.id, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil
	}
	return c.violations(rs[0].Expressions[0].Value)
}

// violations reads the value of the check's deny rule.
func (c *check) violations(v any) ([]violation, error) {
	results, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("policy %s (%s): deny is not a set", c.pkg, c.id)
	}
	out := make([]violation, 0, len(results))
	for _, r := range results {
		out = append(out, toViolation(r, c.title))
	}
	return out, nil
}

// toViolation reads a deny result: a message, or an object with msg and
// an optional path.
func toViolation(r any, title string) violation {
	switch r := r.(type) {
	case string:
		return violation{msg: r}
	case map[string]any:
		v := violation{}
		v.msg, _ = r["msg"].(string)
		if v.msg == "" {
			v.msg = title
		}
		if p, ok := r["path"].([]any); ok {
			v.path = p
		}
		return v
	}
	return violation{msg: title}
}

// matches says whether the check's selectors let it see d.
func (c *check) matches(d *document) bool {
	if !c.selects(d.block, d.typ, d.kind) {
		return false
	}
	if len(c.keywords) == 0 || d.text == nil {
		return true
	}
	for _, k := range c.keywords {
		if bytes.Contains(d.text, k) {
			return true
		}
	}
	return false
}

// selects says whether the check's selector lets it see a document of
// this block, type and kind.
func (c *check) selects(block, typ, kind string) bool {
	if len(c.blocks) > 0 && !slices.Contains(c.blocks, block) {
		return false
	}
	if len(c.types) > 0 && !slices.Contains(c.types, typ) {
		return false
	}
	if len(c.kinds) > 0 && !slices.Contains(c.kinds, kind) {
		return false
	}
	return true
}

// pathKey joins an attribute path the way locators key it: "a.0.b".
func pathKey(p []any) string {
	var b strings.Builder
	for i, e := range p {
		if i > 0 {
			b.WriteByte('.')
		}
		switch e := e.(type) {
		case string:
			b.WriteString(e)
		default:
			fmt.Fprint(&b, e)
		}
	}
	return b.String()
}

// joinKey appends one element to a path key.
func joinKey(prefix, elem string) string {
	if prefix == "" {
		return elem
	}
	return prefix + "." + elem
}
