package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/pipeline/expr"
	"github.com/sluice-ci/sluice/internal/pipeline/plan"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/secrets"
	"github.com/sluice-ci/sluice/internal/store"
)

// execution is the in-memory state of one run being executed.
type execution struct {
	e       *Engine
	run     *store.Run
	plan    *plan.Plan
	secrets map[string]string
	// envSecrets are the stored secrets of each environment, given only
	// to the jobs bound to it.
	envSecrets map[string]map[string]string
	masker     *secrets.Masker
	baseEnv    map[string]string
	lock       *runLock

	mu   sync.Mutex
	jobs map[string]*store.Job // by expanded id
}

// Run creates a run for req, executes it to the end and returns it in its
// final state. The error is non-nil only when sluice itself failed (the store
// is unwritable, say); a run whose jobs failed returns a run with
// Status failed and a nil error. Cancelling ctx cancels the run.
func (e *Engine) Run(ctx context.Context, req Request) (*store.Run, error) {
	pl, err := plan.Build(req.Pipeline, plan.Options{Jobs: req.Jobs})
	if err != nil {
		return nil, err
	}
	workdir, err := filepath.Abs(req.Workdir)
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	event := req.Event
	if event == "" {
		event = "manual"
	}
	run := &store.Run{
		Pipeline:     req.Pipeline.Name,
		Project:      req.Project,
		File:         req.File,
		Spec:         req.Source,
		Workdir:      workdir,
		Status:       store.StatusPending,
		Event:        event,
		Branch:       req.Branch,
		Commit:       req.Commit,
		Environment:  req.Environment,
		Actor:        req.Actor,
		Vars:         req.Vars,
		SecretNames:  sortedKeys(req.Secrets),
		SelectedJobs: req.Jobs,
		PID:          os.Getpid(),
		Host:         hostname(),
		Attempt:      1,
		CreatedAt:    e.now().UTC(),
	}
	if err := e.st.Runs().CreateRun(ctx, run); err != nil {
		return nil, fmt.Errorf("create run: %w", err)
	}
	lock, err := acquireRunLock(e.lockPath(run.ID))
	if err != nil {
		return nil, fmt.Errorf("run #%d: %w", run.Number, err)
	}
	x := &execution{e: e, run: run, plan: pl, secrets: req.Secrets, envSecrets: req.EnvSecrets, baseEnv: req.BaseEnv, lock: lock, jobs: map[string]*store.Job{}}
	var jobs []*store.Job
	for _, pj := range pl.Jobs {
		j := &store.Job{RunID: run.ID, ID: pj.ID, Name: pj.Name, Needs: pj.Needs, Matrix: pj.Matrix, Status: store.StatusPending}
		x.jobs[pj.ID] = j
		jobs = append(jobs, j)
	}
	if err := e.st.Jobs().PutJobs(ctx, jobs); err != nil {
		lock.release()
		return nil, fmt.Errorf("store jobs of run #%d: %w", run.Number, err)
	}
	return x.execute(ctx)
}

// Resume continues a run that was interrupted, failed or cancelled: jobs that
// succeeded keep their results (and artifacts); every other job runs again.
func (e *Engine) Resume(ctx context.Context, ref string, req ResumeRequest) (*store.Run, error) {
	if _, err := e.Recover(ctx); err != nil {
		return nil, err
	}
	run, err := e.st.Runs().GetRun(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("find run %s: %w", ref, err)
	}
	switch run.Status {
	case store.StatusSucceeded:
		return nil, fmt.Errorf("run #%d succeeded: %w", run.Number, ErrNotResumable)
	case store.StatusRunning, store.StatusPending:
		if _, err := acquireRunLock(e.lockPath(run.ID)); errors.Is(err, errLocked) {
			return nil, fmt.Errorf("run #%d is still being executed: %w", run.Number, ErrNotResumable)
		}
	}
	p, diags := spec.Parse(run.File, run.Spec)
	if diags.HasErrors() {
		return nil, fmt.Errorf("pipeline stored with run #%d: %w", run.Number, diags)
	}
	pl, err := plan.Build(p, plan.Options{Jobs: run.SelectedJobs})
	if err != nil {
		return nil, fmt.Errorf("plan run #%d: %w", run.Number, err)
	}
	for _, name := range run.SecretNames {
		if _, ok := req.Secrets[name]; !ok {
			return nil, fmt.Errorf("run #%d was started with secret %s: give it again (--secret %s) to resume", run.Number, name, name)
		}
	}
	lock, err := acquireRunLock(e.lockPath(run.ID))
	if err != nil {
		return nil, fmt.Errorf("run #%d: %w", run.Number, err)
	}
	stored, err := e.st.Jobs().ListJobs(ctx, run.ID)
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("load jobs of run #%d: %w", run.Number, err)
	}
	byID := map[string]*store.Job{}
	for _, j := range stored {
		byID[j.ID] = j
	}
	x := &execution{e: e, run: run, plan: pl, secrets: req.Secrets, envSecrets: req.EnvSecrets, baseEnv: req.BaseEnv, lock: lock, jobs: map[string]*store.Job{}}
	var reset []*store.Job
	for _, pj := range pl.Jobs {
		j := byID[pj.ID]
		if j != nil && j.Status == store.StatusSucceeded {
			x.jobs[pj.ID] = j
			continue
		}
		attempt := 0
		if j != nil {
			attempt = j.Attempt
		}
		j = &store.Job{RunID: run.ID, ID: pj.ID, Name: pj.Name, Needs: pj.Needs, Matrix: pj.Matrix, Status: store.StatusPending, Attempt: attempt}
		x.jobs[pj.ID] = j
		reset = append(reset, j)
	}
	for _, j := range reset {
		if err := e.st.Jobs().UpdateJob(ctx, j); err != nil {
			lock.release()
			return nil, fmt.Errorf("reset job %s of run #%d: %w", j.ID, run.Number, err)
		}
	}
	run.Attempt++
	run.PID = os.Getpid()
	run.Host = hostname()
	run.Error = ""
	run.FinishedAt = time.Time{}
	return x.execute(ctx)
}

