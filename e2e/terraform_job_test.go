package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// tfjPipeline plans and applies infra/ to staging, whose gate blocks high
// findings; the team's own check (policies/) flags ingress open to the
// internet.
func tfjPipeline(destroy string) string {
	return `version: 1
jobs:
  infra:
    environment: staging
    terraform: { dir: infra, policies: [policies], destroy: ` + destroy + ` }
  announce:
    needs: [infra]
    env: { PLAN: "${{ needs.infra.outputs.tf_plan }}" }
    steps: [{ run: echo "infra applied -- $PLAN" }]
environments:
  staging:
    gates: { mode: block, block: high }
`
}

const tfjPolicy = `# The team's own check: nothing is open to the whole internet.
package sluice.terraform.team_open_ingress

import rego.v1

metadata := {
	"id": "team-open-ingress",
	"title": "Ingress open to the whole internet",
	"severity": "high",
	"cwe": "CWE-284",
	"blocks": ["resource"],
	"remediation": "Allow only the networks that need it.",
}

deny contains {"msg": sprintf("%s allows ingress from 0.0.0.0/0", [input.address]), "path": ["input"]} if {
	input.type == "terraform_data"
	input.attributes.input.ingress_cidr == "0.0.0.0/0"
}
`

// tfjConfig is a configuration that needs no provider download: the
// built-in terraform_data resource, with the ingress it describes.
func tfjConfig(cidr string) string {
	return `resource "terraform_data" "firewall" {
  input = { ingress_cidr = "` + cidr + `" }
}

resource "terraform_data" "app" {
  input = "goodbooks"
}
`
}

