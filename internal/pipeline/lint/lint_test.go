package lint

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/diag"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

func check(t *testing.T, src string) diag.Diagnostics {
	t.Helper()
	p, ds := spec.Parse("t.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatalf("parse: %v", ds)
	}
	return Check(p)
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // one substring per diagnostic, in order
	}{
		{"clean", `
version: 1
jobs:
  a: {steps: [{run: x}], outputs: [v]}
  b: {needs: a, steps: [{run: y}], env: {V: "${{ needs.a.outputs.v }}"}}
`, nil},
		{"three-job cycle", `
version: 1
jobs:
  a: {needs: [c], steps: [{run: x}]}
  b: {needs: [a], steps: [{run: x}]}
  c: {needs: [x, b], steps: [{run: x}]}
`, []string{"4:15: error: jobs.a.needs[0]: dependency cycle: a -> c -> b -> a", `6:15: error: jobs.c.needs[0]: unknown job "x"`}},
		{"self need", `
version: 1
jobs:
  a: {needs: a, steps: [{run: x}]}
`, []string{`jobs.a.needs[0]: job "a" needs itself`}},
		{"output of a job not needed", `
version: 1
jobs:
  a: {steps: [{run: x}], outputs: [v]}
  b: {steps: [{run: y}], if: "needs.a.outputs.v == '1'"}
`, []string{`warning: jobs.b.if: reads needs.a but job "b" does not need "a"`}},
		{"undeclared output", `
version: 1
jobs:
  a: {steps: [{run: x}]}
  b: {needs: a, steps: [{run: y, env: {V: "${{ needs.a.outputs.v }}"}}]}
`, []string{`warning: jobs.b.steps[0].env.V: job "a" declares no output "v" (hint: declare it in jobs.a.outputs)`}},
		{"analysis condition without a unit", `
version: 1
jobs:
  a: {steps: [{run: x}]}
environments:
  production:
    strategy: {canary: {steps: [50, 100], analysis: {p99: "<= 500"}}}
`, []string{`environments.production.strategy.canary.analysis.p99`}},
		{"coverage range", `
version: 1
jobs:
  a: {steps: [{run: x}], coverage: {file: c.out, min: 101}}
`, []string{"jobs.a.coverage.min: coverage min 101 is outside 0..100"}},
		{"schedule", `
version: 1
on: {schedule: [{cron: "@hourly"}, {cron: "*/5 * * * *", jobs: [b]}, {cron: "0 0 * * * *"}]}
jobs:
  a: {steps: [{run: x}]}
`, []string{`on.schedule[1].jobs[0]: schedule names unknown job "b"`, `on.schedule[2].cron: invalid cron "0 0 * * * *"`}},
		{"environment after", `
version: 1
jobs:
  a: {steps: [{run: x}]}
environments:
  dev: {after: prod}
  stage: {after: dev}
  prod: {after: [stage, stgae]}
`, []string{"environments.dev.after[0]: environment cycle: dev -> prod -> stage -> dev", `environments.prod.after[1]: unknown environment "stgae" in after (hint: did you mean "stage"?)`}},
		{"canary end", `
version: 1
jobs:
  a: {steps: [{run: x}]}
environments:
  prod: {strategy: {canary: {steps: [5, 50]}}}
`, []string{"canary steps must end at 100%, not 50%"}},
		{"deploy templates", `
version: 1
jobs:
  a: {steps: [{run: x}]}
deploy:
  run: [app, "${{ nope }}"]
  env: {A: "${{ branch }}", B: "${{ 1 + }}"}
  smoke: [{run: x, if: "commit =="}]
`, []string{"deploy.run[1]: invalid expression in deploy run", "deploy.env.B: invalid expression in B", "deploy.smoke[0].if: invalid if expression"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := check(t, tt.src)
			if len(ds) != len(tt.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%v", len(ds), len(tt.want), ds)
			}
			for i, w := range tt.want {
				if !strings.Contains(ds[i].String(), w) {
					t.Errorf("diagnostic %d = %q, want it to contain %q", i, ds[i], w)
				}
			}
		})
	}
}

// TestCheckHandBuilt checks a pipeline built in code, with no positions.
func TestCheckHandBuilt(t *testing.T) {
	if ds := Check(nil); ds != nil {
		t.Errorf("Check(nil) = %v", ds)
	}
	p := &spec.Pipeline{Version: 1, Jobs: []*spec.Job{
		{ID: "a", Needs: []string{"b"}, Steps: []*spec.Step{{Run: "x"}}},
		{ID: "b", Needs: []string{"a"}, Steps: []*spec.Step{{Run: "x"}}},
	}}
	ds := Check(p)
	if len(ds) != 1 || !strings.Contains(ds[0].Summary, "a -> b -> a") || ds[0].Line != 0 {
		t.Errorf("got %v", ds)
	}
}

func TestLoadMissing(t *testing.T) {
	_, ds := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !ds.HasErrors() || !strings.Contains(ds.Error(), "not found") {
		t.Errorf("got %v", ds)
	}
}
