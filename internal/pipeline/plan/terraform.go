package plan

import (
	"os"
	"slices"
	"strings"

	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// TerraformPlanFile is the saved plan a terraform job writes in its dir:
// the apply step applies exactly this file.
const TerraformPlanFile = "sluice.tfplan"

// TerraformSteps are the steps of a job with terraform: init; plan, saved,
// with its JSON (`terraform show -json`) in the run's reports; the
// terraform scanner over that JSON (resolved values, not only source);
// the review the engine does itself (the plan's summary, and for a job
// that applies, the environment's gate and, when it destroys, people);
// then apply of the saved plan. Everything the user wrote reaches the
// shell through the environment, never by interpolation.
func TerraformSteps(j *spec.Job) []*spec.Step {
	t := j.Terraform
	env := map[string]string{
		"SLUICE_TF_DIR":    t.Dir,
		"TF_IN_AUTOMATION": "1",
		"TF_INPUT":         "0",
	}
	if t.Workspace != "" {
		env["TF_WORKSPACE"] = t.Workspace
	}
	if len(t.BackendConfig) > 0 {
		keys := make([]string, 0, len(t.BackendConfig))
		for k := range t.BackendConfig {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		args := make([]string, 0, len(keys))
		for _, k := range keys {
			args = append(args, quoteArg("-backend-config="+k+"="+t.BackendConfig[k]))
		}
		env["TF_CLI_ARGS_init"] = strings.Join(args, " ")
	}
	if len(t.Policies) > 0 {
		env["SLUICE_IAC_POLICIES"] = strings.Join(t.Policies, string(os.PathListSeparator))
	}
	step := func(name, run string) *spec.Step { return &spec.Step{Name: name, Run: run, Env: env} }
	steps := []*spec.Step{
		step("terraform init", `terraform -chdir="$SLUICE_TF_DIR" init -no-color`),
		step("terraform plan", `terraform -chdir="$SLUICE_TF_DIR" plan -no-color -out=`+TerraformPlanFile+`
mkdir -p "$SLUICE_REPORTS/$SLUICE_JOB_FILE.tfplan"
terraform -chdir="$SLUICE_TF_DIR" show -json `+TerraformPlanFile+` > "$SLUICE_REPORTS/$SLUICE_JOB_FILE.tfplan/plan.tfplan.json"`),
		step("scan: terraform plan", `"$SLUICE_BIN" scan --quiet --scanners terraform --sarif "$SLUICE_REPORTS/$SLUICE_JOB_FILE.sarif" --json "$SLUICE_REPORTS/$SLUICE_JOB_FILE.json" "$SLUICE_REPORTS/$SLUICE_JOB_FILE.tfplan"`),
		{Name: "review the plan", TerraformReview: true},
	}
	if t.Applies(j) {
		steps = append(steps, step("terraform apply", `terraform -chdir="$SLUICE_TF_DIR" apply -no-color `+TerraformPlanFile))
	}
	return steps
}

// quoteArg quotes s for the shell-like splitting Terraform applies to
// TF_CLI_ARGS variables.
func quoteArg(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
