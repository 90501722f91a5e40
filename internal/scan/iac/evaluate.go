package iac

import (
	"context"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/sluice-ci/sluice/internal/findings"
)

// evaluate runs every check whose selector matches d and returns its
// findings; those an inline marker or annotation turns off (see
// suppressed) are kept, marked InlineIgnored. A check that
// fails on d (a runtime error in a user policy) is one of errs; the
// other checks still run.
//
// cancel, when not nil, is the scan's cancellation of every evaluation
// (see evalOptions).
func (ps *policySet) evaluate(ctx context.Context, scanner string, d *document, cancel topdown.Cancel) (out []findings.Finding, errs []error) {
	b, err := ps.batchFor(ctx, d)
	if err != nil || b == nil {
		if err != nil {
			errs = append(errs, err)
		}
		return nil, errs
	}
	results, errs := b.eval(ctx, d.input, cancel)
	for _, c := range b.checks {
		seen := map[string]bool{}
		for _, v := range results[c] {
			sp := d.locate(v.path)
			key := v.msg + "\x00" + pathKey(v.path)
			if seen[key] {
				continue
			}
			seen[key] = true
			f := newFinding(scanner, &c.rule, d, sp, v)
			f.InlineIgnored = suppressed(scanner, &c.rule, d, sp.start)
			out = append(out, f)
		}
	}
	return out, errs
}

// newFinding builds the finding of one violation.
func newFinding(scanner string, r *rule, d *document, sp span, v violation) findings.Finding {
	f := findings.Finding{
		Scanner:    scanner,
		RuleID:     r.id,
		RuleName:   r.title,
		Category:   findings.IaC,
		Severity:   r.severity,
		Title:      r.title,
		Message:    v.msg,
		CWE:        slices.Clone(r.cwe),
		Location:   findings.Location{Path: d.file.path, StartLine: sp.start, EndLine: sp.end, Resource: d.resource},
		Snippet:    d.file.snippet(sp),
		Fix:        r.fix,
		Aliases:    r.aliases(),
		References: slices.Clone(r.refs),
		Sources:    []findings.Source{{Scanner: scanner, RuleID: r.id}},
	}
	props := map[string]string{}
	for key, l := range map[string][]string{"checkov": r.checkov, "tfsec": r.tfsec, "avd": r.avd, "kube-linter": r.kubeLinter} {
		if len(l) > 0 {
			props[key] = strings.Join(l, ",")
		}
	}
	if len(v.path) > 0 {
		props["attribute"] = pathKey(v.path)
	}
	if len(props) > 0 {
		f.Properties = props
	}
	return f
}
