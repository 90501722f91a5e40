// Package plan turns a parsed pipeline into what the engine executes: matrix
// jobs expanded into one job per combination, needs expanded to those ids, and
// the readiness graph over them. It is pure: no store, no processes.
package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sluice-ci/sluice/internal/pipeline/dag"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// Job is one executable job: a spec job, or one combination of a matrix job.
type Job struct {
	// ID is unique in the plan: the spec id, or "test[go=1.22,os=linux]".
	ID string
	// Base is the spec job's id.
	Base string
	// Name is what people see: the job's name, with matrix values appended.
	Name string
	// Needs are expanded ids.
	Needs []string
	// Matrix holds this combination's values (nil for plain jobs).
	Matrix map[string]string
	// Steps are what the job runs: the spec's steps, then, for a job with
	// scan:, one step running the scanners (see ScanStep), or for one with
	// terraform:, its plan, checks, review and apply (TerraformSteps).
	Steps []*spec.Step
	Spec  *spec.Job
}

// Plan is the executable form of a pipeline.
type Plan struct {
	Pipeline *spec.Pipeline
	Jobs     []*Job
	Graph    *dag.Graph
	byID     map[string]*Job
}

// Options narrow a plan.
type Options struct {
	// Jobs limits the plan to these jobs (spec ids or expanded ids) and
	// everything they need. Empty: every job.
	Jobs []string
}

// Build expands p into a plan. The pipeline should have passed lint; Build
// still reports unknown ids and cycles as errors rather than trusting it.
func Build(p *spec.Pipeline, o Options) (*Plan, error) {
	var jobs []*Job
	instances := map[string][]string{} // base id -> expanded ids
	for _, sj := range p.Jobs {
		for _, combo := range Expand(sj.Matrix) {
			j := &Job{ID: sj.ID, Base: sj.ID, Name: sj.Name, Matrix: combo, Spec: sj, Steps: sj.Steps}
			if len(sj.Scan) > 0 {
				j.Steps = append(append([]*spec.Step(nil), sj.Steps...), ScanStep(sj.Scan))
			}
			if sj.Terraform != nil {
				j.Steps = append(append([]*spec.Step(nil), sj.Steps...), TerraformSteps(sj)...)
			}
			if j.Name == "" {
				j.Name = sj.ID
			}
			if combo != nil {
				j.ID = MatrixID(sj.ID, sj.Matrix, combo)
				j.Name += " (" + strings.Join(matrixValues(sj.Matrix, combo), ", ") + ")"
			}
			instances[sj.ID] = append(instances[sj.ID], j.ID)
			jobs = append(jobs, j)
		}
	}
	ids := make([]string, len(jobs))
	needs := make(map[string][]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
		for _, n := range j.Spec.Needs {
			exp, ok := instances[n]
			if !ok {
				return nil, fmt.Errorf("job %q needs unknown job %q", j.Base, n)
			}
			j.Needs = append(j.Needs, exp...)
		}
		needs[j.ID] = j.Needs
	}
	g, err := dag.Build(ids, needs)
	if err != nil {
		return nil, fmt.Errorf("build job graph: %w", err)
	}
	pl := &Plan{Pipeline: p, Jobs: jobs, Graph: g, byID: make(map[string]*Job, len(jobs))}
	for _, j := range jobs {
		pl.byID[j.ID] = j
	}
	if len(o.Jobs) > 0 {
		var sel []string
		for _, want := range o.Jobs {
			if exp, ok := instances[want]; ok {
				sel = append(sel, exp...)
				continue
			}
			if _, ok := pl.byID[want]; ok {
				sel = append(sel, want)
				continue
			}
			return nil, fmt.Errorf("no job %q in the pipeline%s", want, suggest(want, ids))
		}
		keep := map[string]bool{}
		for _, id := range g.Ancestors(sel) {
			keep[id] = true
		}
		var kept []*Job
		for _, j := range jobs {
			if keep[j.ID] {
				kept = append(kept, j)
			}
		}
		return fromJobs(p, kept)
	}
	return pl, nil
}

// fromJobs rebuilds a plan over a closed subset of jobs.
func fromJobs(p *spec.Pipeline, jobs []*Job) (*Plan, error) {
	ids := make([]string, len(jobs))
	needs := make(map[string][]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
		needs[j.ID] = j.Needs
	}
	g, err := dag.Build(ids, needs)
	if err != nil {
		return nil, fmt.Errorf("build job graph: %w", err)
	}
	pl := &Plan{Pipeline: p, Jobs: jobs, Graph: g, byID: make(map[string]*Job, len(jobs))}
	for _, j := range jobs {
		pl.byID[j.ID] = j
	}
	return pl, nil
}

// Job returns the job with the expanded id, or nil.
func (p *Plan) Job(id string) *Job { return p.byID[id] }

// Instances returns the expanded ids of the spec job base, in plan order.
func (p *Plan) Instances(base string) []string {
	var out []string
	for _, j := range p.Jobs {
		if j.Base == base {
			out = append(out, j.ID)
		}
	}
	return out
}

// MatrixID names one combination of a matrix job: base[k1=v1,k2=v2], axes in
// file order, then any include-only keys sorted.
func MatrixID(base string, m *spec.Matrix, combo map[string]string) string {
	var parts []string
	for _, k := range matrixKeys(m, combo) {
		parts = append(parts, k+"="+combo[k])
	}
	return base + "[" + strings.Join(parts, ",") + "]"
}

func matrixValues(m *spec.Matrix, combo map[string]string) []string {
	var out []string
	for _, k := range matrixKeys(m, combo) {
		out = append(out, combo[k])
	}
	return out
}

func matrixKeys(m *spec.Matrix, combo map[string]string) []string {
	var keys []string
	seen := map[string]bool{}
	for _, a := range m.Axes {
		if _, ok := combo[a.Name]; ok {
			keys = append(keys, a.Name)
			seen[a.Name] = true
		}
	}
	var extra []string
	for k := range combo {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	return append(keys, extra...)
}

// Expand returns every combination of the matrix: the cartesian product of
// its axes in file order, without combinations matching an exclude entry,
// plus each include entry that is not already a combination. A nil matrix
// expands to the single combination nil.
func Expand(m *spec.Matrix) []map[string]string {
	if m == nil || (len(m.Axes) == 0 && len(m.Include) == 0) {
		return []map[string]string{nil}
	}
	combos := []map[string]string{{}}
	for _, a := range m.Axes {
		var next []map[string]string
		for _, c := range combos {
			for _, v := range a.Values {
				n := make(map[string]string, len(c)+1)
				for k, x := range c {
					n[k] = x
				}
				n[a.Name] = v
				next = append(next, n)
			}
		}
		combos = next
	}
	if len(m.Axes) == 0 {
		combos = nil
	}
	var out []map[string]string
	for _, c := range combos {
		if !matchesAny(c, m.Exclude) {
			out = append(out, c)
		}
	}
	for _, inc := range m.Include {
		dup := false
		for _, c := range out {
			if equal(c, inc) {
				dup = true
				break
			}
		}
		if !dup && len(inc) > 0 {
			n := make(map[string]string, len(inc))
			for k, v := range inc {
				n[k] = v
			}
			out = append(out, n)
		}
	}
	return out
}

func matchesAny(c map[string]string, entries []map[string]string) bool {
	for _, e := range entries {
		ok := len(e) > 0
		for k, v := range e {
			if c[k] != v {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// suggest returns ` (did you mean "x"?)` for the closest id, or "".
func suggest(want string, ids []string) string {
	if best := spec.Suggest(want, ids); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}
