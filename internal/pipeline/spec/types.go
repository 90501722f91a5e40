// Package spec holds the types of sluice.yaml (version 1) and its parser.
//
// The parser walks the YAML node tree itself, so it can report every problem
// at once with file:line:col and the field path, and so each field keeps the
// position it came from (see Pipeline.Pos). The package is pure: it never
// touches the store, the network or processes.
package spec

import (
	"time"

	"github.com/sluice-ci/sluice/internal/diag"
)

// Version is the only pipeline file version this build understands.
const Version = 1

// Pipeline is a parsed sluice.yaml.
type Pipeline struct {
	// File is the path the pipeline was read from, as given by the caller.
	File    string
	Version int
	Name    string
	On      Triggers
	// Env is set for every step of every job.
	Env map[string]string
	// Jobs in the order they appear in the file.
	Jobs []*Job
	// Environments in the order they appear in the file.
	Environments []*Environment
	// Deploy says how a release is started; filled in by the delivery issue.
	Deploy *Deploy

	// positions maps a field path (jobs.build.needs[1]) to where it is in File.
	positions map[string]diag.Pos
}

// Pos returns where the field at path is in the file, or the zero Pos.
// Paths use dots for map keys and [i] for list items: jobs.build.steps[0].run.
func (p *Pipeline) Pos(path string) diag.Pos {
	if p == nil || p.positions == nil {
		return diag.Pos{}
	}
	return p.positions[path]
}

// SetPos records where the field at path is. The parser calls it; tests that
// build pipelines by hand may too.
func (p *Pipeline) SetPos(path string, pos diag.Pos) {
	if p.positions == nil {
		p.positions = map[string]diag.Pos{}
	}
	p.positions[path] = pos
}

