package gatekeeper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/policy"
	"github.com/sluice-ci/sluice/internal/store"
)

// Keeper judges evidence against the environments of one pipeline.
type Keeper struct {
	Store    store.Store
	Pipeline *spec.Pipeline
	// Dir is the pipeline file's folder: policies: paths are relative to it.
	Dir string
	// IgnoreFile holds the suppressions; empty means .sluice/ignore.yaml
	// in Dir. The stored suppressions of a judged run's project apply
	// too (see suppressions).
	IgnoreFile string
	// Actor is who asks, for the record; Now the clock (nil: time.Now).
	Actor string
	Now   func() time.Time
	// ApprovalPoll is how often a waiting release checks for verdicts
	// (default 1s); OnApprovalRequested, when set, is told of each request
	// (notifications).
	ApprovalPoll        time.Duration
	OnApprovalRequested func(*store.ApprovalRequest, *store.Run)
	onBlocked           func(run store.Run, env string, d gate.Decision)
}

// Judgement is a gate decision with the digests of its inputs.
type Judgement struct {
	Decision gate.Decision
	// Digests identify the inputs: findings, policy, suppressions, and
	// artifact and baseline when there are some.
	Digests map[string]string
	// Baseline says where the baseline came from ("" when there was none).
	Baseline string
}

// Options are the optional inputs of Judge.
type Options struct {
	// Run is the run the evidence belongs to, for its facts (jobs,
	// coverage) and the default baseline; nil for report files.
	Run *store.Run
	// Jobs limits the run's jobs whose results count (nil: all).
	Jobs []string
	// Baseline, when not nil, are the fingerprints already accepted (from
	// --baseline); nil means: the findings of the run last admitted to the
	// environment, when the gate has new_only.
	Baseline     []string
	BaselineFrom string
}

func (k *Keeper) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

// Judge decides env's gate over ev. An error means the gate could not
// judge (an unknown environment, a broken policy or suppressions file):
// the caller must treat it as a block, never as a pass.
func (k *Keeper) Judge(ctx context.Context, env string, ev *Evidence, o Options) (*Judgement, error) {
	e := k.Pipeline.Environment(env)
	if e == nil {
		return nil, fmt.Errorf("no environment %q in the pipeline", env)
	}
	now := k.now()
	in := gate.Input{Env: env, Policy: e.Gates, Health: ev.Health, Now: now,
		Findings: slices.Clone(ev.Findings)}
	j := &Judgement{Digests: map[string]string{"findings": ev.Digest}}

	sups, supDigest, err := k.suppressions(ctx, o.Run)
	if err != nil {
		return nil, err
	}
	in.Suppressions = sups
	j.Digests["suppressions"] = supDigest

	policyDigest, err := jsonDigest(e.Gates)
	if err != nil {
		return nil, err
	}
	j.Digests["policy"] = policyDigest
	if e.Gates == nil || e.Gates.Mode == "off" {
		j.Decision = gate.Evaluate(in)
		return j, nil
	}
	in.MaxDBAge = e.Gates.MaxDBAge.D()

	if o.Run != nil {
		q, err := k.quality(ctx, o.Run, o.Jobs)
		if err != nil {
			return nil, err
		}
		in.Findings = append(in.Findings, q...)
		if d, err := k.artifactDigest(ctx, o.Run.ID, o.Jobs); err != nil {
			return nil, err
		} else if d != "" {
			j.Digests["artifact"] = d
		}
	}

	switch {
	case o.Baseline != nil:
		in.Baseline, j.Baseline = o.Baseline, o.BaselineFrom
	case e.Gates.NewOnly && o.Run != nil:
		base, from, err := k.lastAdmitted(ctx, env, o.Run)
		if err != nil {
			return nil, err
		}
		in.Baseline, j.Baseline = base, from
	}
	if j.Baseline != "" {
		j.Digests["baseline"] = combine(in.Baseline)
	}

	if len(e.Gates.Policies) > 0 {
		set, err := policy.Load(k.Dir, e.Gates.Policies)
		if err != nil {
			return nil, err
		}
		j.Digests["policy"] = combine([]string{policyDigest, set.Digest()})
		var facts policy.Run
		if r := o.Run; r != nil {
			facts = policy.Run{ID: r.ID, Number: r.Number, Commit: r.Commit, Branch: r.Branch, Event: r.Event, Actor: r.Actor, Pipeline: r.Pipeline}
		}
		results, err := set.Eval(ctx, policy.NewInput(in, facts))
		if err != nil {
			return nil, err
		}
		in.PolicyResults = results
	}
	j.Decision = gate.Evaluate(in)
	return j, nil
}

// fileSuppressions loads the ignore file and digests its bytes; a missing
// file is no suppressions.
func (k *Keeper) fileSuppressions() ([]gate.Suppression, string, error) {
	file := k.IgnoreFile
	if file == "" {
		file = filepath.Join(k.Dir, ".sluice", "ignore.yaml")
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "none", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read suppressions: %w", err)
	}
	// Named relative to the project in what it says (a decision's
	// reasons, the UI), not by where this machine keeps the checkout.
	name := file
	if rel, err := filepath.Rel(k.Dir, file); k.Dir != "" && err == nil && filepath.IsLocal(rel) {
		name = filepath.ToSlash(rel)
	}
	sups, ds := gate.ParseSuppressions(name, data)
	if ds.HasErrors() {
		return nil, "", fmt.Errorf("%s has errors:\n%s", name, ds.Error())
	}
	return sups, digest(data), nil
}

