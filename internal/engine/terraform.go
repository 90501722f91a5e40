package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/sluice-ci/sluice/internal/pipeline/plan"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/tfplan"
)

// EvidenceTFPlan is the kind of evidence a terraform job's plan summary is
// stored as.
const EvidenceTFPlan = "tfplan"

// gatedAtReview says whether pj is judged between its plan and its apply
// instead of before it starts: a terraform job that applies, bound to an
// environment, is judged on the plan it made.
func gatedAtReview(pj *plan.Job) bool {
	t := pj.Spec.Terraform
	return t != nil && t.Applies(pj.Spec) && pj.Spec.Environment != ""
}

// reviewPlan is a terraform job's step between plan and apply: it writes
// the plan's summary to the log and keeps it, with the scan of the plan,
// as the run's evidence; then, for a job that applies, asks the
// environment's gate (on the evidence of the jobs it needs and of its own
// plan) and, when the plan destroys resources, applies the job's destroy
// policy. It returns the step's status and reason.
func (x *execution) reviewPlan(ctx, persistCtx context.Context, pj *plan.Job, j *store.Job, st *store.Step, logs *jobLog) (store.Status, string) {
	st.Status, st.Attempts, st.StartedAt = store.StatusRunning, 1, x.e.now().UTC()
	if err := x.e.st.Steps().PutStep(persistCtx, st); err != nil {
		x.e.log.Error("persist step state", "run", st.RunID, "job", st.JobID, "step", st.Index, "err", err)
	}
	x.e.emit(Event{Type: StepStarted, RunID: x.run.ID, JobID: pj.ID, JobName: pj.Name, Step: st.Index, StepName: st.Name, Attempt: 1, Status: store.StatusRunning})
	say := func(line string) { logs.system(st.Index, line) }
	fail := func(reason string) (store.Status, string) {
		say(reason)
		return store.StatusFailed, reason
	}
	t := pj.Spec.Terraform

	f, err := os.Open(filepath.Join(x.e.ReportDir(x.run.ID), safeName(pj.ID)+".tfplan", "plan.tfplan.json"))
	if err != nil {
		return fail("the plan's JSON is missing: " + err.Error())
	}
	sum, err := tfplan.Summarize(f)
	f.Close()
	if err != nil {
		return fail(err.Error())
	}
	say(sum.String())
	for _, l := range sum.Lines(50) {
		say(l)
	}
	body, err := json.Marshal(sum)
	if err != nil {
		return fail(err.Error())
	}
	if err := x.e.st.Evidence().PutEvidence(persistCtx, &store.Evidence{RunID: x.run.ID, JobID: pj.ID, Kind: EvidenceTFPlan, Body: body}); err != nil {
		return fail("keep the plan's summary: " + err.Error())
	}
	if err := x.keepEvidence(persistCtx, pj); err != nil {
		return fail(err.Error())
	}
	// The summary is the job's outputs too: later jobs read
	// needs.<job>.outputs.tf_destroy, the API and the UI show tf_plan.
	out, err := os.OpenFile(x.e.outputFile(x.run.ID, j.ID, j.Attempt), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fail("write the plan's outputs: " + err.Error())
	}
	_, werr := fmt.Fprintf(out, "tf_add=%d\ntf_change=%d\ntf_destroy=%d\ntf_plan=%s\n", sum.Add, sum.Change, sum.Destroy, sum.String())
	if cerr := out.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fail("write the plan's outputs: " + werr.Error())
	}
	if !t.Applies(pj.Spec) {
		say("plan only: nothing is applied (terraform.apply is false, or the job has no environment)")
		return store.StatusSucceeded, ""
	}

	var approval string
	if sum.Destroy > 0 {
		what := fmt.Sprintf("the plan destroys %d %s (%s)", sum.Destroy, plural(sum.Destroy, "resource", "resources"), sum.DestroyedText())
		switch t.Destroy {
		case spec.DestroyBlock:
			return fail(what + ", and this job's terraform.destroy is block")
		case spec.DestroyAllow:
			say(what + "; terraform.destroy allows it")
		default:
			approval = what
		}
	}
	if pj.Spec.Environment == "" || x.e.admitFn == nil {
		if approval != "" {
			return fail(approval + ": someone must approve that, and only a job bound to an environment can wait for approval")
		}
		return store.StatusSucceeded, ""
	}
	x.mu.Lock()
	run := *x.run
	x.mu.Unlock()
	upstream := append(x.upstream(pj.ID), pj.ID)
	slices.Sort(upstream)
	err = x.e.admitFn(ctx, AdmitRequest{Run: run, JobID: pj.ID, Env: pj.Spec.Environment, Upstream: upstream,
		Log: say, RequireApproval: approval})
	switch {
	case err != nil && ctx.Err() != nil:
		return store.StatusCancelled, "run cancelled while waiting for the gate or approval"
	case err != nil:
		return fail(err.Error())
	}
	return store.StatusSucceeded, ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