// execute walks the plan until every job reached an end state.
func (x *execution) execute(ctx context.Context) (*store.Run, error) {
	e := x.e
	defer x.lock.release()
	scratch := e.scratchDir(x.run.ID)
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return nil, fmt.Errorf("run #%d: scratch folder: %w", x.run.Number, err)
	}
	defer os.RemoveAll(scratch)
	if err := os.MkdirAll(e.ReportDir(x.run.ID), 0o700); err != nil {
		return nil, fmt.Errorf("run #%d: report folder: %w", x.run.Number, err)
	}

	masked := sortedValues(x.secrets)
	for _, m := range x.envSecrets {
		masked = append(masked, sortedValues(m)...)
	}
	x.masker = secrets.NewMasker(masked...)
	x.run.Status = store.StatusRunning
	x.run.StartedAt = e.now().UTC()
	if err := e.st.Runs().UpdateRun(context.WithoutCancel(ctx), x.run); err != nil {
		return nil, fmt.Errorf("start run #%d: %w", x.run.Number, err)
	}
	x.audit(context.WithoutCancel(ctx), "run.start", map[string]string{"attempt": strconv.Itoa(x.run.Attempt),
		"commit": x.run.Commit, "branch": x.run.Branch, "event": x.run.Event})
	log := e.log.With("run", x.run.ID, "number", x.run.Number)
	log.Info("run started", "jobs", len(x.plan.Jobs), "attempt", x.run.Attempt)
	e.emit(Event{Type: RunStarted, RunID: x.run.ID, RunNumber: x.run.Number, Step: -1, Attempt: x.run.Attempt, Status: store.StatusRunning})
	for _, pj := range x.plan.Jobs {
		j := x.jobs[pj.ID]
		e.emit(Event{Type: JobQueued, RunID: x.run.ID, JobID: j.ID, JobName: j.Name, Step: -1, Status: j.Status})
	}

	type finished struct {
		id  string
		err error
	}
	doneCh := make(chan finished)
	running := 0
	var sysErr error
	started := func(id string) bool { return x.status(id) != store.StatusPending }
	final := func(id string) bool { return x.status(id).Final() }
	// persistCtx outlives cancellation: the end states of a cancelled run
	// must still be written.
	persistCtx := context.WithoutCancel(ctx)

	for {
		for progressed := true; progressed; {
			progressed = false
			for _, id := range x.plan.Graph.Ready(started, final) {
				j := x.job(id)
				pj := x.plan.Job(id)
				if ctx.Err() != nil {
					x.finishJob(persistCtx, j, store.StatusCancelled, "run cancelled before the job started")
					progressed = true
					continue
				}
				ok, reason, err := x.shouldRun(pj)
				if err != nil {
					x.finishJob(persistCtx, j, store.StatusFailed, err.Error())
					progressed = true
					continue
				}
				if !ok {
					x.finishJob(persistCtx, j, store.StatusSkipped, reason)
					progressed = true
					continue
				}
				if running >= e.parallel {
					continue
				}
				if err := x.startJob(persistCtx, j); err != nil {
					sysErr = err
					x.finishJob(persistCtx, j, store.StatusFailed, err.Error())
					progressed = true
					continue
				}
				running++
				go func() {
					err := x.runJob(ctx, pj, j)
					doneCh <- finished{id: id, err: err}
				}()
			}
		}
		if running == 0 {
			break
		}
		f := <-doneCh
		running--
		if f.err != nil && sysErr == nil {
			sysErr = f.err
		}
	}

	x.run.Status, x.run.Error = x.outcome(ctx)
	if sysErr != nil {
		x.run.Status = store.StatusFailed
		x.run.Error = sysErr.Error()
	}
	x.run.FinishedAt = e.now().UTC()
	if err := e.st.Runs().UpdateRun(persistCtx, x.run); err != nil {
		return x.run, fmt.Errorf("finish run #%d: %w", x.run.Number, err)
	}
	x.audit(persistCtx, "run.finish", map[string]string{"status": string(x.run.Status), "error": x.run.Error})
	log.Info("run finished", "status", x.run.Status, "duration", x.run.FinishedAt.Sub(x.run.StartedAt))
	e.emit(Event{Type: RunFinished, RunID: x.run.ID, RunNumber: x.run.Number, Step: -1, Status: x.run.Status,
		Reason: x.run.Error, Duration: x.run.FinishedAt.Sub(x.run.StartedAt)})
	return x.run, sysErr
}

