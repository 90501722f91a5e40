//go:build unix

// Package local runs steps as process groups on this machine.
//
// Contract: a step's processes do not outlive the step. Each step's shell is
// the leader of its own process group. When the shell exits, the group gets
// Options.Drain to let go of its output pipes; then the whole group is sent
// SIGKILL, and Run waits until no live process of the group is left. On a
// timeout or cancellation the whole group gets SIGTERM, the shell gets
// Step.Grace to exit (else the group gets SIGKILL), and what is left of the
// group after the shell has exited is handled as above. Processes that leave the group (setsid, double-fork into a
// new group) are beyond reach; if they keep the output pipes open, Run closes
// its ends of the pipes and returns anyway.
//
// The shell's process is not reaped until the group has been cleaned up, so
// its id (which is the group id) cannot be recycled while Run signals it.
//
// Exit codes follow shell conventions: a process that exits reports its own
// status; a process ended by signal N reports 128+N (143 for SIGTERM, 137 for
// SIGKILL), as bash does for its children. -1 means the status is unknown.
package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/sluice-ci/sluice/internal/executor"
)

// Defaults for the zero values of Options and Step.
const (
	// DefaultGrace is the time between SIGTERM and SIGKILL when Step.Grace is 0.
	DefaultGrace = 10 * time.Second
	// DefaultDrain is how long output pipes may stay open after the shell has
	// exited (a background child still writing) before the group is killed.
	DefaultDrain = time.Second
	// DefaultMaxLine is the longest line delivered in one piece; longer lines
	// are split into chunks of at most this many bytes.
	DefaultMaxLine = 64 << 10
)

// killWait bounds each wait for processes to die after SIGKILL. SIGKILL
// cannot be caught, so this only matters for processes stuck in the kernel
// or that escaped the group while holding the pipes.
const killWait = 5 * time.Second

// Options configures the local executor. The zero value is ready to use.
type Options struct {
	// Shell, if set, is the argv put before the command line, for example
	// []string{"/bin/sh", "-e", "-c"}. When empty, bash from the step's PATH
	// (or /bin/bash, /usr/bin/bash) runs with -eo pipefail, else /bin/sh -e.
	Shell []string
	// MaxLine is the longest line delivered in one piece; 0 means
	// DefaultMaxLine.
	MaxLine int
	// Drain is how long output may keep flowing after the shell exits;
	// 0 means DefaultDrain.
	Drain time.Duration
}

type local struct {
	opts     Options
	killWait time.Duration // killWait, shortened by tests
}

var _ executor.Executor = (*local)(nil)

// New returns an executor that runs each step as a process group here.
func New(opts Options) executor.Executor {
	if opts.MaxLine <= 0 {
		opts.MaxLine = DefaultMaxLine
	}
	if opts.Drain <= 0 {
		opts.Drain = DefaultDrain
	}
	opts.Shell = append([]string(nil), opts.Shell...)
	return &local{opts: opts, killWait: killWait}
}

// Run runs s and blocks until it and every process of its group have ended.
func (l *local) Run(ctx context.Context, s executor.Step, out func(executor.Line)) (executor.Result, error) {
	res := executor.Result{ExitCode: -1}
	if err := checkDir(s.Dir); err != nil {
		return res, fmt.Errorf("run step %s: %w", stepName(s), err)
	}
	if err := ctx.Err(); err != nil {
		res.Cancelled = true
		return res, fmt.Errorf("run step %s: not started: %w", stepName(s), err)
	}
	g, err := l.start(s)
	if err != nil {
		return res, fmt.Errorf("run step %s: %w", stepName(s), err)
	}
	defer closeAll(g.stdout, g.stderr)
	if s.Started != nil {
		s.Started(g.pgid)
	}
	if out == nil {
		out = func(executor.Line) {}
	}
	pipesDone := l.readOutput(g.stdout, g.stderr, out)

	res.TimedOut, res.Cancelled = waitLeader(ctx, s, g)
	// The shell has exited; give the rest of the group a moment to finish
	// writing, then make sure nothing of the group survives.
	drain := time.NewTimer(l.opts.Drain)
	select {
	case <-pipesDone:
	case <-drain.C:
	case <-ctx.Done(): // cut the drain short; the step itself has ended
	}
	drain.Stop()
	_ = syscall.Kill(-g.pgid, syscall.SIGKILL)
	select {
	case <-pipesDone:
	case <-time.After(l.killWait):
		// Someone outside the group holds the pipes: stop listening.
		closeAll(g.stdout, g.stderr)
		<-pipesDone
	}
	// Reap the shell, then wait for the rest of the group. Reaping first is
	// safe: the kernel does not reuse a pid while it is still the group id of
	// a live process. In the common case the group is empty now, which one
	// kill(-pgid, 0) tells without scanning /proc.
	state, err := g.proc.reap()
	if syscall.Kill(-g.pgid, 0) == nil {
		waitGroupGone(g.pgid, l.killWait)
	}
	res.Duration = time.Since(g.began)
	if state == nil {
		return res, fmt.Errorf("run step %s: wait: %w", stepName(s), err)
	}
	res.ExitCode = exitCode(state)
	return res, nil
}

