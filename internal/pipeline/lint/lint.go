// Package lint checks the meaning of a parsed sluice.yaml: references
// between jobs and environments, dependency cycles, expressions, cron
// schedules, matrices and delivery settings. Parsing (spec) checks shape
// and types; lint checks what only makes sense across the whole file. Every
// problem is reported at once, at the position the parser recorded.
package lint

import (
	"fmt"

	"github.com/sluice-ci/sluice/internal/diag"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// Load parses the pipeline file at path and checks it, returning every
// diagnostic sorted by position. Semantic checks run even when parsing
// reported errors, on what could be read, so one pass shows every problem.
func Load(path string) (*spec.Pipeline, diag.Diagnostics) {
	p, ds := spec.ParseFile(path)
	ds = append(ds, Check(p)...)
	ds.Sort()
	return p, ds
}

// Check runs the semantic checks on a parsed pipeline, sorted by position.
func Check(p *spec.Pipeline) diag.Diagnostics {
	if p == nil {
		return nil
	}
	c := &checker{p: p}
	c.jobs()
	c.schedules()
	c.environments()
	c.deploy()
	c.templates("env", p.Env)
	c.diags.Sort()
	return c.diags
}

// errorSev is short for diag.Error where add needs a severity.
const errorSev = diag.Error

// checker collects diagnostics for one pipeline.
type checker struct {
	p     *spec.Pipeline
	diags diag.Diagnostics
}

func (c *checker) errorf(path, hint, format string, args ...any) {
	c.add(diag.Error, path, hint, "", format, args...)
}

func (c *checker) warnf(path, hint, format string, args ...any) {
	c.add(diag.Warning, path, hint, "", format, args...)
}

func (c *checker) add(sev diag.Severity, path, hint, detail, format string, args ...any) {
	pos := c.p.Pos(path)
	c.diags = append(c.diags, diag.Diagnostic{
		Severity: sev,
		Summary:  fmt.Sprintf(format, args...),
		Detail:   detail,
		Hint:     hint,
		Path:     path,
		File:     c.p.File,
		Line:     pos.Line,
		Col:      pos.Col,
	})
}

func (c *checker) jobIDs() []string {
	ids := make([]string, 0, len(c.p.Jobs))
	for _, j := range c.p.Jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

func (c *checker) envNames() []string {
	names := make([]string, 0, len(c.p.Environments))
	for _, e := range c.p.Environments {
		names = append(names, e.Name)
	}
	return names
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
