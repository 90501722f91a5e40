package spec

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

const (
	idHint   = "use letters, digits, _ and -, starting with a letter or _"
	nameHint = "use letters, digits and _, not starting with a digit"
)

// jobs reads the jobs mapping, keeping file order.
func (d *decoder) jobs(v val) {
	es, _ := d.entries(v, "job id")
	for _, e := range es {
		if !ValidID(e.key) {
			d.errorf(e.keyPos, e.path, idHint, "invalid job id %q", e.key)
		}
		d.p.Jobs = append(d.p.Jobs, d.job(e))
	}
}

func (d *decoder) job(je entry) *Job {
	j := &Job{ID: je.key}
	all, ok := d.entries(je.val, "key")
	es := d.known(all, "job")
	given := false // steps or scan written, even if their items are broken
	for _, e := range all {
		// A misspelt "steps" was reported as an unknown key already.
		if Suggest(e.key, []string{"steps", "scan", "terraform"}) != "" {
			given = true
		}
	}
	for _, e := range es {
		if (e.key == "steps" || e.key == "scan" || e.key == "terraform") && !isEmpty(e.n) {
			given = true
		}
		switch e.key {
		case "name":
			j.Name = d.str(e.val)
		case "needs":
			j.Needs = d.strList(e.val, true)
		case "env":
			j.Env = d.envMap(e.val)
		case "steps":
			j.Steps = d.steps(e.val)
		case "timeout":
			j.Timeout = d.duration(e.val)
		case "if":
			j.If = d.str(e.val)
		case "matrix":
			j.Matrix = d.matrix(e.val)
		case "artifacts":
			j.Artifacts = d.strList(e.val, true)
		case "outputs":
			for _, it := range d.strItems(e.val, true) {
				if !ValidName(it.s) {
					d.errorf(it.pos, it.path, nameHint, "invalid output name %q", it.s)
				}
				j.Outputs = append(j.Outputs, it.s)
			}
		case "continue_on_error":
			j.ContinueOnError = d.boolean(e.val)
		case "environment":
			j.Environment = d.str(e.val)
		case "scan":
			j.Scan = d.strList(e.val, true)
		case "coverage":
			j.Coverage = d.coverage(e.val)
		case "terraform":
			j.Terraform = d.terraform(e.val)
		}
	}
	if j.Terraform != nil && len(j.Scan) > 0 {
		d.errorf(je.keyPos, je.path, "scan in a job of its own: a terraform job scans its plan", "job %q has both scan and terraform", je.key)
	}
	if ok && !given {
		d.errorf(je.keyPos, je.path, "add steps: [{run: <command>}], scan: [<scanner>] or terraform: {dir: <folder>}", "job %q has no steps, scan or terraform", je.key)
	}
	return j
}

// isEmpty reports whether n is null or an empty list.
func isEmpty(n ast.Node) bool {
	if seq, ok := n.(*ast.SequenceNode); ok {
		return len(seq.Values) == 0
	}
	return isNull(n)
}

// steps reads a list of steps (a job's steps or deploy.smoke).
func (d *decoder) steps(v val) []*Step {
	items, _ := d.list(v)
	var out []*Step
	for _, it := range items {
		out = append(out, d.step(it))
	}
	return out
}

func (d *decoder) step(v val) *Step {
	s := &Step{}
	es, ok := d.object(v, "step")
	if !ok {
		return s // keep indexes aligned with steps[i]
	}
	hasRun := false
	for _, e := range es {
		switch e.key {
		case "name":
			s.Name = d.str(e.val)
		case "run":
			hasRun = true
			s.Run = d.str(e.val)
			if strings.TrimSpace(s.Run) == "" {
				d.errorf(e.pos, e.path, "write the command to run", "run is empty")
			}
			if strings.Contains(s.Run, "${{") {
				d.errorf(e.pos, e.path, "pass the value through env: to keep it out of the shell",
					"expressions (${{ }}) are not allowed in run")
			}
		case "env":
			s.Env = d.envMap(e.val)
		case "dir":
			s.Dir = d.str(e.val)
		case "timeout":
			s.Timeout = d.duration(e.val)
		case "retry":
			s.Retry = d.retry(e.val)
		case "continue_on_error":
			s.ContinueOnError = d.boolean(e.val)
		case "if":
			s.If = d.str(e.val)
		}
	}
	if !hasRun {
		d.errorf(v.pos, v.path, "add run: <command>", "step has no run")
	}
	return s
}

