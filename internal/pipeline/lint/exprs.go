package lint

import (
	"slices"

	"github.com/sluice-ci/sluice/internal/pipeline/expr"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// jobExprs checks a job's and its steps' conditions and env templates, and
// what they read from needs and matrix.
func (c *checker) jobExprs(j *spec.Job, base string) {
	if c.condition(base+".if", j.If) {
		c.refs(j, base+".if", j.If)
	}
	c.jobTemplates(j, base+".env", j.Env)
	for i, s := range j.Steps {
		if s == nil {
			continue
		}
		sp := index(base+".steps", i)
		if c.condition(sp+".if", s.If) {
			c.refs(j, sp+".if", s.If)
		}
		c.jobTemplates(j, sp+".env", s.Env)
	}
}

// condition checks an if: expression; it reports whether it compiled.
func (c *checker) condition(path, src string) bool {
	if src == "" {
		return true
	}
	if err := expr.Check(src); err != nil {
		c.add(errorSev, path, "see the expression language in docs/pipeline.md", err.Error(), "invalid if expression")
		return false
	}
	return true
}

// templates checks the ${{ }} expressions of a map of values; it returns
// the keys whose templates compiled.
func (c *checker) templates(base string, m map[string]string) []string {
	var ok []string
	for _, k := range sortedKeys(m) {
		if err := expr.CheckTemplate(m[k]); err != nil {
			c.add(errorSev, base+"."+k, "", err.Error(), "invalid expression in %s", k)
			continue
		}
		ok = append(ok, k)
	}
	return ok
}

func (c *checker) jobTemplates(j *spec.Job, base string, m map[string]string) {
	for _, k := range c.templates(base, m) {
		srcs, _ := expr.Expressions(m[k])
		for _, src := range srcs {
			c.refs(j, base+"."+k, src)
		}
	}
}

// refs warns when an expression of job j reads needs.X while j does not
// need X, an output X does not declare, or a matrix value j does not have.
func (c *checker) refs(j *spec.Job, path, src string) {
	refs, err := expr.Refs(src)
	if err != nil {
		return
	}
	for _, r := range refs {
		switch {
		case r[0] == "needs" && len(r) >= 2:
			c.needRef(j, path, r)
		case r[0] == "matrix" && len(r) >= 2:
			c.matrixRef(j, path, r[1])
		}
	}
}

func (c *checker) needRef(j *spec.Job, path string, r []string) {
	x := r[1]
	if !slices.Contains(j.Needs, x) {
		c.warnf(path, `add "`+x+`" to needs`, "reads needs.%s but job %q does not need %q", x, j.ID, x)
		return
	}
	if len(r) < 4 || r[2] != "outputs" {
		return
	}
	dep := c.p.Job(x)
	if dep == nil || slices.Contains(dep.DeclaredOutputs(), r[3]) {
		return
	}
	hint := spec.Suggest(r[3], dep.DeclaredOutputs())
	if hint != "" {
		hint = `did you mean "` + hint + `"?`
	} else {
		hint = `declare it in jobs.` + x + `.outputs`
	}
	c.warnf(path, hint, "job %q declares no output %q", x, r[3])
}

func (c *checker) matrixRef(j *spec.Job, path, key string) {
	if j.Matrix == nil {
		c.warnf(path, "", "reads matrix.%s but job %q has no matrix", key, j.ID)
		return
	}
	var keys []string
	for _, a := range j.Matrix.Axes {
		keys = append(keys, a.Name)
	}
	for _, inc := range j.Matrix.Include {
		for _, k := range sortedKeys(inc) {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	if !slices.Contains(keys, key) {
		c.warnf(path, spec.DidYouMean(key, keys), "reads matrix.%s but the matrix has no axis %q", key, key)
	}
}
