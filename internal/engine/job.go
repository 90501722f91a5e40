package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/executor"
	"github.com/sluice-ci/sluice/internal/pipeline/expr"
	"github.com/sluice-ci/sluice/internal/pipeline/plan"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
)

// startJob marks the job running before its goroutine starts, so the
// scheduler never starts it twice.
func (x *execution) startJob(ctx context.Context, j *store.Job) error {
	x.mu.Lock()
	j.Status = store.StatusRunning
	j.Reason = ""
	j.ExitCode = 0
	j.Attempt++
	j.StartedAt = x.e.now().UTC()
	j.FinishedAt = time.Time{}
	cp := *j
	x.mu.Unlock()
	if err := x.e.st.Jobs().UpdateJob(ctx, &cp); err != nil {
		return fmt.Errorf("start job %s: %w", j.ID, err)
	}
	x.e.emit(Event{Type: JobStarted, RunID: x.run.ID, JobID: j.ID, JobName: j.Name, Step: -1, Status: store.StatusRunning, Attempt: cp.Attempt})
	return nil
}

// finishJob records a job's end state and tells observers.
func (x *execution) finishJob(ctx context.Context, j *store.Job, status store.Status, reason string) {
	x.mu.Lock()
	j.Status = status
	j.Reason = reason
	j.FinishedAt = x.e.now().UTC()
	if j.StartedAt.IsZero() {
		j.StartedAt = j.FinishedAt
	}
	cp := *j
	x.mu.Unlock()
	if err := x.e.st.Jobs().UpdateJob(ctx, &cp); err != nil {
		x.e.log.Error("persist job state", "run", x.run.ID, "job", j.ID, "err", err)
	}
	x.e.emit(Event{Type: JobFinished, RunID: x.run.ID, JobID: j.ID, JobName: j.Name, Step: -1, Status: status,
		Reason: reason, ExitCode: cp.ExitCode, Duration: cp.FinishedAt.Sub(cp.StartedAt)})
}

// runJob executes every step of a started job and records how it ended. The
// returned error is a failure of sluice itself, not of the job.
func (x *execution) runJob(ctx context.Context, pj *plan.Job, j *store.Job) error {
	persistCtx := context.WithoutCancel(ctx)
	logs := newJobLog(x, j.ID)
	defer logs.close(persistCtx)
	if j.Attempt > 1 {
		logs.system(-1, fmt.Sprintf("attempt %d of job %s (run attempt %d)", j.Attempt, j.ID, x.run.Attempt))
	}

	var (
		status   store.Status
		reason   string
		exitCode int
		sysErr   error
	)
	// Admission (the gate, and people approving) does not count against
	// the job's timeout: the timeout bounds the job's own work.
	admitErr := x.admit(ctx, pj, logs)
	jobCtx := ctx
	if t := pj.Spec.Timeout.D(); t > 0 {
		var cancel context.CancelFunc
		jobCtx, cancel = context.WithTimeoutCause(ctx, t, fmt.Errorf("job timed out after %s", t))
		defer cancel()
	}
	if admitErr != nil {
		status, reason = store.StatusFailed, admitErr.Error()
		if ctx.Err() != nil {
			status, reason = store.StatusCancelled, "run cancelled while waiting for the gate or approval"
		}
	} else {
		status, reason, exitCode, sysErr = x.jobSteps(jobCtx, persistCtx, pj, j, logs)
		if err := x.keepEvidence(persistCtx, pj); err != nil {
			logs.system(-1, err.Error())
			if status == store.StatusSucceeded {
				status, reason = store.StatusFailed, err.Error()
			}
		}
	}
	if status == store.StatusSucceeded {
		if err := x.saveArtifacts(persistCtx, pj, j); err != nil {
			status, reason = store.StatusFailed, err.Error()
			logs.system(-1, reason)
		}
	}
	if status == store.StatusFailed && pj.Spec.ContinueOnError {
		reason += " (allowed to fail: continue_on_error)"
	}
	logs.flush(persistCtx)
	x.mu.Lock()
	j.ExitCode = exitCode
	x.mu.Unlock()
	x.finishJob(persistCtx, j, status, reason)
	return sysErr
}