// retry reads retry: 3 or retry: {attempts: 3, backoff: 2s, max_backoff: 30s}.
func (d *decoder) retry(v val) Retry {
	var r Retry
	if _, ok := v.n.(*ast.IntegerNode); ok {
		r.Attempts = d.integer(v, 0, 100)
		return r
	}
	if !isMapping(v.n) {
		d.errorf(v.pos, v.path, "write retry: 3 or retry: {attempts: 3, backoff: 2s}", "expected a number of attempts or a mapping, got %s", kindOf(v.n))
		return r
	}
	es, _ := d.object(v, "retry")
	for _, e := range es {
		switch e.key {
		case "attempts":
			r.Attempts = d.integer(e.val, 0, 100)
		case "backoff":
			r.Backoff = d.duration(e.val)
		case "max_backoff":
			r.MaxBackoff = d.duration(e.val)
		}
	}
	return r
}

// matrix reads axes (name: [values]) plus include and exclude lists.
func (d *decoder) matrix(v val) *Matrix {
	es, ok := d.entries(v, "key")
	if !ok {
		return nil
	}
	m := &Matrix{}
	for _, e := range es {
		switch e.key {
		case "include":
			m.Include = d.combos(e.val)
		case "exclude":
			m.Exclude = d.combos(e.val)
		default:
			if !ValidName(e.key) {
				d.errorf(e.keyPos, e.path, nameHint, "invalid matrix axis name %q", e.key)
			}
			if !isSequence(e.n) && !isNull(e.n) {
				d.errorf(e.pos, e.path, fmt.Sprintf("write %s: [a, b]", e.key), "expected a list of values, got %s", kindOf(e.n))
				continue
			}
			m.Axes = append(m.Axes, MatrixAxis{Name: e.key, Values: d.strList(e.val, false)})
		}
	}
	return m
}

// combos reads a list of axis-value mappings (matrix include/exclude).
func (d *decoder) combos(v val) []map[string]string {
	items, _ := d.list(v)
	var out []map[string]string
	for _, it := range items {
		// A broken item stays as nil, keeping indexes aligned.
		out = append(out, d.stringMap(it, "matrix axis", false))
	}
	return out
}

// terraform reads a job's terraform: {dir, workspace, backend_config,
// apply, destroy, policies}.
func (d *decoder) terraform(v val) *Terraform {
	es, ok := d.object(v, "terraform")
	if !ok {
		return nil
	}
	t := &Terraform{}
	hasDir := false
	for _, e := range es {
		switch e.key {
		case "dir":
			hasDir = true
			t.Dir = d.str(e.val)
			if !localPath(t.Dir) {
				d.errorf(e.pos, e.path, "give a folder inside the repository, like infra/", "dir %q is not a relative path inside the workspace", t.Dir)
			}
		case "workspace":
			t.Workspace = d.str(e.val)
			if !ValidID(t.Workspace) {
				d.errorf(e.pos, e.path, idHint, "invalid workspace name %q", t.Workspace)
			}
		case "backend_config":
			t.BackendConfig = d.stringMap(e.val, "backend setting", true)
		case "apply":
			b := d.boolean(e.val)
			t.Apply = &b
		case "destroy":
			t.Destroy = d.str(e.val)
			switch t.Destroy {
			case DestroyApprove, DestroyBlock, DestroyAllow:
			default:
				d.errorf(e.pos, e.path, "use approve, block or allow", "unknown destroy policy %q", t.Destroy)
			}
		case "policies":
			for _, it := range d.strItems(e.val, true) {
				if !localPath(it.s) {
					d.errorf(it.pos, it.path, "give a folder inside the repository", "policies folder %q is not a relative path inside the workspace", it.s)
				}
				t.Policies = append(t.Policies, it.s)
			}
		}
	}
	if !hasDir {
		d.errorf(v.pos, v.path, "add dir: <folder of the .tf files>", "terraform has no dir")
	}
	if t.Destroy == "" {
		t.Destroy = DestroyApprove
	}
	return t
}

// localPath says whether p is a relative path that stays inside the
// folder it is relative to.
func localPath(p string) bool {
	return p != "" && filepath.IsLocal(filepath.FromSlash(p))
}

func (d *decoder) coverage(v val) *Coverage {
	c := &Coverage{}
	es, ok := d.object(v, "coverage")
	if !ok {
		return nil
	}
	for _, e := range es {
		switch e.key {
		case "file":
			c.File = d.str(e.val)
		case "min":
			c.Min = d.number(e.val)
		}
	}
	return c
}