// Job returns the job with the given id, or nil.
func (p *Pipeline) Job(id string) *Job {
	for _, j := range p.Jobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

// Environment returns the environment with the given name, or nil.
func (p *Pipeline) Environment(name string) *Environment {
	for _, e := range p.Environments {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Triggers says which events start the pipeline.
type Triggers struct {
	Push        *PushTrigger
	PullRequest *PullRequestTrigger
	Schedule    []Schedule
	// Manual allows runs from the CLI, API and UI. Defaults to true.
	Manual bool
}

// PushTrigger starts a run on a git push. Empty filters match everything.
type PushTrigger struct {
	Branches       []string // glob patterns
	BranchesIgnore []string
	Tags           []string
	Paths          []string
}

// PullRequestTrigger starts a run on a pull request event.
type PullRequestTrigger struct {
	// Branches filters on the target branch (glob patterns).
	Branches []string
	// Types of pull request events: opened, synchronize, reopened ...
	Types []string
}

// Schedule starts a run on a cron schedule.
type Schedule struct {
	// Cron is a standard five-field cron expression, or a descriptor like @daily.
	Cron string
	// Jobs limits the run to these jobs (and what they need). Empty: all jobs.
	Jobs []string
	// Branch to run on; empty means the default branch.
	Branch string
}

// Job is one node of the pipeline's DAG.
type Job struct {
	ID   string
	Name string
	// Needs are the ids of jobs that must finish first.
	Needs []string
	Env   map[string]string
	Steps []*Step
	// Timeout bounds the whole job; zero means no limit beyond the run's.
	Timeout Duration
	// If is an expression; the job runs only when it is true. Empty means
	// "success()": run when every needed job succeeded.
	If string
	// Matrix expands the job into one job per combination.
	Matrix *Matrix
	// Artifacts are paths or globs (relative to the workspace) saved after the
	// job succeeds and handed to the jobs that need this one.
	Artifacts []string
	// Outputs are the names of values the job's steps write to $SLUICE_OUTPUT
	// (one name=value per line) that later jobs read as needs.<id>.outputs.<name>.
	Outputs []string
	// ContinueOnError lets dependents run even when this job fails; the run's
	// result is not failed by it.
	ContinueOnError bool
	// Environment binds the job to a named environment (its vars and secrets).
	Environment string
	// Scan lists scanners the job runs (scanning issue).
	Scan []string
	// Coverage is the minimum test coverage the job must report (gates issue).
	Coverage *Coverage
	// Terraform makes the job plan (and apply) a Terraform configuration.
	Terraform *Terraform
}

// Terraform is a job's terraform: init, plan saved with its JSON, the IaC
// checks on the plan, the environment's gate, then apply of exactly that
// plan.
type Terraform struct {
	// Dir is the configuration's folder, relative to the workspace.
	Dir string
	// Workspace selects a Terraform workspace (TF_WORKSPACE), for backends
	// that have them.
	Workspace string
	// BackendConfig are -backend-config values given to init.
	BackendConfig map[string]string
	// Apply applies the saved plan once admitted; nil means "when the job
	// has an environment".
	Apply *bool
	// Destroy says what a plan that destroys resources needs: "approve"
	// (the default: people approve it, as the environment's approval says,
	// else one approver who is not the author), "block" or "allow".
	Destroy string
	// Policies are folders of the team's own Rego checks for the plan,
	// relative to the workspace, run beside the built-in ones.
	Policies []string
}

// TerraformOutputs are the outputs every terraform job publishes without
// declaring them: the plan's counts and its summary line.
var TerraformOutputs = []string{"tf_add", "tf_change", "tf_destroy", "tf_plan"}

// DeclaredOutputs are the outputs later jobs may read of j: its outputs,
// and a terraform job's plan outputs.
func (j *Job) DeclaredOutputs() []string {
	if j.Terraform == nil {
		return j.Outputs
	}
	return append(append([]string(nil), j.Outputs...), TerraformOutputs...)
}

// Applies says whether the job applies its plan.
func (t *Terraform) Applies(j *Job) bool {
	if t.Apply != nil {
		return *t.Apply
	}
	return j.Environment != ""
}

// Destroy policies of a terraform job.
const (
	DestroyApprove = "approve"
	DestroyBlock   = "block"
	DestroyAllow   = "allow"
)

// Step is one command of a job.
type Step struct {
	Name string
	// Run is a shell command line, run with bash -eo pipefail (or sh -e).
	// Expressions (${{ }}) are not expanded here, to keep untrusted values out
	// of the shell: pass them through Env.
	Run             string
	Env             map[string]string
	Dir             string
	Timeout         Duration
	Retry           Retry
	ContinueOnError bool
	If              string
	// TerraformReview marks the step a terraform job's plan gets from the
	// engine itself (never written in sluice.yaml): its summary, the gate
	// and any approval between plan and apply.
	TerraformReview bool
}

// Retry says how often a failed step is tried again.
type Retry struct {
	// Attempts is the number of extra tries after the first (0: no retry).
	Attempts int
	// Backoff is the wait before the first retry; it doubles each time.
	Backoff Duration
	// MaxBackoff caps the wait between tries.
	MaxBackoff Duration
}

// Matrix expands a job into one job per combination of axis values.
type Matrix struct {
	// Axes in file order.
	Axes    []MatrixAxis
	Include []map[string]string
	Exclude []map[string]string
}

// MatrixAxis is one named dimension of a matrix.
type MatrixAxis struct {
	Name   string
	Values []string
}

// Coverage is a minimum test-coverage requirement.
type Coverage struct {
	File string
	Min  float64 // percent
}

// Environment is a named place releases go to: dev, staging, production ...
type Environment struct {
	Name string
	// After names environments a release must reach first.
	After []string
	// URL is where the environment is served, for links and DAST.
	URL      string
	Vars     map[string]string
	Secrets  []string
	Gates    *Gates
	Approval *Approval
	Strategy *Strategy
	Monitor  *Monitor
	// WAF, RateLimit, Geo, Auth and OpenAPI are the gateway's edge
	// protections (see edge.go); nil when the key is absent.
	WAF       *WAF
	RateLimit *RateLimit
	Geo       *Geo
	Auth      *Auth
	OpenAPI   *OpenAPI
	// TrustedProxies are the CIDRs (or single addresses) of proxies in
	// front of the gateway whose X-Forwarded-For is believed.
	TrustedProxies []string
}

// Gates is an environment's security gate policy.
type Gates struct {
	// Mode is off, warn or block.
	Mode string
	// Block is the lowest severity that blocks: critical, high, medium, low.
	Block string
	// Require lists scanners that must have run on this commit.
	Require []string
	// NewOnly judges only findings not in the baseline.
	NewOnly bool
	// Categories holds per-category thresholds (sast, deps, secrets, ...).
	Categories map[string]GateThreshold
	// Policies are paths of Rego policy files or folders.
	Policies []string
	// InlineIgnores lets sluice:ignore markers in the source suppress
	// findings; off by default, so a marker needs the policy's consent.
	InlineIgnores bool
	// FixableOnly judges only findings with a fix available (a fixed
	// version or a fix); the others are listed but do not block.
	FixableOnly bool
	// KnownExploited is the effect of a finding known to be exploited in
	// the wild, whatever its severity: "block", "warn" or "" (no rule).
	KnownExploited string
	// MaxDBAge is how old a required scanner's vulnerability database may
	// be; zero means no limit.
	MaxDBAge Duration
}

// GateThreshold is a per-category gate rule.
type GateThreshold struct {
	Block    string
	MaxCount *int
}

// Approval says who must approve a deployment to an environment.
type Approval struct {
	Min       int
	Roles     []string
	NotAuthor bool
	Timeout   Duration
}

// Strategy says how a release replaces the previous one.
type Strategy struct {
	// Kind is rolling, blue-green or canary.
	Kind      string
	Canary    *Canary
	BlueGreen *BlueGreen
	Rolling   *Rolling
}

// Canary shifts traffic in weighted steps with analysis at each.
type Canary struct {
	Steps    []int
	Interval Duration
	// Analysis holds the conditions (and the prometheus or webhook URL the
	// metrics come from).
	Analysis map[string]string
	// Sticky keeps a client on the release that first served it; Header
	// names a request header that picks a release by id or version.
	Sticky bool
	Header string
}

// BlueGreen starts the new release beside the old and switches at once.
type BlueGreen struct {
	ScaleDownDelay Duration
}

// Rolling replaces replicas in batches.
type Rolling struct {
	MaxUnavailable string
	MaxSurge       string
}

// Monitor watches a release after promotion and rolls back on a breach.
type Monitor struct {
	Duration     Duration
	RollbackWhen map[string]string
}

// Deploy says how to start a release (delivery issue).
type Deploy struct {
	Run      []string
	Env      map[string]string
	Replicas int
	Health   map[string]any
	Smoke    []*Step
}

// Duration is a time.Duration written as "90s", "10m", "1h30m" or "2d".
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