// jobSteps runs the steps in order and returns the job's end state.
func (x *execution) jobSteps(ctx, persistCtx context.Context, pj *plan.Job, j *store.Job, logs *jobLog) (store.Status, string, int, error) {
	if err := x.restoreArtifacts(persistCtx, pj); err != nil {
		logs.system(-1, err.Error())
		return store.StatusFailed, err.Error(), 0, nil
	}
	// Steps append to $SLUICE_OUTPUT (">>" creates it); the run's scratch
	// folder exists already, so a job costs no file system calls here.
	outputFile := x.e.outputFile(x.run.ID, j.ID, j.Attempt)
	ectx := x.exprContext(pj)
	env, err := x.jobEnv(pj, ectx, outputFile)
	if err != nil {
		logs.system(-1, err.Error())
		return store.StatusFailed, err.Error(), 0, nil
	}

	// Every step is recorded as pending first so viewers see the whole job.
	steps := make([]*store.Step, len(pj.Steps))
	for i, s := range pj.Steps {
		steps[i] = &store.Step{RunID: x.run.ID, JobID: j.ID, Index: i, Name: stepName(s, i), Status: store.StatusPending}
		if err := x.e.st.Steps().PutStep(persistCtx, steps[i]); err != nil {
			return store.StatusFailed, "", 0, fmt.Errorf("record step %d of job %s: %w", i, j.ID, err)
		}
	}

	failed, failReason, exitCode := false, "", 0
	for i, s := range pj.Steps {
		st := steps[i]
		sctx := ectx
		sctx.Step = true
		sctx.JobFailed = failed
		sctx.Cancelled = ctx.Err() != nil
		run, err := expr.Eval(s.If, sctx)
		if err != nil {
			x.finishStep(persistCtx, st, store.StatusFailed, "if: "+err.Error(), 0)
			failed, failReason = true, fmt.Sprintf("step %q: if: %v", st.Name, err)
			continue
		}
		if !run {
			why := "an earlier step failed"
			if !failed {
				why = "condition false: " + s.If
			}
			if ctx.Err() != nil {
				why = "job cancelled"
			}
			x.finishStep(persistCtx, st, store.StatusSkipped, why, 0)
			continue
		}
		if s.TerraformReview {
			status, reason := x.reviewPlan(ctx, persistCtx, pj, j, st, logs)
			x.finishStep(persistCtx, st, status, reason, 0)
			if status != store.StatusSucceeded && !failed {
				failed, failReason = true, fmt.Sprintf("step %q: %s", st.Name, reason)
			}
			continue
		}
		res, sysErr := x.runStep(ctx, persistCtx, j, s, st, env, logs)
		if sysErr != nil {
			return store.StatusFailed, sysErr.Error(), 0, sysErr
		}
		if st.Status == store.StatusFailed && !s.ContinueOnError && !failed {
			failed, failReason, exitCode = true, fmt.Sprintf("step %q %s", st.Name, st.Reason), res.ExitCode
		}
	}

	switch {
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled):
		return store.StatusCancelled, "cancelled", exitCode, nil
	case ctx.Err() != nil:
		return store.StatusFailed, context.Cause(ctx).Error(), exitCode, nil
	case failed:
		return store.StatusFailed, failReason, exitCode, nil
	}
	if err := x.readOutputs(pj, j, outputFile, logs); err != nil {
		return store.StatusFailed, err.Error(), 0, nil
	}
	return store.StatusSucceeded, "", 0, nil
}

