package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/executor/local"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/pipeline/lint"
	"github.com/sluice-ci/sluice/internal/pipeline/plan"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
)

// LocalRunner fetches a project's repository at the exact commit into a
// workspace under the data folder and runs its pipeline on this machine.
type LocalRunner struct {
	Store   store.Store
	DataDir string
	BaseEnv map[string]string
	Logger  *slog.Logger
	// Self is the sluice binary scan and deploy steps run.
	Self string
	// Hooks are told of gates that block and approvals requested;
	// Finished of every run that ends.
	Hooks    gatekeeper.Hooks
	Finished func(*store.Run)

	wg sync.WaitGroup
	mu sync.Mutex
	// cancels stop the runs in progress, by run id: on request (Cancel)
	// and on shutdown. A run leaves the map when it ends.
	cancels map[string]context.CancelFunc
}

var commitPattern = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// Start fetches and starts the run; it returns once the run is stored.
func (lr *LocalRunner) Start(ctx context.Context, req RunRequest) (*store.Run, error) {
	if !commitPattern.MatchString(req.Commit) {
		return nil, fmt.Errorf("commit %q: want the full 40 (or 64) hex characters of a commit", req.Commit)
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	dir := filepath.Join(lr.DataDir, "workspaces", req.Project.Name, hex.EncodeToString(b))
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, err
	}
	if err := checkout(ctx, req.Project.Repo, req.Ref, req.Commit, dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	file := filepath.Join(dir, filepath.FromSlash(req.Project.Pipeline))
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("the repository at %s has no pipeline file %s", req.Commit[:12], req.Project.Pipeline)
	}
	p, diags := spec.Parse(file, src)
	if !diags.HasErrors() {
		diags = append(diags, lint.Check(p)...)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s at %s: %s", req.Project.Pipeline, req.Commit[:12], diags.Error())
	}
	if ok, why := plan.Triggered(p, req.Event, req.Branch); !ok {
		return nil, fmt.Errorf("not run: %s", why)
	}
	return lr.launch(ctx, slog.Group("run", "project", req.Project.Name, "commit", req.Commit),
		func(ctx context.Context, eng *engine.Engine) (*store.Run, error) {
			return eng.Run(ctx, engine.Request{Pipeline: p, Source: src, File: file, Workdir: dir, Jobs: req.Jobs,
				Branch: req.Branch, Commit: req.Commit, Event: req.Event, Actor: req.Actor, BaseEnv: lr.BaseEnv, Project: req.Project.Name})
		})
}

// Resume runs again the jobs of an ended run that did not succeed, in the
// run's own workspace, as a new attempt of the same run (sluice run
// --resume). Only runs a control plane started in this data folder
// qualify, while their workspace is there (the engine also refuses a run
// that was given secrets: they would have to be given again).
func (lr *LocalRunner) Resume(ctx context.Context, run *store.Run) (*store.Run, error) {
	root, err := filepath.Abs(filepath.Join(lr.DataDir, "workspaces"))
	if err != nil {
		return nil, err
	}
	if run.Project == "" || !strings.HasPrefix(run.Workdir, root+string(filepath.Separator)) {
		return nil, fmt.Errorf("run #%d was not started by the control plane: %w", run.Number, engine.ErrNotResumable)
	}
	if _, err := os.Stat(run.Workdir); err != nil {
		return nil, fmt.Errorf("run #%d: its workspace is gone (%v): %w", run.Number, err, engine.ErrNotResumable)
	}
	return lr.launch(ctx, slog.Group("run", "id", run.ID, "number", run.Number),
		func(ctx context.Context, eng *engine.Engine) (*store.Run, error) {
			return eng.Resume(ctx, run.ID, engine.ResumeRequest{BaseEnv: lr.BaseEnv})
		})
}

// launch executes a run in the background with an engine of its own and
// returns the run once it started. While it executes, Cancel can stop it.
func (lr *LocalRunner) launch(ctx context.Context, what slog.Attr, execute func(context.Context, *engine.Engine) (*store.Run, error)) (*store.Run, error) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	started := make(chan string, 1)
	eng := engine.New(engine.Options{
		Store: lr.Store, Executor: local.New(local.Options{}), StateDir: lr.DataDir, Logger: lr.Logger, Self: lr.Self,
		Admit: gatekeeper.Admitter(lr.Store, lr.Hooks),
		Observer: func(ev engine.Event) {
			if ev.Type != engine.RunStarted {
				return
			}
			// Cancellable from the moment the run is stored as running.
			lr.mu.Lock()
			if lr.cancels == nil {
				lr.cancels = map[string]context.CancelFunc{}
			}
			lr.cancels[ev.RunID] = cancel
			lr.mu.Unlock()
			select {
			case started <- ev.RunID:
			default:
			}
		},
	})
	runErr := make(chan error, 1)
	lr.wg.Add(1)
	go func() {
		defer lr.wg.Done()
		defer cancel()
		run, err := execute(runCtx, eng)
		if run != nil {
			lr.mu.Lock()
			delete(lr.cancels, run.ID)
			lr.mu.Unlock()
		}
		if lr.Finished != nil && run != nil {
			lr.Finished(run)
		}
		if err != nil && lr.Logger != nil {
			lr.Logger.Error("run", what, "err", err)
		}
		runErr <- err
	}()
	select {
	case id := <-started:
		return lr.Store.Runs().GetRun(ctx, id)
	case err := <-runErr:
		if err == nil {
			err = errors.New("the run ended before it started")
		}
		return nil, err
	case <-time.After(30 * time.Second):
		return nil, errors.New("the run did not start within 30s")
	}
}

// Cancel cancels run id if this runner executes it, and reports whether
// it does. The engine stops the run's steps (SIGTERM to each step's
// process group, SIGKILL after the grace) and records the run cancelled.
func (lr *LocalRunner) Cancel(id string) bool {
	lr.mu.Lock()
	cancel, ok := lr.cancels[id]
	lr.mu.Unlock()
	if ok {
		cancel()
	}
	return ok
}

// Shutdown lets the runs in progress finish until ctx's deadline, then
// cancels the rest (they are recorded as cancelled, and can be resumed
// with sluice run --resume) and waits a little for them to say so.
func (lr *LocalRunner) Shutdown(ctx context.Context) {
	done := make(chan struct{})
	go func() { lr.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	lr.mu.Lock()
	for _, c := range lr.cancels {
		c()
	}
	lr.mu.Unlock()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
	}
}

// checkout clones repo into dir and checks out commit (fetching ref when
// the commit is not on a branch the clone brought, as for pull requests).
// Everything runs as argv, never through a shell; "--" keeps a repository
// location from being read as an option.
func checkout(ctx context.Context, repo, ref, commit, dir string) error {
	git := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("git %s: %v: %s", args[0], err, strings.TrimSpace(out.String()))
		}
		return nil
	}
	if err := git("clone", "--quiet", "--no-checkout", "--", repo, dir); err != nil {
		return err
	}
	if err := git("-C", dir, "checkout", "--quiet", "--detach", commit); err != nil {
		if ref == "" || strings.HasPrefix(ref, "-") {
			return fmt.Errorf("commit %s is not in %s: %w", commit, repo, err)
		}
		if ferr := git("-C", dir, "fetch", "--quiet", "origin", "--", ref); ferr != nil {
			return ferr
		}
		if err := git("-C", dir, "checkout", "--quiet", "--detach", commit); err != nil {
			return err
		}
	}
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return err
	}
	if got := strings.TrimSpace(string(out)); got != commit {
		return fmt.Errorf("checked out %s, not the commit %s", got, commit)
	}
	return nil
}