// group is a started step: its shell leads process group pgid.
type group struct {
	pgid           int
	proc           *proc
	stdout, stderr *os.File // read ends
	began          time.Time
}

// start starts the step's shell in a new process group with the step's
// environment, directory and output pipes, and stdin from /dev/null.
func (l *local) start(s executor.Step) (*group, error) {
	argv := l.opts.Shell
	if len(argv) == 0 {
		argv = chooseShell(lookupEnv(s.Env, "PATH"), bashFallbacks)
	}
	argv = append(append([]string(nil), argv...), s.Command)

	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("stdout pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(outR, outW)
		return nil, fmt.Errorf("stderr pipe: %w", err)
	}
	cmd := &exec.Cmd{
		Path:        argv[0],
		Args:        argv,
		Env:         append([]string{}, s.Env...), // non-nil: nil would inherit ours
		Dir:         s.Dir,
		Stdout:      outW,
		Stderr:      errW,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	began := time.Now()
	err = cmd.Start()
	closeAll(outW, errW) // the child has its copies
	if err != nil {
		closeAll(outR, errR)
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	return &group{pgid: cmd.Process.Pid, proc: watch(cmd), stdout: outR, stderr: errR, began: began}, nil
}

// waitLeader waits for the shell to exit, stopping the group first if the
// step times out or ctx ends, and says which of the two happened.
func waitLeader(ctx context.Context, s executor.Step, g *group) (timedOut, cancelled bool) {
	var deadline <-chan time.Time
	if s.Timeout > 0 {
		t := time.NewTimer(s.Timeout)
		defer t.Stop()
		deadline = t.C
	}
	select {
	case <-g.proc.exited:
		return false, false
	case <-ctx.Done():
		cancelled = true
	case <-deadline:
		timedOut = true
	}
	select {
	case <-g.proc.exited: // exited on its own just as the stop came
		return false, false
	default:
	}
	grace := s.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	terminate(g.pgid, g.proc.exited, grace)
	return timedOut, cancelled
}

// terminate sends SIGTERM to the group, waits up to grace for the leader to
// exit, then sends SIGKILL and waits for it.
func terminate(pgid int, exited <-chan struct{}, grace time.Duration) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-exited:
		return
	case <-t.C:
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-exited
}

// waitGroupGone polls until no live process is left in the group, or max.
func waitGroupGone(pgid int, max time.Duration) {
	end := time.Now().Add(max)
	for groupAlive(pgid) && time.Now().Before(end) {
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // a fork may have raced the first kill
		time.Sleep(5 * time.Millisecond)
	}
}

// exitCode turns a wait status into a shell-style exit code.
func exitCode(state *os.ProcessState) int {
	ws, ok := state.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		return state.ExitCode()
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return -1
}

func checkDir(dir string) error {
	if dir == "" {
		return errors.New("no working directory given")
	}
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("working directory %q is not absolute", dir)
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("working directory %s does not exist", dir)
	}
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("working directory %s is not a directory", dir)
	}
	return nil
}

func stepName(s executor.Step) string {
	if s.Name != "" {
		return fmt.Sprintf("%d (%s)", s.Index, s.Name)
	}
	return fmt.Sprint(s.Index)
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// readOutput starts one reader per stream. Deliveries to out are serialized
// by a mutex; the returned channel is closed when both readers are done.
func (l *local) readOutput(stdout, stderr *os.File, out func(executor.Line)) <-chan struct{} {
	var mu sync.Mutex
	deliver := func(lines []executor.Line) {
		mu.Lock()
		defer mu.Unlock()
		for _, ln := range lines {
			out(ln)
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); readLines(stdout, executor.Stdout, l.opts.MaxLine, deliver) }()
	go func() { defer wg.Done(); readLines(stderr, executor.Stderr, l.opts.MaxLine, deliver) }()
	go func() { wg.Wait(); close(done) }()
	return done
}
