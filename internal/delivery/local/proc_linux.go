//go:build linux

package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// pollEvery is how often Stop looks at /proc for a process that is not our
// child (or whose group has other members left).
const pollEvery = 20 * time.Millisecond

// Start starts one replica and returns once the process runs; it does not
// wait for it to be healthy (see WaitHealthy, StartHealthy). The process
// leads its own session (setsid), reads /dev/null and appends stdout and
// stderr to spec.LogFile. It is not tied to ctx or to the calling process:
// ctx only cancels Start itself, and the replica keeps running when sluice
// exits. While this process lives a goroutine reaps it, so it never lingers
// as a zombie of ours.
func Start(ctx context.Context, spec Spec) (*Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start release %s replica %d: %w", spec.Release, spec.Replica, err)
	}
	if spec.Port == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, fmt.Errorf("start release %s replica %d: %w", spec.Release, spec.Replica, err)
		}
		spec.Port = p
	}
	pr, err := prepare(spec)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(spec.LogFile), 0o700); err != nil {
		return nil, fmt.Errorf("start release %s replica %d: create log folder: %w", spec.Release, spec.Replica, err)
	}
	logf, err := os.OpenFile(spec.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start release %s replica %d: open log file: %w", spec.Release, spec.Replica, err)
	}
	defer logf.Close() // the child has its own copy
	logStart, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("start release %s replica %d: log file: %w", spec.Release, spec.Replica, err)
	}

	cmd := &exec.Cmd{
		Path:        pr.path,
		Args:        pr.argv,
		Env:         pr.env,
		Dir:         spec.Dir,
		Stdout:      logf, // an *os.File is handed over as is: no copying goroutine
		Stderr:      logf,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start release %s replica %d: %w", spec.Release, spec.Replica, err)
	}
	pid := cmd.Process.Pid
	// The process cannot have been reaped yet (nobody waited), so its stat
	// is readable even if it already exited.
	st, err := readStat(pid)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("start release %s replica %d: read start time of pid %d: %w", spec.Release, spec.Replica, pid, err)
	}
	inst := &Instance{
		Release: spec.Release, Replica: spec.Replica,
		PID: pid, PGID: pid, StartTicks: st.start,
		Port: spec.Port, Addr: "127.0.0.1:" + strconv.Itoa(spec.Port),
		Started: started, LogFile: spec.LogFile, LogStart: logStart,
	}
	k := keyOf(inst)
	c := addChild(k)
	go func() {
		err := cmd.Wait()
		reaped(k, c, cmd.ProcessState, err)
	}()
	return inst, nil
}

// Alive reports whether the process of inst runs: its pid exists, was
// started at inst.StartTicks (it is not a later process reusing the pid) and
// is not a zombie.
func Alive(inst *Instance) bool {
	if inst == nil || inst.PID <= 0 {
		return false
	}
	st, err := readStat(inst.PID)
	return err == nil && st.start == inst.StartTicks && !st.dead()
}

// Stop ends the replica: SIGTERM to its process group, then SIGKILL to the
// group once grace has passed, and returns when the process and the rest of
// its group are gone. A replica that is already gone is not an error. The
// group is signalled only while its leader is the same process (same
// StartTicks) or, once the leader has ended, while members of the group are
// left (Linux does not reuse a pid while a group of that id exists); a pid
// now used by another process is never signalled. Stop works on processes
// started by another sluice process: it polls /proc, and returns at once when
// its own reaper sees a child end. It fails when ctx ends first.
func Stop(ctx context.Context, inst *Instance, grace time.Duration) error {
	if inst == nil || inst.PID <= 0 {
		return nil
	}
	defer forgetChild(inst)
	pgid := inst.PGID
	if pgid <= 0 {
		pgid = inst.PID
	}
	signal := func(sig syscall.Signal) error {
		if !remaining(inst, pgid) {
			return nil
		}
		err := syscall.Kill(-pgid, sig)
		if err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("stop %s: send %v: %w", inst, sig, err)
		}
		return nil
	}
	gone := func() bool { return !remaining(inst, pgid) }

	if err := signal(syscall.SIGTERM); err != nil {
		return err
	}
	if waitGone(ctx, inst, gone, grace) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stop %s: %w", inst, err)
	}
	if err := signal(syscall.SIGKILL); err != nil {
		return err
	}
	// SIGKILL cannot be ignored; the bound only guards against a process
	// stuck in the kernel (uninterruptible sleep).
	if waitGone(ctx, inst, gone, 10*time.Second) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stop %s: %w", inst, err)
	}
	return fmt.Errorf("stop %s: still running 10s after SIGKILL; look at the process (ps -g %d)", inst, pgid)
}

// waitGone waits up to d for gone, reacting at once to our reaper.
func waitGone(ctx context.Context, inst *Instance, gone func() bool, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	done := doneChan(inst)
	for {
		if gone() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return gone()
		case <-done:
			done = nil // from now on poll the rest of the group
		case <-tick.C:
		}
	}
}

// stat is what sluice reads from /proc/PID/stat.
type stat struct {
	state byte
	pgrp  int
	start uint64
}

// dead reports a zombie (ended, waiting to be reaped) or a dying process.
func (s stat) dead() bool { return s.state == 'Z' || s.state == 'X' || s.state == 'x' }

func readStat(pid int) (stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, err
	}
	return parseStat(b)
}

// parseStat reads "pid (comm) state ppid pgrp ... starttime ..."; comm may
// hold spaces and parentheses, so fields are counted after the last ')'.
// Field 3 (state) is f[0], so field N is f[N-3].
func parseStat(b []byte) (stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, errors.New("malformed /proc stat: no command name")
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return stat{}, errors.New("malformed /proc stat: too few fields")
	}
	pgrp, err1 := strconv.Atoi(string(f[2]))
	start, err2 := strconv.ParseUint(string(f[19]), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return stat{}, fmt.Errorf("malformed /proc stat: %w", err)
	}
	return stat{state: f[0][0], pgrp: pgrp, start: start}, nil
}

// remaining reports whether anything of inst is left to signal: its leader
// (same start time, not a zombie) or, once the leader has ended, other
// members of its group. A pid now held by another process means the number
// was free, so the old group is entirely gone.
func remaining(inst *Instance, pgid int) bool {
	st, err := readStat(inst.PID)
	if err == nil && st.start != inst.StartTicks {
		return false
	}
	if err == nil && !st.dead() {
		return true
	}
	if pgid != inst.PID {
		return false // a group we did not create: only its leader identifies it
	}
	return groupAlive(pgid)
}

// groupAlive reports whether a live (not zombie) process of group pgid
// exists.
func groupAlive(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return syscall.Kill(-pgid, 0) == nil
	}
	for _, e := range entries {
		name := e.Name()
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err == nil && st.pgrp == pgid && !st.dead() {
			return true
		}
	}
	return false
}