// tfjEnv is what terraform needs to run offline and quietly.
func tfjEnv(t *testing.T, actor string) []string {
	t.Helper()
	rc := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(rc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE=" + rc, "SLUICE_ACTOR=" + actor}
}

// tfjState lists the resources in the local state of infra/.
func tfjState(t *testing.T, dir string, env []string) []string {
	t.Helper()
	cmd := exec.Command("terraform", "-chdir=infra", "state", "list")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No state file was found") {
			return nil
		}
		t.Fatalf("terraform state list: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

// TestTerraformJob runs terraform jobs with the real terraform binary: a
// plan with an insecure resource is blocked by the staging gate before
// apply (nothing applied); the fixed plan applies; a plan that destroys a
// resource waits for a second person's approval and then applies; with
// destroy: block it is refused.
func TestTerraformJob(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("terraform"); err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			t.Fatal("terraform is not on PATH (SLUICE_REQUIRE_TOOLS=1)")
		}
		t.Skip("terraform is not on PATH")
	}
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", tfjPipeline("approve"))
	writeFile(t, dir, "policies/open_ingress.rego", tfjPolicy)
	writeFile(t, dir, "infra/main.tf", tfjConfig("0.0.0.0/0"))
	dev := tfjEnv(t, "dev")

	// 1. Insecure: blocked between plan and apply.
	r := sluiceWith(t, dir, dev, nil, "run", "--plain")
	expectCode(t, r, 1)
	for _, want := range []string{"Plan: 2 to add, 0 to change, 0 to destroy.", "team-open-ingress", "gate staging blocked"} {
		expectContains(t, r, "blocked run", r.stdout, want)
	}
	if got := tfjState(t, dir, dev); len(got) != 0 {
		t.Errorf("a blocked plan was applied: state has %v", got)
	}
	if strings.Contains(r.stdout, "terraform apply") && !strings.Contains(r.stdout, "skipped") {
		t.Errorf("the apply step ran after the gate blocked:\n%s", r.stdout)
	}

	// 2. Fixed: the same pipeline applies.
	writeFile(t, dir, "infra/main.tf", tfjConfig("10.20.0.0/16"))
	r = sluiceWith(t, dir, dev, nil, "run", "--plain")
	expectCode(t, r, 0)
	expectContains(t, r, "clean run", r.stdout, "gate staging: PASS")
	expectContains(t, r, "clean run", r.stdout, "Apply complete! Resources: 2 added, 0 changed, 0 destroyed.")
	// Later jobs read the plan's outputs.
	expectContains(t, r, "clean run", r.stdout, "infra applied -- Plan: 2 to add, 0 to change, 0 to destroy.")
	if got := tfjState(t, dir, dev); strings.Join(got, " ") != "terraform_data.app terraform_data.firewall" {
		t.Errorf("state after apply: %v", got)
	}

	// 3. A plan that destroys: it waits for someone other than the author.
	writeFile(t, dir, "infra/main.tf", `resource "terraform_data" "app" {
  input = "goodbooks"
}
`)
	bg := startSluice(t, dir, dev, "run", "--plain")
	waitFor(t, time.Minute, "the destroying plan to wait for approval", func() bool {
		return strings.Contains(bg.output(), "waiting for 1 approval")
	}, bg.output)
	if !strings.Contains(bg.output(), "the plan destroys 1 resource (terraform_data.firewall)") {
		t.Errorf("the wait does not say what is destroyed:\n%s", bg.output())
	}
	r = sluiceWith(t, dir, dev, nil, "approve", "3", "--env", "staging")
	if r.code == 0 {
		t.Error("the author approved their own destroying plan")
	}
	r = sluiceWith(t, dir, tfjEnv(t, "lead"), nil, "approve", "3", "--env", "staging", "--comment", "firewall moves to the platform stack")
	expectCode(t, r, 0)
	if code, ok := bg.wait(time.Minute); !ok || code != 0 {
		t.Fatalf("the approved run: exit %d (finished %v)\n%s", code, ok, bg.output())
	}
	if got := tfjState(t, dir, dev); strings.Join(got, " ") != "terraform_data.app" {
		t.Errorf("state after the approved destroy: %v", got)
	}

	// 4. destroy: block refuses a destroying plan outright.
	writeFile(t, dir, "sluice.yaml", tfjPipeline("block"))
	writeFile(t, dir, "infra/main.tf", "")
	r = sluiceWith(t, dir, dev, nil, "run", "--plain")
	expectCode(t, r, 1)
	expectContains(t, r, "destroy blocked", r.stdout, "the plan destroys 1 resource (terraform_data.app), and this job's terraform.destroy is block")
	if got := tfjState(t, dir, dev); strings.Join(got, " ") != "terraform_data.app" {
		t.Errorf("state after a blocked destroy: %v", got)
	}

	// 5. Drift: a nightly plan-only run finds the configuration and the
	// live state apart, and notifies; nothing is applied.
	var (
		mu    sync.Mutex
		drift []string
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p struct{ Kind, Title, Text string }
		_ = json.Unmarshal(body, &p)
		mu.Lock()
		if p.Kind == "terraform.drift" {
			drift = append(drift, p.Title+"\n"+p.Text)
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	writeFile(t, dir, "sluice.yaml", `version: 1
on:
  schedule: [{ cron: "0 3 * * *" }]
jobs:
  drift:
    terraform: { dir: infra, apply: false }
`)
	writeFile(t, dir, filepath.Join(".sluice", "notify.yaml"), "notifications:\n  senders:\n    hook: { type: webhook, url: "+recv.URL+", secret_env: HOOK_SECRET }\n  rules:\n    - sender: hook\n")
	writeFile(t, dir, "infra/main.tf", `resource "terraform_data" "app" {
  input = "goodbooks-v2"
}
`)
	r = sluiceWith(t, dir, append(dev, "HOOK_SECRET=drift-test"), nil, "run", "--plain", "--event", "schedule")
	expectCode(t, r, 0)
	expectContains(t, r, "drift run", r.stdout, "Plan: 0 to add, 1 to change, 0 to destroy.")
	mu.Lock()
	got := strings.Join(drift, "\n---\n")
	mu.Unlock()
	if !strings.Contains(got, "drift: the scheduled plan of job drift") || !strings.Contains(got, "~   terraform_data.app (update)") {
		t.Errorf("drift notifications: %q", got)
	}
	if !strings.Contains(r.stdout, "plan only: nothing is applied") {
		t.Errorf("the plan-only job does not say it applies nothing:\n%s", r.stdout)
	}
}
