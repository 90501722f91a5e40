package plan

import (
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

func TestTerraformSteps(t *testing.T) {
	no := false
	j := &spec.Job{ID: "infra", Environment: "staging", Terraform: &spec.Terraform{Dir: "infra", Workspace: "blue",
		BackendConfig: map[string]string{"username": `a"b`, "address": "https://x/api/v1/tfstate/s"}, Policies: []string{"p1", "p2"}}}
	steps := TerraformSteps(j)
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, "|"); got != "terraform init|terraform plan|scan: terraform plan|review the plan|terraform apply" {
		t.Fatalf("steps %s", got)
	}
	if !steps[3].TerraformReview || steps[3].Run != "" || steps[4].TerraformReview {
		t.Error("only the review is the engine's own step")
	}
	env := steps[0].Env
	if env["SLUICE_TF_DIR"] != "infra" || env["TF_WORKSPACE"] != "blue" || env["TF_IN_AUTOMATION"] != "1" {
		t.Errorf("env %v", env)
	}
	if got, want := env["TF_CLI_ARGS_init"], `"-backend-config=address=https://x/api/v1/tfstate/s" "-backend-config=username=a\"b"`; got != want {
		t.Errorf("TF_CLI_ARGS_init %s, want %s", got, want)
	}
	if env["SLUICE_IAC_POLICIES"] != "p1:p2" {
		t.Errorf("policies %q", env["SLUICE_IAC_POLICIES"])
	}
	// Nothing the user wrote is in a command line.
	for _, s := range steps {
		if strings.Contains(s.Run, "infra") || strings.Contains(s.Run, "blue") {
			t.Errorf("step %q interpolates the configuration: %s", s.Name, s.Run)
		}
	}
	j.Terraform.Apply = &no
	if n := len(TerraformSteps(j)); n != 4 {
		t.Errorf("apply: false has %d steps, want 4 (no apply)", n)
	}
	j.Terraform.Apply = nil
	j.Environment = ""
	if n := len(TerraformSteps(j)); n != 4 {
		t.Errorf("a job without environment has %d steps, want 4 (plan only)", n)
	}
}
