package examples

import (
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// TestGoodbooksPipelineParses keeps examples/goodbooks/sluice.yaml in step
// with the parser: no diagnostics at all, and the shape the demo relies on.
func TestGoodbooksPipelineParses(t *testing.T) {
	fsys, err := GoodbooksFS()
	if err != nil {
		t.Fatal(err)
	}
	data, err := fs.ReadFile(fsys, "sluice.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, diags := spec.Parse("sluice.yaml", data)
	for _, d := range diags {
		t.Errorf("diagnostic: %s", d)
	}
	if p.Name != "goodbooks" || p.Env["CGO_ENABLED"] != "0" {
		t.Errorf("name %q, env %v", p.Name, p.Env)
	}
	if p.On.Push == nil || p.On.PullRequest == nil || len(p.On.Schedule) != 1 || !p.On.Manual {
		t.Errorf("triggers = %+v", p.On)
	}
	var ids []string
	for _, j := range p.Jobs {
		ids = append(ids, j.ID)
		if j.Timeout.D() <= 0 || j.Timeout.D() > 10*time.Minute {
			t.Errorf("job %s timeout = %v, want (0, 10m]", j.ID, j.Timeout.D())
		}
	}
	if want := []string{"lint", "headers", "security", "test", "build", "smoke", "report", "promote-dev", "promote-staging", "infra-staging", "dast-staging", "promote-production", "publish"}; !slices.Equal(ids, want) {
		t.Fatalf("jobs = %v, want %v", ids, want)
	}
	if got := p.Job("build").Needs; !slices.Equal(got, []string{"lint", "test"}) {
		t.Errorf("build needs %v", got)
	}
	if got := p.Job("test").Outputs; !slices.Equal(got, []string{"coverage"}) {
		t.Errorf("test outputs %v", got)
	}
	build := p.Job("build").Steps[0]
	if build.Retry.Attempts != 2 || build.Timeout.D() != 5*time.Minute {
		t.Errorf("build step retry %+v, timeout %v", build.Retry, build.Timeout.D())
	}
	report := p.Job("report")
	if report.If != "always()" || report.Env["COVERAGE"] != "${{ needs.test.outputs.coverage }}" {
		t.Errorf("report if %q, env %v", report.If, report.Env)
	}
	if m := p.Job("lint").Matrix; m == nil || len(m.Axes) != 1 || !slices.Equal(m.Axes[0].Values, []string{"gofmt", "vet"}) {
		t.Errorf("lint matrix %+v", m)
	}
	if !p.Job("headers").ContinueOnError || p.Job("publish").If != `branch == "main"` {
		t.Errorf("headers continue_on_error %v, publish if %q", p.Job("headers").ContinueOnError, p.Job("publish").If)
	}
	var envs []string
	for _, e := range p.Environments {
		envs = append(envs, e.Name)
	}
	if want := []string{"dev", "staging", "production"}; !slices.Equal(envs, want) {
		t.Errorf("environments = %v, want %v", envs, want)
	}
	if prod := p.Environment("production"); prod == nil || prod.Strategy == nil || prod.Strategy.Canary == nil || prod.Approval == nil {
		t.Errorf("production environment incomplete: %+v", prod)
	} else if prod.WAF == nil || prod.WAF.Mode != "enforce" || prod.OpenAPI == nil || !slices.Contains(prod.Gates.Require, "dast") {
		t.Errorf("production's edge protection or DAST requirement missing: waf %+v, openapi %+v, require %v", prod.WAF, prod.OpenAPI, prod.Gates.Require)
	}
	if tf := p.Job("infra-staging").Terraform; tf == nil || tf.Dir != "infra" || !tf.Applies(p.Job("infra-staging")) || tf.Destroy != "approve" {
		t.Errorf("infra-staging terraform %+v: want infra/ applied to staging, destroys approved", tf)
	}
	if got := p.Job("promote-production").Needs; !slices.Contains(got, "dast-staging") {
		t.Errorf("promote-production needs %v: production must wait for staging's DAST", got)
	}
}
