package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/sluice-ci/sluice/internal/pipeline/plan"
	"github.com/sluice-ci/sluice/internal/store"
)

// AdmitRequest is what an Admit hook is asked: may this job, bound to an
// environment, start?
type AdmitRequest struct {
	// Run is a copy of the run.
	Run   store.Run
	JobID string
	Env   string
	// Upstream are the ids of every job the job needs, directly or through
	// others, sorted: the jobs whose evidence the job may be judged on.
	Upstream []string
	// Log writes a line to the job's log (as a sluice system line).
	Log func(line string)
	// RequireApproval, when not empty, says why people must approve the
	// job even where the environment asks for no approval (a Terraform plan
	// that destroys resources).
	RequireApproval string
}

// AdmitFunc decides whether a job bound to an environment (environment:
// in sluice.yaml) may start. A non-nil error fails the job without running
// its steps; its text is the job's reason ("gate production blocked: …").
type AdmitFunc func(ctx context.Context, req AdmitRequest) error

// admit asks the Admit hook about pj; nil when there is no hook or the
// job is not bound to an environment.
func (x *execution) admit(ctx context.Context, pj *plan.Job, logs *jobLog) error {
	if x.e.admitFn == nil || pj.Spec.Environment == "" || gatedAtReview(pj) {
		return nil
	}
	x.mu.Lock()
	run := *x.run
	x.mu.Unlock()
	return x.e.admitFn(ctx, AdmitRequest{
		Run: run, JobID: pj.ID, Env: pj.Spec.Environment,
		Upstream: x.upstream(pj.ID),
		Log:      func(line string) { logs.system(-1, line) },
	})
}

// upstream returns every job id id needs, directly or not, sorted.
func (x *execution) upstream(id string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(id string) {
		pj := x.plan.Job(id)
		if pj == nil {
			return
		}
		for _, n := range pj.Needs {
			if !seen[n] {
				seen[n] = true
				walk(n)
			}
		}
	}
	walk(id)
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// keepEvidence stores the JSON report a scan: job wrote as the run's
// evidence, so gates (now and when the release is promoted later) judge
// exactly what the scan found. A missing report is no error here: the
// gate's require: check fails closed on a scanner that did not report.
func (x *execution) keepEvidence(ctx context.Context, pj *plan.Job) error {
	if len(pj.Spec.Scan) == 0 && pj.Spec.Terraform == nil {
		return nil
	}
	path := filepath.Join(x.e.ReportDir(x.run.ID), safeName(pj.ID)+".json")
	body, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("keep the scan report of job %s: %w", pj.ID, err)
	}
	ev := &store.Evidence{RunID: x.run.ID, JobID: pj.ID, Kind: "scan", Body: body}
	if err := x.e.st.Evidence().PutEvidence(ctx, ev); err != nil {
		return fmt.Errorf("keep the scan report of job %s: %w", pj.ID, err)
	}
	return nil
}

// audit appends a record about the run to the audit trail; a failure is
// logged, never fatal to the run.
func (x *execution) audit(ctx context.Context, action string, data map[string]string) {
	x.mu.Lock()
	actor, subject := x.run.Actor, "run/"+x.run.ID
	if data == nil {
		data = map[string]string{}
	}
	data["number"] = strconv.FormatInt(x.run.Number, 10)
	data["pipeline"] = x.run.Pipeline
	x.mu.Unlock()
	rec := &store.AuditRecord{Time: x.e.now(), Actor: actor, Action: action, Subject: subject, Data: data}
	if err := x.e.st.Audit().AppendAudit(ctx, rec); err != nil {
		x.e.log.Error("append audit record", "action", action, "run", x.run.ID, "err", err)
	}
}
