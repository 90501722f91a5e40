//go:build unix

package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// Recover finds runs left "running" by a sluice process that is gone (it
// crashed or was killed), kills whatever step processes they left behind,
// and marks the runs, their running jobs and steps interrupted. It returns
// the runs it marked. A run whose executing process still lives is left
// alone: that process holds the run's lock.
func (e *Engine) Recover(ctx context.Context) ([]*store.Run, error) {
	runs, err := e.st.Runs().ListRuns(ctx, store.RunFilter{Status: []store.Status{store.StatusRunning, store.StatusPending}})
	if err != nil {
		return nil, fmt.Errorf("list unfinished runs: %w", err)
	}
	var marked []*store.Run
	for _, r := range runs {
		if r.Host != "" && r.Host != hostname() {
			continue // another machine's run; its own process decides.
		}
		lock, err := acquireRunLock(e.lockPath(r.ID))
		if errors.Is(err, errLocked) {
			continue
		}
		if err != nil {
			return marked, err
		}
		done, err := e.interrupt(ctx, r.ID)
		lock.release()
		if err != nil {
			return marked, err
		}
		if done != nil {
			marked = append(marked, done)
		}
	}
	return marked, nil
}

// interrupt marks one abandoned run interrupted; the caller holds its lock.
func (e *Engine) interrupt(ctx context.Context, runID string) (*store.Run, error) {
	// Read again under the lock: the owner may have finished in between.
	r, err := e.st.Runs().GetRun(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("load run %s: %w", runID, err)
	}
	if r.Status.Final() {
		return nil, nil
	}
	now := e.now().UTC()
	reason := fmt.Sprintf("sluice (pid %d) stopped while the run was in progress", r.PID)
	steps, err := e.st.Steps().ListSteps(ctx, r.ID, "")
	if err != nil {
		return nil, fmt.Errorf("load steps of run #%d: %w", r.Number, err)
	}
	for _, s := range steps {
		if s.Status.Final() {
			continue
		}
		if s.PGID > 0 {
			killOrphanGroup(s.PGID, r.ID)
		}
		if s.Status == store.StatusRunning {
			s.Status, s.Reason, s.FinishedAt, s.PGID = store.StatusInterrupted, reason, now, 0
			if err := e.st.Steps().PutStep(ctx, s); err != nil {
				return nil, fmt.Errorf("mark step interrupted: %w", err)
			}
		}
	}
	// The dead process left its scratch files (the jobs' $SLUICE_OUTPUT,
	// which may hold secrets) behind; a resume writes new ones.
	if err := os.RemoveAll(e.scratchDir(r.ID)); err != nil {
		return nil, fmt.Errorf("remove scratch files of run #%d: %w", r.Number, err)
	}
	jobs, err := e.st.Jobs().ListJobs(ctx, r.ID)
	if err != nil {
		return nil, fmt.Errorf("load jobs of run #%d: %w", r.Number, err)
	}
	for _, j := range jobs {
		if j.Status == store.StatusRunning {
			j.Status, j.Reason, j.FinishedAt = store.StatusInterrupted, reason, now
			if err := e.st.Jobs().UpdateJob(ctx, j); err != nil {
				return nil, fmt.Errorf("mark job interrupted: %w", err)
			}
		}
	}
	r.Status, r.Error, r.FinishedAt = store.StatusInterrupted, reason, now
	if err := e.st.Runs().UpdateRun(ctx, r); err != nil {
		return nil, fmt.Errorf("mark run #%d interrupted: %w", r.Number, err)
	}
	e.log.Warn("marked abandoned run interrupted", "run", r.ID, "number", r.Number, "pid", r.PID)
	return r, nil
}

// killOrphanGroup kills a step's process group left by a dead sluice, but
// only after checking that its leader still carries the run's id in its
// environment, so a recycled process group id is never hit.
func killOrphanGroup(pgid int, runID string) {
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pgid) + "/environ")
	if err != nil {
		return // gone already, or not ours to read.
	}
	if !bytes.Contains(env, []byte("\x00SLUICE_RUN_ID="+runID+"\x00")) && !bytes.HasPrefix(env, []byte("SLUICE_RUN_ID="+runID+"\x00")) {
		return
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}
