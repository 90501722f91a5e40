package lint

import (
	"github.com/sluice-ci/sluice/internal/delivery/analysis"
	"slices"
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/sluice-ci/sluice/internal/pipeline/dag"
	"github.com/sluice-ci/sluice/internal/pipeline/expr"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// schedules checks cron expressions and the jobs a schedule names.
func (c *checker) schedules() {
	ids := c.jobIDs()
	for i, s := range c.p.On.Schedule {
		base := index("on.schedule", i)
		if s.Cron != "" {
			if _, err := cron.ParseStandard(s.Cron); err != nil {
				c.add(errorSev, base+".cron", `use five fields (minute hour day month weekday) or a descriptor like @daily`,
					err.Error(), "invalid cron %q", s.Cron)
			}
		}
		for k, id := range s.Jobs {
			if id != "" && !slices.Contains(ids, id) {
				c.errorf(index(base+".jobs", k), spec.DidYouMean(id, ids), "schedule names unknown job %q", id)
			}
		}
	}
}

// environments checks after: references and cycles, and canary steps.
func (c *checker) environments() {
	names := c.envNames()
	after := map[string][]string{}
	for _, e := range c.p.Environments {
		base := "environments." + e.Name
		for i, a := range e.After {
			path := index(base+".after", i)
			switch {
			case a == "":
			case a == e.Name:
				c.errorf(path, "remove it from after", "environment %q comes after itself", e.Name)
			case !slices.Contains(names, a):
				c.errorf(path, spec.DidYouMean(a, names), "unknown environment %q in after", a)
			default:
				after[e.Name] = append(after[e.Name], a)
			}
		}
		if e.Strategy != nil && e.Strategy.Canary != nil {
			c.canarySteps(base+".strategy.canary.steps", e.Strategy.Canary.Steps)
			c.conditions(base+".strategy.canary.analysis", e.Strategy.Canary.Analysis)
		}
		if e.Monitor != nil {
			c.conditions(base+".monitor.rollback_when", e.Monitor.RollbackWhen)
		}
	}
	for _, cycle := range dag.Cycles(names, after) {
		if len(cycle) < 3 {
			continue
		}
		path := "environments." + cycle[0] + ".after"
		if at := slices.Index(c.p.Environment(cycle[0]).After, cycle[1]); at >= 0 {
			path = index(path, at)
		}
		c.errorf(path, "remove one of these after entries", "environment cycle: %s", strings.Join(cycle, " -> "))
	}
}

// canarySteps checks that traffic weights grow and end at 100.
func (c *checker) canarySteps(base string, steps []int) {
	for i := 1; i < len(steps); i++ {
		if steps[i] != 0 && steps[i-1] != 0 && steps[i] <= steps[i-1] {
			c.errorf(index(base, i), "list weights in increasing order, e.g. [10, 25, 50, 100]",
				"canary step %d%% does not increase on %d%%", steps[i], steps[i-1])
			return
		}
	}
	if n := len(steps); n > 0 && steps[n-1] != 0 && steps[n-1] != 100 {
		c.errorf(index(base, n-1), "end with 100", "canary steps must end at 100%%, not %d%%", steps[n-1])
	}
}

// deploy checks the ${{ }} templates of the deploy section.
func (c *checker) deploy() {
	d := c.p.Deploy
	if d == nil {
		return
	}
	for i, arg := range d.Run {
		if err := expr.CheckTemplate(arg); err != nil {
			path := index("deploy.run", i)
			if c.p.Pos(path).Line == 0 {
				path = "deploy.run" // run: "a string" is stored as sh -c
			}
			c.add(errorSev, path, "", err.Error(), "invalid expression in deploy run")
		}
	}
	c.templates("deploy.env", d.Env)
	for i, s := range d.Smoke {
		if s == nil {
			continue
		}
		sp := index("deploy.smoke", i)
		c.condition(sp+".if", s.If)
		c.templates(sp+".env", s.Env)
	}
}

// conditions checks analysis conditions the way the release controller
// will read them (units, percentages, known metrics).
func (c *checker) conditions(path string, m map[string]string) {
	for k, v := range m {
		if k == "prometheus" || k == "webhook" {
			continue
		}
		if _, err := analysis.ParseConditions(map[string]string{k: v}); err != nil {
			c.errorf(path+"."+k, "write it like \">= 99%\" for rates or \"<= 500ms\" for latencies", "%v", err)
		}
	}
}