// runStep runs one step with its retries. It returns a non-nil error only
// when the store failed.
func (x *execution) runStep(ctx, persistCtx context.Context, j *store.Job, s *spec.Step, st *store.Step, env map[string]string, logs *jobLog) (executor.Result, error) {
	stepEnv, err := x.stepEnv(env, s)
	if err != nil {
		x.finishStep(persistCtx, st, store.StatusFailed, err.Error(), 0)
		logs.system(st.Index, err.Error())
		return executor.Result{ExitCode: 1}, nil
	}
	dir := x.run.Workdir
	if s.Dir != "" {
		dir = filepath.Join(dir, filepath.FromSlash(s.Dir))
	}
	attempts := 1 + max(0, s.Retry.Attempts)
	backoff := s.Retry.Backoff.D()
	if backoff <= 0 {
		backoff = time.Second
	}
	var res executor.Result
	for attempt := 1; attempt <= attempts; attempt++ {
		st.Status = store.StatusRunning
		st.Attempts = attempt
		st.StartedAt = x.e.now().UTC()
		st.FinishedAt = time.Time{}
		st.Reason = ""
		x.e.emit(Event{Type: StepStarted, RunID: x.run.ID, JobID: j.ID, JobName: j.Name, Step: st.Index, StepName: st.Name, Attempt: attempt, Status: store.StatusRunning})
		var pgidErr error
		xs := executor.Step{
			RunID: x.run.ID, JobID: j.ID, Index: st.Index, Name: st.Name,
			Command: s.Run, Dir: dir, Env: stepEnv, Timeout: s.Timeout.D(), Grace: x.e.grace,
			// The step is stored as running together with its process
			// group, in one write, so a crash can never leave an
			// unrecorded group behind.
			Started: func(pgid int) {
				st.PGID = pgid
				pgidErr = x.e.st.Steps().PutStep(persistCtx, st)
			},
		}
		var runErr error
		res, runErr = x.e.exec.Run(ctx, xs, func(l executor.Line) { logs.line(st.Index, l) })
		logs.flush(persistCtx)
		if pgidErr != nil {
			return res, fmt.Errorf("record process group of step %q: %w", st.Name, pgidErr)
		}
		st.PGID = 0
		status, reason := store.StatusSucceeded, ""
		switch {
		case runErr != nil:
			status, reason = store.StatusFailed, "could not start: "+runErr.Error()
		case res.Cancelled:
			status, reason = store.StatusCancelled, "cancelled"
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
				status, reason = store.StatusFailed, cause.Error()
			}
		case res.TimedOut:
			status, reason = store.StatusFailed, fmt.Sprintf("timed out after %s", s.Timeout.D())
		case res.ExitCode == 127:
			status, reason = store.StatusFailed, "exited with code 127: command not found"
		case res.ExitCode != 0:
			status, reason = store.StatusFailed, fmt.Sprintf("exited with code %d", res.ExitCode)
		}
		if reason != "" {
			logs.system(st.Index, reason)
		}
		if status == store.StatusFailed && s.ContinueOnError {
			reason += " (continue_on_error)"
		}
		x.finishStep(persistCtx, st, status, reason, res.ExitCode)
		if status != store.StatusFailed || attempt == attempts || ctx.Err() != nil {
			break
		}
		wait := backoff << (attempt - 1)
		if m := s.Retry.MaxBackoff.D(); m > 0 && wait > m {
			wait = m
		}
		logs.system(st.Index, fmt.Sprintf("retrying in %s (attempt %d of %d)", wait, attempt+1, attempts))
		logs.flush(persistCtx)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	return res, nil
}

func (x *execution) finishStep(ctx context.Context, st *store.Step, status store.Status, reason string, code int) {
	st.Status = status
	st.Reason = reason
	st.ExitCode = code
	st.FinishedAt = x.e.now().UTC()
	if st.StartedAt.IsZero() {
		st.StartedAt = st.FinishedAt
	}
	if err := x.e.st.Steps().PutStep(ctx, st); err != nil {
		x.e.log.Error("persist step state", "run", st.RunID, "job", st.JobID, "step", st.Index, "err", err)
	}
	x.e.emit(Event{Type: StepFinished, RunID: st.RunID, JobID: st.JobID, Step: st.Index, StepName: st.Name, Status: status,
		Reason: reason, ExitCode: code, Attempt: st.Attempts, Duration: st.FinishedAt.Sub(st.StartedAt)})
}

func stepName(s *spec.Step, i int) string {
	if s.Name != "" {
		return s.Name
	}
	line := strings.TrimSpace(s.Run)
	if k := strings.IndexByte(line, '\n'); k >= 0 {
		line = strings.TrimSpace(line[:k]) + " …"
	}
	if len(line) > 60 {
		line = line[:57] + "…"
	}
	if line == "" {
		return "step " + strconv.Itoa(i+1)
	}
	return line
}

