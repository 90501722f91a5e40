// Package engine executes a pipeline plan: it schedules jobs by readiness with
// bounded parallelism, runs their steps through an Executor, masks and streams
// their logs, persists every state change to the store, and resumes runs that
// a crashed sluice left behind.
package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/executor"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
)

// DefaultMaxLogBytes is how much output of one job is stored and shown before
// the rest is dropped (the step keeps running and its output is drained).
const DefaultMaxLogBytes = 64 << 20

// Options configure an Engine.
type Options struct {
	Store    store.Store
	Executor executor.Executor
	// Parallel bounds how many jobs run at once; 0 means the number of CPUs.
	Parallel int
	// Observer receives every event; nil means none.
	Observer Observer
	Logger   *slog.Logger
	// Grace is how long a cancelled step gets between SIGTERM and SIGKILL.
	Grace time.Duration
	// MaxLogBytes caps the stored output of one job; 0 means DefaultMaxLogBytes.
	MaxLogBytes int64
	// StateDir holds run lock files (one per executing run) and per-job
	// scratch files. It should be the store's data folder.
	StateDir string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Admit, when set, is asked before every job bound to an environment
	// starts: the gate.
	Admit AdmitFunc
	// Self is the sluice binary that scan: steps run ($SLUICE_BIN); empty
	// means this process's executable.
	Self string
}

// Engine runs pipelines. One Engine may run several runs at once.
type Engine struct {
	st       store.Store
	exec     executor.Executor
	parallel int
	observe  Observer
	obsMu    sync.Mutex
	log      *slog.Logger
	grace    time.Duration
	maxLog   int64
	stateDir string
	now      func() time.Time
	self     string
	admitFn  AdmitFunc
}

// New returns an Engine.
func New(o Options) *Engine {
	e := &Engine{
		st:       o.Store,
		exec:     o.Executor,
		parallel: o.Parallel,
		observe:  o.Observer,
		log:      o.Logger,
		grace:    o.Grace,
		maxLog:   o.MaxLogBytes,
		stateDir: o.StateDir,
		now:      o.Now,
		self:     o.Self,
		admitFn:  o.Admit,
	}
	if abs, err := filepath.Abs(e.stateDir); err == nil && e.stateDir != "" {
		e.stateDir = abs
	}
	if e.self == "" {
		if exe, err := os.Executable(); err == nil {
			e.self = exe
		}
	}
	if e.parallel <= 0 {
		e.parallel = runtime.NumCPU()
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.maxLog <= 0 {
		e.maxLog = DefaultMaxLogBytes
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

// emit hands ev to the observer, one event at a time.
func (e *Engine) emit(ev Event) {
	if e.observe == nil {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = e.now()
	}
	e.obsMu.Lock()
	defer e.obsMu.Unlock()
	e.observe(ev)
}

// Request describes a new run.
type Request struct {
	Pipeline *spec.Pipeline
	// Source is the pipeline file's content, stored with the run so a resume
	// executes the same file even if it changed on disk.
	Source []byte
	// File is the pipeline file's path as the user gave it.
	File string
	// Workdir is the workspace the steps run in (made absolute).
	Workdir string
	// Jobs limits the run to these jobs and what they need.
	Jobs []string
	// Vars are user variables: vars.NAME in expressions and $NAME in steps.
	Vars map[string]string
	// Secrets maps secret names to values: $NAME in steps, masked in logs.
	// Only the names are stored.
	Secrets map[string]string
	// EnvSecrets are secrets per environment: a job bound to an
	// environment (environment:) gets that environment's, masked in every
	// log like Secrets. Only their names are stored, with the run's.
	EnvSecrets  map[string]map[string]string
	Environment string
	Branch      string
	Commit      string
	// Event is manual, push, pull_request or schedule; empty means manual.
	Event string
	// Project is the control plane's project the run belongs to.
	Project string
	Actor   string
	// BaseEnv is passed to every step before anything the pipeline sets
	// (PATH, HOME and the like); nothing else of sluice's own environment is.
	BaseEnv map[string]string
}

// ResumeRequest gives what a resumed run needs that the store does not keep.
type ResumeRequest struct {
	// Secrets must hold a value for every secret name the run was started with.
	Secrets    map[string]string
	EnvSecrets map[string]map[string]string
	BaseEnv    map[string]string
}

func (e *Engine) lockPath(runID string) string {
	return filepath.Join(e.stateDir, "locks", runID+".lock")
}

// scratchDir holds a run's temporary files (the jobs' $SLUICE_OUTPUT);
// it is made when the run starts and removed when it ends.
func (e *Engine) scratchDir(runID string) string {
	return filepath.Join(e.stateDir, "scratch", runID)
}

// ReportDir holds the reports (SARIF, JSON) a run's scan steps write.
func (e *Engine) ReportDir(runID string) string { return ReportDir(e.stateDir, runID) }

// ReportDir is where the scan reports of run runID are kept in the data
// folder dataDir.
func ReportDir(dataDir, runID string) string {
	return filepath.Join(dataDir, "reports", runID)
}

func (e *Engine) outputFile(runID, jobID string, attempt int) string {
	return filepath.Join(e.scratchDir(runID), fmt.Sprintf("%s.%d.output", safeName(jobID), attempt))
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

// ErrNotResumable is returned by Resume for a run that succeeded or is still
// being executed by a live sluice process.
var ErrNotResumable = errors.New("run cannot be resumed")
