package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
)

// Scheduler starts the runs of the projects' on.schedule entries. Of
// several control planes on one store, only the holder of the
// "scheduler" lease schedules; each (schedule, minute) is claimed in the
// store, so a run is started once even when the lease changes hands.
type Scheduler struct {
	Store   store.Store
	Runner  Runner
	DataDir string
	// Holder names this control plane in the lease (host and pid).
	Holder string
	Logger *slog.Logger
	Now    func() time.Time
	// Tick is how often due schedules are looked for (default 15s);
	// Refresh how often each repository is fetched (default 1m).
	Tick, Refresh time.Duration

	last    map[string]time.Time
	refresh map[string]time.Time
	cache   map[string]*projectHead
}

// projectHead is a project's pipeline at the head of its default branch.
type projectHead struct {
	branch   string
	commit   string
	pipeline *spec.Pipeline
	// heads of other branches schedules name.
	heads map[string]string
}

// Run schedules until ctx is done.
func (s *Scheduler) Run(ctx context.Context) {
	if s.Tick <= 0 {
		s.Tick = 15 * time.Second
	}
	if s.Refresh <= 0 {
		s.Refresh = time.Minute
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	s.last, s.refresh, s.cache = map[string]time.Time{}, map[string]time.Time{}, map[string]*projectHead{}
	t := time.NewTicker(s.Tick)
	defer t.Stop()
	for {
		s.tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Scheduler) tick(ctx context.Context) {
	now := s.Now()
	leader, err := s.Store.Control().AcquireLease(ctx, "scheduler", s.Holder, now, 3*s.Tick)
	if err != nil || !leader {
		return
	}
	projects, err := s.Store.Control().ListProjects(ctx)
	if err != nil {
		s.Logger.Error("scheduler: list projects", "err", err)
		return
	}
	for _, p := range projects {
		head, err := s.head(ctx, p, now)
		if err != nil {
			s.Logger.Warn("scheduler: read the pipeline", "project", p.Name, "err", err)
			continue
		}
		if head == nil || head.pipeline == nil {
			continue
		}
		for i, sc := range head.pipeline.On.Schedule {
			key := fmt.Sprintf("%s#%d:%s", p.Name, i, sc.Cron)
			sched, err := cron.ParseStandard(sc.Cron)
			if err != nil {
				continue
			}
			last, ok := s.last[key]
			if !ok {
				s.last[key] = now // schedules count from when this plane saw them
				continue
			}
			due := sched.Next(last)
			if due.After(now) {
				continue
			}
			s.last[key] = now
			// Claim this firing in the store: another control plane that
			// held the lease a moment ago may have started it already.
			claim := key + "@" + due.UTC().Format(time.RFC3339)
			if err := s.Store.Control().RecordDelivery(ctx, "schedule", claim, now); errors.Is(err, store.ErrConflict) {
				continue
			} else if err != nil {
				s.Logger.Error("scheduler: claim", "schedule", claim, "err", err)
				continue
			}
			branch, commit := head.branch, head.commit
			if sc.Branch != "" && sc.Branch != head.branch {
				branch, commit = sc.Branch, head.heads[sc.Branch]
			}
			if commit == "" {
				continue
			}
			run, err := s.Runner.Start(ctx, RunRequest{Project: p, Commit: commit, Branch: branch, Ref: "refs/heads/" + branch,
				Event: "schedule", Actor: "schedule", Jobs: sc.Jobs})
			if err != nil {
				s.Logger.Warn("scheduler: start", "project", p.Name, "schedule", sc.Cron, "err", err)
				continue
			}
			_ = s.Store.Audit().AppendAudit(ctx, &store.AuditRecord{Time: now, Actor: "schedule", Action: "schedule.run",
				Subject: "run/" + run.ID, Data: map[string]string{"project": p.Name, "cron": sc.Cron, "commit": commit, "branch": branch}})
		}
	}
}

// head fetches the project's mirror (at most every Refresh) and reads the
// pipeline at the head of its default branch.
func (s *Scheduler) head(ctx context.Context, p *store.Project, now time.Time) (*projectHead, error) {
	if h, ok := s.cache[p.Name]; ok && now.Sub(s.refresh[p.Name]) < s.Refresh {
		return h, nil
	}
	s.refresh[p.Name] = now
	mirror := mirrorDir(s.DataDir, p.Name)
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("git %s: %v: %s", args[0], err, strings.TrimSpace(errb.String()))
		}
		return strings.TrimSpace(out.String()), nil
	}
	if _, err := os.Stat(mirror); err != nil {
		if err := os.MkdirAll(filepath.Dir(mirror), 0o700); err != nil {
			return nil, err
		}
		if _, err := git("clone", "--quiet", "--mirror", "--", p.Repo, mirror); err != nil {
			return nil, err
		}
	} else if _, err := git("-C", mirror, "fetch", "--quiet", "--prune", "origin"); err != nil {
		return nil, err
	}
	ref, err := git("-C", mirror, "symbolic-ref", "--short", "HEAD")
	if err != nil {
		return nil, err
	}
	commit, err := git("-C", mirror, "rev-parse", "refs/heads/"+ref)
	if err != nil {
		return nil, err
	}
	src, err := git("-C", mirror, "show", commit+":"+p.Pipeline)
	if err != nil {
		return nil, err
	}
	pl, ds := spec.Parse(p.Pipeline, []byte(src))
	if ds.HasErrors() {
		return nil, fmt.Errorf("%s at %s: %s", p.Pipeline, commit[:12], ds.Error())
	}
	h := &projectHead{branch: ref, commit: commit, pipeline: pl, heads: map[string]string{}}
	for _, sc := range pl.On.Schedule {
		if sc.Branch != "" && sc.Branch != ref {
			if c, err := git("-C", mirror, "rev-parse", "refs/heads/"+sc.Branch); err == nil {
				h.heads[sc.Branch] = c
			}
		}
	}
	s.cache[p.Name] = h
	return h, nil
}
