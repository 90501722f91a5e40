package lint

import (
	"slices"
	"strings"

	"github.com/sluice-ci/sluice/internal/pipeline/dag"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// maxMatrixJobs bounds how many jobs one matrix may expand to.
const maxMatrixJobs = 256

func (c *checker) jobs() {
	ids := c.jobIDs()
	envs := c.envNames()
	needs := map[string][]string{}
	for _, j := range c.p.Jobs {
		base := "jobs." + j.ID
		for i, n := range j.Needs {
			path := index(base+".needs", i)
			switch {
			case n == "": // not a string; the parser reported it
			case n == j.ID:
				c.errorf(path, "remove it from needs", "job %q needs itself", j.ID)
			case !slices.Contains(ids, n):
				c.errorf(path, spec.DidYouMean(n, ids), "unknown job %q in needs", n)
			default:
				needs[j.ID] = append(needs[j.ID], n)
			}
		}
		if j.Environment != "" && !slices.Contains(envs, j.Environment) {
			c.errorf(base+".environment", spec.DidYouMean(j.Environment, envs), "unknown environment %q", j.Environment)
		}
		for i, name := range j.Scan {
			if name != "" && !slices.Contains(spec.Scanners, name) {
				c.errorf(index(base+".scan", i), spec.DidYouMean(name, spec.Scanners), "unknown scanner %q", name)
			}
		}
		if j.Coverage != nil && (j.Coverage.Min < 0 || j.Coverage.Min > 100) {
			c.errorf(base+".coverage.min", "use a percentage from 0 to 100", "coverage min %g is outside 0..100", j.Coverage.Min)
		}
		c.matrix(j, base+".matrix")
		c.jobExprs(j, base)
		c.stepNames(j, base)
	}
	for _, cycle := range dag.Cycles(ids, needs) {
		if len(cycle) < 3 { // a job needing itself, reported above
			continue
		}
		from := c.p.Job(cycle[0])
		path := "jobs." + cycle[0] + ".needs"
		if at := slices.Index(from.Needs, cycle[1]); at >= 0 {
			path = index(path, at)
		}
		c.errorf(path, "remove one of these needs",
			"dependency cycle: %s", strings.Join(cycle, " -> "))
	}
}

// stepNames warns about two steps of a job with the same name, which makes
// logs and the UI ambiguous.
func (c *checker) stepNames(j *spec.Job, base string) {
	seen := map[string]bool{}
	for i, s := range j.Steps {
		if s == nil || s.Name == "" {
			continue
		}
		if seen[s.Name] {
			c.warnf(index(base+".steps", i)+".name", "give each step its own name", "duplicate step name %q in job %q", s.Name, j.ID)
		}
		seen[s.Name] = true
	}
}

// matrix checks axes, include and exclude, and the number of combinations.
func (c *checker) matrix(j *spec.Job, base string) {
	m := j.Matrix
	if m == nil {
		return
	}
	if len(m.Axes) == 0 && len(m.Include) == 0 {
		c.errorf(base, "add an axis like go: [\"1.22\", \"1.23\"]", "matrix has no axes")
		return
	}
	axes := make([]string, 0, len(m.Axes))
	combos := 1
	for _, a := range m.Axes {
		axes = append(axes, a.Name)
		if len(a.Values) == 0 {
			c.errorf(base+"."+a.Name, "list at least one value", "matrix axis %q has no values", a.Name)
			continue
		}
		combos *= len(a.Values)
		if combos > maxMatrixJobs*maxMatrixJobs {
			combos = maxMatrixJobs * maxMatrixJobs // stop growing; it is too many already
		}
	}
	if combos+len(m.Include) > maxMatrixJobs {
		c.errorf(base, "split the job or use fewer values", "matrix expands to more than %d jobs", maxMatrixJobs)
	}
	for key, list := range map[string][]map[string]string{"include": m.Include, "exclude": m.Exclude} {
		for i, combo := range list {
			for _, k := range sortedKeys(combo) {
				if !slices.Contains(axes, k) {
					c.errorf(index(base+"."+key, i)+"."+k, spec.DidYouMean(k, axes), "%s names unknown matrix axis %q", key, k)
				}
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
