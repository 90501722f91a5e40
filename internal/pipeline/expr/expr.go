// Package expr evaluates the expressions of sluice.yaml: job and step
// conditions (if:) and ${{ }} templates in env values and deploy fields.
//
// Expressions use the expr-lang syntax (==, !=, &&, ||, !, and, or, not,
// in, strings in single or double quotes). The names an expression can read are
// branch, event, environment, commit, vars, env, matrix and needs
// (needs.<job>.result, needs.<job>.outputs.<name>); the functions are
// success(), failure(), always(), cancelled() with GitHub Actions meaning,
// and startsWith, endsWith and contains, which may be written as calls
// (startsWith(branch, 'release/')) or as operators (branch startsWith
// 'release/'). Compiled programs are cached, so evaluating the same
// source many times is cheap. The package is pure and safe for concurrent use.
package expr

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	exprlang "github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Need is what a condition can read about a job the current job needs.
type Need struct {
	// Result is success, failure, skipped or cancelled.
	Result string `expr:"result"`
	// Outputs are the values the job wrote to $SLUICE_OUTPUT.
	Outputs map[string]string `expr:"outputs"`
}

// Context is what an expression is evaluated against.
type Context struct {
	Branch, Event, Environment, Commit string
	Vars, Env, Matrix                  map[string]string
	// Needs is keyed by the needed job's id (base id, before matrix expansion).
	Needs map[string]Need
	// JobFailed is true, for step conditions, when an earlier step of the job failed.
	JobFailed bool
	// Cancelled is true once the run was cancelled.
	Cancelled bool
	// Step is true when evaluating a step's condition (status functions then look at JobFailed).
	Step bool
}

// statusFuncs are the functions that read the run's status. A condition
// that calls none of them runs only on success, as if written
// "success() && (...)".
var statusFuncs = []string{"success", "failure", "always", "cancelled"}

// typeEnv describes every name an expression may use, for compile-time checks.
var typeEnv = buildEnv(Context{})

// buildEnv returns the names an expression can read, bound to c.
func buildEnv(c Context) map[string]any {
	needs := c.Needs
	if needs == nil {
		needs = map[string]Need{}
	}
	return map[string]any{
		"branch":      c.Branch,
		"event":       c.Event,
		"environment": c.Environment,
		"commit":      c.Commit,
		"vars":        orEmpty(c.Vars),
		"env":         orEmpty(c.Env),
		"matrix":      orEmpty(c.Matrix),
		"needs":       needs,
		"success":     func() bool { return c.success() },
		"failure":     func() bool { return c.failure() },
		"always":      func() bool { return true },
		"cancelled":   func() bool { return c.Cancelled },
		// Call forms of the startsWith, endsWith and contains operators; see
		// rewriteCalls for why they carry these names.
		"startswith": strings.HasPrefix,
		"endswith":   strings.HasSuffix,
		"Contains":   strings.Contains,
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// success: not cancelled and, for a job, every need succeeded (a skipped
// need is not a success); for a step, no earlier step failed.
func (c Context) success() bool {
	if c.Cancelled {
		return false
	}
	if c.Step {
		return !c.JobFailed
	}
	for _, n := range c.Needs {
		if n.Result != "success" {
			return false
		}
	}
	return true
}

// failure: for a job, some need failed; for a step, an earlier step failed.
func (c Context) failure() bool {
	if c.Step {
		return c.JobFailed
	}
	for _, n := range c.Needs {
		if n.Result == "failure" {
			return true
		}
	}
	return false
}

// program is a compiled expression and whether it reads the run status.
type program struct {
	prog        *vm.Program
	readsStatus bool
	err         error
}

type cacheKey struct {
	src  string
	cond bool
}

// maxCached bounds the cache; when full it starts over.
const maxCached = 4096

var cache = struct {
	sync.Mutex
	m map[cacheKey]*program
}{m: map[cacheKey]*program{}}

// compile returns the cached program for src, compiling it on first use.
// cond programs must return a bool.
func compile(src string, cond bool) *program {
	key := cacheKey{src, cond}
	cache.Lock()
	p, ok := cache.m[key]
	cache.Unlock()
	if ok {
		return p
	}
	p = &program{}
	opts := []exprlang.Option{exprlang.Env(typeEnv)}
	if cond {
		opts = append(opts, exprlang.AsBool())
	}
	rewritten := rewriteCalls(src)
	if strings.TrimSpace(rewritten) == "" {
		p.err = errors.New("empty expression")
	} else if p.prog, p.err = exprlang.Compile(rewritten, opts...); p.err == nil {
		p.readsStatus = callsAny(p.prog.Node(), statusFuncs)
	}
	p.err = cleanError(p.err)
	cache.Lock()
	if len(cache.m) >= maxCached {
		cache.m = map[cacheKey]*program{}
	}
	cache.m[key] = p
	cache.Unlock()
	return p
}

// cleanError turns expr-lang's multi-line error (with a source snippet) into
// one line that says what is wrong and where.
func cleanError(err error) error {
	if err == nil {
		return nil
	}
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := renameCalls(fe.Message)
		if fe.Snippet != "" {
			return fmt.Errorf("%s (at column %d)", msg, fe.Column+1)
		}
		return errors.New(msg)
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(renameCalls(s))
}

// callsAny reports whether the expression calls one of the named functions.
func callsAny(root ast.Node, names []string) bool {
	found := false
	ast.Walk(&root, visitor(func(n ast.Node) {
		if call, ok := n.(*ast.CallNode); ok {
			if id, ok := call.Callee.(*ast.IdentifierNode); ok {
				for _, name := range names {
					if id.Value == name {
						found = true
					}
				}
			}
		}
	}))
	return found
}

type visitor func(ast.Node)

func (v visitor) Visit(n *ast.Node) { v(*n) }

// unwrap removes an optional ${{ }} around a whole condition.
func unwrap(src string) string {
	s := strings.TrimSpace(src)
	if strings.HasPrefix(s, "${{") && strings.HasSuffix(s, "}}") && strings.Count(s, "${{") == 1 {
		return strings.TrimSpace(s[3 : len(s)-2])
	}
	return s
}

// Check compiles a condition against the full environment: unknown names,
// wrong argument types and non-boolean results are errors. An empty
// condition is valid (it means success()).
func Check(src string) error {
	src = unwrap(src)
	if src == "" {
		return nil
	}
	return compile(src, true).err
}

// Eval evaluates a condition. An empty condition means success(). A
// condition that calls none of success(), failure(), always() and
// cancelled() is true only when success() is, as in GitHub Actions.
func Eval(src string, c Context) (bool, error) {
	src = unwrap(src)
	if src == "" {
		return c.success(), nil
	}
	p := compile(src, true)
	if p.err != nil {
		return false, fmt.Errorf("condition %q: %w", src, p.err)
	}
	if !p.readsStatus && !c.success() {
		return false, nil
	}
	out, err := exprlang.Run(p.prog, buildEnv(c))
	if err != nil {
		return false, fmt.Errorf("condition %q: %w", src, cleanError(err))
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition %q: result is %T, not a boolean", src, out)
	}
	return b, nil
}