// jobEnv builds the environment every step of the job starts from, lowest
// precedence first: the caller's pass-through variables, sluice's own, the
// pipeline's env, --var values, the job's env, the secrets.
func (x *execution) jobEnv(pj *plan.Job, c expr.Context, outputFile string) (map[string]string, error) {
	env := map[string]string{}
	for k, v := range x.baseEnv {
		env[k] = v
	}
	r := x.run
	for k, v := range map[string]string{
		"CI": "true", "SLUICE": "true",
		"SLUICE_RUN_ID": r.ID, "SLUICE_RUN_NUMBER": strconv.FormatInt(r.Number, 10),
		"SLUICE_PIPELINE": r.Pipeline, "SLUICE_JOB": pj.ID, "SLUICE_JOB_NAME": pj.Name,
		"SLUICE_BRANCH": r.Branch, "SLUICE_COMMIT": r.Commit, "SLUICE_EVENT": r.Event,
		"SLUICE_ENVIRONMENT": r.Environment, "SLUICE_WORKSPACE": r.Workdir, "SLUICE_OUTPUT": outputFile,
		"SLUICE_BIN": x.e.self, "SLUICE_REPORTS": x.e.ReportDir(r.ID), "SLUICE_JOB_FILE": safeName(pj.ID),
		"SLUICE_DATA": x.e.stateDir,
	} {
		env[k] = v
	}
	for _, k := range sortedKeys(pj.Matrix) {
		env["MATRIX_"+envName(k)] = pj.Matrix[k]
	}
	if err := interpolateInto(env, x.plan.Pipeline.Env, c, "env"); err != nil {
		return nil, err
	}
	envName := pj.Spec.Environment
	if envName == "" {
		envName = r.Environment
	}
	if e := x.plan.Pipeline.Environment(envName); e != nil {
		if err := interpolateInto(env, e.Vars, c, "environments."+e.Name+".vars"); err != nil {
			return nil, err
		}
		env["SLUICE_ENVIRONMENT"] = e.Name
	}
	for k, v := range r.Vars {
		env[k] = v
	}
	if err := interpolateInto(env, pj.Spec.Env, c, "jobs."+pj.Base+".env"); err != nil {
		return nil, err
	}
	c.Env = env
	for k, v := range x.secrets {
		env[k] = v
	}
	for k, v := range x.envSecrets[pj.Spec.Environment] {
		env[k] = v
	}
	return env, nil
}

// stepEnv adds the step's own env and flattens to KEY=VALUE.
func (x *execution) stepEnv(jobEnv map[string]string, s *spec.Step) ([]string, error) {
	env := jobEnv
	if len(s.Env) > 0 {
		env = make(map[string]string, len(jobEnv)+len(s.Env))
		for k, v := range jobEnv {
			env[k] = v
		}
		c := expr.Context{Env: jobEnv, Branch: x.run.Branch, Event: x.run.Event, Environment: x.run.Environment, Commit: x.run.Commit, Vars: x.run.Vars}
		if err := interpolateInto(env, s.Env, c, "step env"); err != nil {
			return nil, err
		}
		for k, v := range x.secrets {
			env[k] = v
		}
	}
	out := make([]string, 0, len(env))
	for _, k := range sortedKeys(env) {
		out = append(out, k+"="+env[k])
	}
	return out, nil
}

func interpolateInto(dst, src map[string]string, c expr.Context, where string) error {
	for _, k := range sortedKeys(src) {
		v, err := expr.Interpolate(src[k], c)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", where, k, err)
		}
		dst[k] = v
	}
	return nil
}

// envName turns a matrix axis name into an environment variable suffix.
func envName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// readOutputs reads name=value lines (and name<<DELIM heredocs) that steps
// wrote to $SLUICE_OUTPUT, keeps the declared names, masks the values.
func (x *execution) readOutputs(pj *plan.Job, j *store.Job, file string, logs *jobLog) error {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		data, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("read outputs of job %s: %w", j.ID, err)
	}
	values, err := parseOutputs(string(data))
	if err != nil {
		return fmt.Errorf("outputs of job %s: %w", j.ID, err)
	}
	declared := map[string]bool{}
	for _, name := range pj.Spec.Outputs {
		declared[name] = true
	}
	if pj.Spec.Terraform != nil {
		for _, name := range spec.TerraformOutputs {
			declared[name] = true
		}
	}
	out := map[string]string{}
	var ignored []string
	for k, v := range values {
		if !declared[k] {
			ignored = append(ignored, k)
			continue
		}
		out[k] = x.masker.Mask(v)
	}
	if len(ignored) > 0 {
		sort.Strings(ignored)
		logs.system(-1, "ignored undeclared outputs (add them to outputs:): "+strings.Join(ignored, ", "))
	}
	x.mu.Lock()
	j.Outputs = out
	x.mu.Unlock()
	return nil
}

func parseOutputs(s string) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if k, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(k, "=") {
			var val []string
			closed := false
			for i++; i < len(lines); i++ {
				if strings.TrimSuffix(lines[i], "\r") == delim {
					closed = true
					break
				}
				val = append(val, lines[i])
			}
			if !closed {
				return nil, fmt.Errorf("output %q: heredoc not closed by %q", k, delim)
			}
			out[strings.TrimSpace(k)] = strings.Join(val, "\n")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want name=value, got %q", i+1, line)
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, nil
}
