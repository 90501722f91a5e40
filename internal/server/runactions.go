package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/store"
)

// cancelWait is how long a cancel waits for the run to be recorded
// cancelled before it answers 202 instead.
const cancelWait = 10 * time.Second

// cancelRun cancels a run that has not ended. A run this server executes
// is cancelled through its context: the engine stops its steps and records
// it cancelled. A run whose executing process is gone is marked
// interrupted by the engine's recovery (as every sluice command does when
// it opens the store). A run another live sluice process executes holds
// its lock there and is refused with 409: the engine has no way to reach
// into another process, and signalling it could stop a whole control
// plane, not one run.
func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	run := s.run(w, r)
	if run == nil {
		return
	}
	if run.Status.Final() {
		writeError(w, http.StatusConflict, "already_ended", fmt.Sprintf("run #%d already ended: %s", run.Number, run.Status))
		return
	}
	if c, ok := s.o.Runner.(RunCanceller); ok && c.Cancel(run.ID) {
		s.audit(r.Context(), p.Name, "run.cancel", "run/"+run.ID, map[string]string{"number": strconv.FormatInt(run.Number, 10),
			"project": run.Project, "status": string(run.Status)})
		cur := s.waitFinal(r.Context(), run.ID, cancelWait)
		status := http.StatusOK
		if !cur.Status.Final() {
			status = http.StatusAccepted
		}
		writeJSON(w, status, map[string]any{"run": run.ID, "number": run.Number, "status": cur.Status, "by": p.Name})
		return
	}
	if s.o.DataDir != "" {
		eng := engine.New(engine.Options{Store: s.o.Store, StateDir: s.o.DataDir, Logger: s.o.Logger})
		marked, err := eng.Recover(r.Context())
		if err != nil {
			writeError(w, http.StatusInternalServerError, "recover", err.Error())
			return
		}
		if slices.ContainsFunc(marked, func(m *store.Run) bool { return m.ID == run.ID }) {
			s.audit(r.Context(), p.Name, "run.cancel", "run/"+run.ID, map[string]string{"number": strconv.FormatInt(run.Number, 10),
				"project": run.Project, "status": string(run.Status), "outcome": "its process was gone: marked interrupted"})
			writeJSON(w, http.StatusOK, map[string]any{"run": run.ID, "number": run.Number, "status": store.StatusInterrupted, "by": p.Name,
				"note": "the process executing the run was gone; the run is marked interrupted (sluice run --resume continues it)"})
			return
		}
	}
	if cur, err := s.o.Store.Runs().GetRun(r.Context(), run.ID); err == nil && cur.Status.Final() {
		writeError(w, http.StatusConflict, "already_ended", fmt.Sprintf("run #%d already ended: %s", cur.Number, cur.Status))
		return
	}
	if host, _ := os.Hostname(); run.PID == os.Getpid() && run.Host == host {
		writeError(w, http.StatusConflict, "not_cancellable_yet", fmt.Sprintf("run #%d is starting or ending in this server: try again in a moment", run.Number))
		return
	}
	where := "another sluice process"
	if run.PID > 0 {
		where = fmt.Sprintf("another sluice process (pid %d on %s)", run.PID, run.Host)
	}
	writeError(w, http.StatusConflict, "not_cancellable", fmt.Sprintf("run #%d is executed by %s, not by this server: cancel it there (Ctrl-C in the terminal running it)",
		run.Number, where))
}

// waitFinal polls run id until it reached a final state or d passed, and
// returns it as last read.
func (s *Server) waitFinal(ctx context.Context, id string, d time.Duration) *store.Run {
	deadline := time.Now().Add(d)
	for {
		cur, err := s.o.Store.Runs().GetRun(ctx, id)
		if err != nil {
			return &store.Run{ID: id, Status: store.StatusRunning}
		}
		if cur.Status.Final() || time.Now().After(deadline) {
			return cur
		}
		select {
		case <-ctx.Done():
			return cur
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// rerunRun starts the run again: a new run of the same project at the
// same commit, with the same event and branch (and jobs, unless the body
// names others), as the key's name; or, with "failed_only", a new attempt
// of the same run that runs again only the jobs that did not succeed
// (the engine's resume).
func (s *Server) rerunRun(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var body struct {
		Jobs       []string `json:"jobs"`
		FailedOnly bool     `json:"failed_only"`
	}
	if !decodeOptional(w, r, &body) {
		return
	}
	run := s.run(w, r)
	if run == nil {
		return
	}
	if s.o.Runner == nil {
		writeError(w, http.StatusServiceUnavailable, "no_runner", "this server does not start runs")
		return
	}
	if run.Project == "" {
		writeError(w, http.StatusConflict, "no_project", fmt.Sprintf("run #%d was started with sluice run in a workspace, not by the control plane: run it again there", run.Number))
		return
	}
	if body.FailedOnly {
		s.resumeRun(w, r, p, run, body.Jobs)
		return
	}
	proj, err := s.o.Store.Control().GetProject(r.Context(), run.Project)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusConflict, "no_project", fmt.Sprintf("run #%d belongs to project %s, which no longer exists", run.Number, run.Project))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	jobs := run.SelectedJobs
	if body.Jobs != nil {
		jobs = body.Jobs
	}
	// The commit is also the ref to fetch when the clone does not bring it
	// (a pull request's head, a branch pushed over since).
	next, err := s.o.Runner.Start(r.Context(), RunRequest{Project: proj, Commit: run.Commit, Ref: run.Commit, Branch: run.Branch,
		Event: run.Event, Actor: p.Name, Jobs: jobs})
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "run", err.Error())
		return
	}
	s.audit(r.Context(), p.Name, "run.rerun", "run/"+next.ID, map[string]string{"of": run.ID, "number": strconv.FormatInt(next.Number, 10),
		"project": run.Project, "commit": run.Commit, "jobs": strings.Join(jobs, ",")})
	writeJSON(w, http.StatusCreated, map[string]any{"run": next.ID, "number": next.Number, "rerun_of": run.ID, "commit": run.Commit})
}

// resumeRun runs again the jobs of run that did not succeed.
func (s *Server) resumeRun(w http.ResponseWriter, r *http.Request, p *auth.Principal, run *store.Run, jobs []string) {
	if jobs != nil {
		writeError(w, http.StatusBadRequest, "bad_body", "failed_only reruns the jobs that did not succeed: leave jobs out")
		return
	}
	rs, ok := s.o.Runner.(RunResumer)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "no_resume", "this server does not resume runs")
		return
	}
	switch run.Status {
	case store.StatusSucceeded:
		writeError(w, http.StatusConflict, "succeeded", fmt.Sprintf("run #%d succeeded: no job to run again", run.Number))
		return
	case store.StatusRunning, store.StatusPending:
		writeError(w, http.StatusConflict, "running", fmt.Sprintf("run #%d has not ended: cancel it first", run.Number))
		return
	}
	cur, err := rs.Resume(r.Context(), run)
	if errors.Is(err, engine.ErrNotResumable) {
		writeError(w, http.StatusConflict, "not_resumable", err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "run", err.Error())
		return
	}
	s.audit(r.Context(), p.Name, "run.rerun", "run/"+cur.ID, map[string]string{"of": run.ID, "number": strconv.FormatInt(cur.Number, 10),
		"project": run.Project, "failed_only": "true", "attempt": strconv.Itoa(cur.Attempt)})
	writeJSON(w, http.StatusCreated, map[string]any{"run": cur.ID, "number": cur.Number, "attempt": cur.Attempt, "rerun_of": run.ID})
}
