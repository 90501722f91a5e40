package spec

import "strings"

// deploy reads the deploy section. run is a list (argv) or one string,
// which is run as a shell command line: ["sh", "-c", string].
func (d *decoder) deploy(v val) *Deploy {
	dep := &Deploy{}
	es, ok := d.object(v, "deploy")
	if !ok {
		return nil
	}
	hasRun := false
	for _, e := range es {
		switch e.key {
		case "run":
			hasRun = true
			if s, isScalar := scalarText(e.n); isScalar && !isNull(e.n) {
				dep.Run = []string{"sh", "-c", s}
				if strings.Contains(s, "${{") {
					d.errorf(e.pos, e.path, "pass the value through env: to keep it out of the shell, or write run as a list",
						"expressions (${{ }}) are not allowed in a shell command line")
				}
			} else {
				dep.Run = d.strList(e.val, false)
			}
			if len(dep.Run) == 0 {
				d.errorf(e.pos, e.path, "write the command that starts the app", "run is empty")
			}
		case "env":
			dep.Env = d.envMap(e.val)
		case "replicas":
			dep.Replicas = d.integer(e.val, 1, 1000)
		case "health":
			dep.Health = d.genericMap(e.val)
		case "smoke":
			dep.Smoke = d.steps(e.val)
		}
	}
	if !hasRun {
		d.errorf(v.pos, v.path, "add run: [<program>, <args>...]", "deploy has no run")
	}
	return dep
}