// lastAdmitted returns the fingerprints of the newest earlier run whose
// gate admitted a job into env: the release live there, as far as the
// gate knows.
func (k *Keeper) lastAdmitted(ctx context.Context, env string, cur *store.Run) ([]string, string, error) {
	r, fps, err := lastAdmittedRun(ctx, k.Store, env, cur)
	if err != nil || r == nil {
		return []string{}, "", err
	}
	return fps, baselineFrom(r, env), nil
}

// artifactDigest digests the artifacts of the run's jobs (of jobs only,
// when not nil): what a release of this run would ship.
func (k *Keeper) artifactDigest(ctx context.Context, runID string, jobs []string) (string, error) {
	as, err := k.Store.Artifacts().ListArtifacts(ctx, runID, "")
	if err != nil {
		return "", err
	}
	var parts []string
	for _, a := range as {
		if jobs != nil && !slices.Contains(jobs, a.JobID) {
			continue
		}
		parts = append(parts, a.Path+" sha256:"+a.SHA256)
	}
	if len(parts) == 0 {
		return "", nil
	}
	slices.Sort(parts)
	return combine(parts), nil
}

// Record stores j as the decision on run (for job jobID, "" when asked by
// hand) and writes it to the audit trail.
func (k *Keeper) Record(ctx context.Context, run *store.Run, jobID string, j *Judgement) error {
	body, err := json.Marshal(j.Decision)
	if err != nil {
		return fmt.Errorf("record gate decision: %w", err)
	}
	d := &store.Decision{RunID: run.ID, JobID: jobID, Env: j.Decision.Env, Outcome: string(j.Decision.Outcome),
		Actor: k.Actor, Digests: j.Digests, Body: body, CreatedAt: k.now()}
	if err := k.Store.Decisions().PutDecision(ctx, d); err != nil {
		return err
	}
	data := map[string]string{"env": d.Env, "outcome": d.Outcome, "decision": fmt.Sprint(d.ID), "number": fmt.Sprint(run.Number)}
	if jobID != "" {
		data["job"] = jobID
	}
	for name, dg := range j.Digests {
		data[name+"_digest"] = dg
	}
	return k.Store.Audit().AppendAudit(ctx, &store.AuditRecord{Time: k.now(), Actor: k.Actor,
		Action: "gate.decide", Subject: "run/" + run.ID, Data: data})
}

// Admit is the engine's hook: it judges the evidence of the jobs a job
// bound to an environment needs, records the decision, writes it to the
// job's log, and refuses the job when the gate blocks.
func (k *Keeper) Admit(ctx context.Context, req engine.AdmitRequest) error {
	run := req.Run
	ev, err := RunEvidence(ctx, k.Store, run.ID, req.Upstream)
	if err != nil {
		return fmt.Errorf("gate %s cannot read its evidence, so it blocks: %w", req.Env, err)
	}
	j, err := k.Judge(ctx, req.Env, ev, Options{Run: &run, Jobs: req.Upstream})
	if err != nil {
		return fmt.Errorf("gate %s cannot judge, so it blocks: %w", req.Env, err)
	}
	if err := k.Record(ctx, &run, req.JobID, j); err != nil {
		return fmt.Errorf("gate %s cannot record its decision, so it blocks: %w", req.Env, err)
	}
	var buf linesWriter
	j.Decision.WriteText(&buf)
	for _, l := range buf.lines() {
		req.Log(l)
	}
	if j.Decision.Outcome == gate.Block {
		if k.onBlocked != nil {
			k.onBlocked(run, req.Env, j.Decision)
		}
		return fmt.Errorf("gate %s blocked: %s (see: sluice gate --env %s --run %d)",
			req.Env, j.Decision.Summary(), req.Env, run.Number)
	}
	a := k.Pipeline.Environment(req.Env).Approval
	if req.RequireApproval != "" {
		if a == nil || a.Min <= 0 {
			// The environment asks no approval; this change still needs
			// a second person.
			a = &spec.Approval{Min: 1, NotAuthor: true}
		}
		req.Log(req.RequireApproval + ": it needs approval")
	}
	return k.awaitApproval(ctx, req, a)
}

func jsonDigest(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	return digest(b), nil
}

// linesWriter collects written text as lines.
type linesWriter struct{ b []byte }

func (l *linesWriter) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *linesWriter) lines() []string {
	s := strings.TrimRight(string(l.b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Hooks tell the caller what admission did (for notifications).
type Hooks struct {
	// OnBlocked is told of a gate that blocked a job.
	OnBlocked func(run store.Run, env string, d gate.Decision)
	// OnApprovalRequested is told of a release that waits for approval.
	OnApprovalRequested func(*store.ApprovalRequest, *store.Run)
}

// Admitter returns the engine's hook for jobs bound to an environment:
// judge the evidence of the jobs they need with the pipeline the run was
// started with, then wait for the approvals the environment requires.
func Admitter(st store.Store, h Hooks) engine.AdmitFunc {
	return func(ctx context.Context, req engine.AdmitRequest) error {
		p, diags := spec.Parse(req.Run.File, req.Run.Spec)
		if diags.HasErrors() {
			return fmt.Errorf("gate %s cannot read the run's pipeline: %s", req.Env, diags.Error())
		}
		k := &Keeper{Store: st, Pipeline: p, Dir: req.Run.Workdir, Actor: req.Run.Actor,
			OnApprovalRequested: h.OnApprovalRequested, onBlocked: h.OnBlocked}
		return k.Admit(ctx, req)
	}
}