func (x *execution) job(id string) *store.Job {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.jobs[id]
}

// status reads a job's status under the lock (job goroutines write it).
func (x *execution) status(id string) store.Status {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.jobs[id].Status
}

// snapshot copies a job under the lock.
func (x *execution) snapshot(id string) store.Job {
	x.mu.Lock()
	defer x.mu.Unlock()
	return *x.jobs[id]
}

// outcome decides the run's end state from its jobs.
func (x *execution) outcome(ctx context.Context) (store.Status, string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var failed, cancelled []string
	for _, pj := range x.plan.Jobs {
		j := x.jobs[pj.ID]
		switch j.Status {
		case store.StatusFailed:
			if !pj.Spec.ContinueOnError {
				failed = append(failed, j.ID)
			}
		case store.StatusCancelled, store.StatusInterrupted:
			cancelled = append(cancelled, j.ID)
		}
	}
	switch {
	case ctx.Err() != nil:
		return store.StatusCancelled, ""
	case len(failed) > 0:
		return store.StatusFailed, "failed jobs: " + strings.Join(failed, ", ")
	case len(cancelled) > 0:
		return store.StatusCancelled, "cancelled jobs: " + strings.Join(cancelled, ", ")
	}
	return store.StatusSucceeded, ""
}

// shouldRun evaluates the job's condition over its needs' results.
func (x *execution) shouldRun(pj *plan.Job) (bool, string, error) {
	c := x.exprContext(pj)
	cond := strings.TrimSpace(pj.Spec.If)
	ok, err := expr.Eval(cond, c)
	if err != nil {
		return false, "", fmt.Errorf("if: %w", err)
	}
	if ok {
		return true, "", nil
	}
	// Say why, in the words a user looks for first: which need failed.
	var bad []string
	for _, n := range pj.Needs {
		j := x.snapshot(n)
		if j.Status != store.StatusSucceeded && !(j.Status == store.StatusFailed && x.plan.Job(n).Spec.ContinueOnError) {
			bad = append(bad, fmt.Sprintf("%s (%s)", n, j.Status))
		}
	}
	if cond == "" || cond == "success()" {
		if len(bad) > 0 {
			return false, "needs " + strings.Join(bad, ", "), nil
		}
	}
	return false, "condition false: " + cond, nil
}

// exprContext builds the expression context of a job.
func (x *execution) exprContext(pj *plan.Job) expr.Context {
	needs := map[string]expr.Need{}
	for _, n := range pj.Needs {
		nj := x.snapshot(n)
		base := x.plan.Job(n).Base
		res := needResult(nj.Status, x.plan.Job(n).Spec.ContinueOnError)
		cur, seen := needs[base]
		if !seen {
			cur = expr.Need{Result: res, Outputs: map[string]string{}}
		} else if rank(res) > rank(cur.Result) {
			cur.Result = res
		}
		for k, v := range nj.Outputs {
			cur.Outputs[k] = v
		}
		needs[base] = cur
	}
	env := map[string]string{}
	for k, v := range x.plan.Pipeline.Env {
		env[k] = v
	}
	environment := x.run.Environment
	if pj.Spec.Environment != "" {
		environment = pj.Spec.Environment
	}
	return expr.Context{
		Branch:      x.run.Branch,
		Event:       x.run.Event,
		Environment: environment,
		Commit:      x.run.Commit,
		Vars:        x.run.Vars,
		Env:         env,
		Matrix:      pj.Matrix,
		Needs:       needs,
	}
}

// needResult maps a job's status to the result word expressions see. A job
// that failed with continue_on_error counts as a success for its dependents.
func needResult(s store.Status, continueOnError bool) string {
	switch s {
	case store.StatusSucceeded:
		return "success"
	case store.StatusFailed:
		if continueOnError {
			return "success"
		}
		return "failure"
	case store.StatusSkipped:
		return "skipped"
	}
	return "cancelled"
}

// rank orders results so a matrix need takes its worst instance's result.
func rank(r string) int {
	switch r {
	case "success":
		return 0
	case "skipped":
		return 1
	case "cancelled":
		return 2
	}
	return 3
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedValues(m map[string]string) []string {
	var vals []string
	for _, k := range sortedKeys(m) {
		vals = append(vals, m[k])
	}
	return vals
}
