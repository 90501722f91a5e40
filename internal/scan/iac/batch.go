package iac

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// evalOptions are the options of one evaluation. With cancel set, OPA
// does not start a goroutine per evaluation to watch the context: the
// scan has one that cancels them all.
func evalOptions(input ast.Value, cancel topdown.Cancel) []rego.EvalOption {
	opts := []rego.EvalOption{rego.EvalParsedInput(input)}
	if cancel != nil {
		opts = append(opts, rego.EvalExternalCancel(cancel))
	}
	return opts
}

// batch evaluates several checks in one OPA query: one evaluation per
// document instead of one per check, and helper rules (the containers of
// a pod spec, say) computed once for all of them.
type batch struct {
	checks []*check
	query  rego.PreparedEvalQuery
}

// batchCache holds the batch of each combination of checks, prepared on
// first use.
type batchCache struct {
	mu     sync.Mutex
	byList map[string]*batch
}

// batchFor returns the batch of checks whose selectors match d; nil when
// none does.
func (ps *policySet) batchFor(ctx context.Context, d *document) (*batch, error) {
	var checks []*check
	var ids strings.Builder
	for i, c := range ps.checks {
		if c.matches(d) {
			checks = append(checks, c)
			ids.WriteString(strconv.Itoa(i))
			ids.WriteByte(',')
		}
	}
	if len(checks) == 0 {
		return nil, nil
	}
	list := ids.String()
	ps.batches.mu.Lock()
	defer ps.batches.mu.Unlock()
	if b, ok := ps.batches.byList[list]; ok {
		return b, nil
	}
	body := make(ast.Body, len(checks))
	for i, c := range checks {
		body[i] = ast.Equality.Expr(ast.VarTerm("c"+strconv.Itoa(i)), ast.NewTerm(c.deny))
	}
	q, err := rego.New(rego.Compiler(ps.compiler), rego.Capabilities(ps.caps), rego.ParsedQuery(body)).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare checks %s: %w", list, err)
	}
	b := &batch{checks: checks, query: q}
	if ps.batches.byList == nil {
		ps.batches.byList = map[string]*batch{}
	}
	ps.batches.byList[list] = b
	return b, nil
}

// eval runs the batch on one input. A failure of the whole query (one
// check failing at run time) falls back to running the checks one by
// one, so that the error names its check and the others still report.
func (b *batch) eval(ctx context.Context, input ast.Value, cancel topdown.Cancel) (map[*check][]violation, []error) {
	out := make(map[*check][]violation, len(b.checks))
	rs, err := b.query.Eval(ctx, evalOptions(input, cancel)...)
	if err == nil && len(rs) == 1 {
		var errs []error
		for i, c := range b.checks {
			vs, err := c.violations(rs[0].Bindings["c"+strconv.Itoa(i)])
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out[c] = vs
		}
		return out, errs
	}
	var errs []error
	for _, c := range b.checks {
		vs, err := c.eval(ctx, input, cancel)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[c] = vs
	}
	return out, errs
}
