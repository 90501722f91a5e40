//go:build linux

package local

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sluice-ci/sluice/internal/executor"
)

// stubborn ignores SIGTERM (and so does its child, which inherits the
// ignored disposition), prints the child's pid and waits.
const stubborn = `trap '' TERM; sleep 100 & echo $!; wait; sleep 100`

func TestTimeoutKillsStubbornGroup(t *testing.T) {
	const timeout, grace = 200 * time.Millisecond, 300 * time.Millisecond
	start := time.Now()
	res, rec, err := run(t, context.Background(), Options{Drain: 100 * time.Millisecond}, executor.Step{
		Command: stubborn, Timeout: timeout, Grace: grace,
	})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.Cancelled || res.ExitCode != 128+9 {
		t.Errorf("result %+v, want timed out with exit 137", res)
	}
	if took < timeout+grace {
		t.Errorf("returned after %v, before timeout+grace", took)
	}
	within(t, "timed-out run", took, timeout+grace+2*time.Second)
	if pid := firstPid(t, rec); alive(t, pid) {
		t.Errorf("grandchild %d survived the step", pid)
	}
}

func TestCancelKillsStubbornGroup(t *testing.T) {
	const grace = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pid atomic.Int64
	rec := &recorder{t: t}
	out := func(l executor.Line) {
		rec.out(l)
		cancel() // the first line (the child's pid) proves the step is running
	}
	start := time.Now()
	res, err := New(Options{Drain: 100 * time.Millisecond}).Run(ctx, executor.Step{
		Command: stubborn, Dir: t.TempDir(), Env: testEnv, Grace: grace,
		Started: func(p int) { pid.Store(int64(p)) },
	}, out)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cancelled || res.TimedOut || res.ExitCode != 128+9 {
		t.Errorf("result %+v, want cancelled with exit 137", res)
	}
	within(t, "cancelled run", took, grace+2*time.Second)
	if child := firstPid(t, rec); alive(t, child) {
		t.Errorf("grandchild %d survived the step", child)
	}
	if alive(t, int(pid.Load())) {
		t.Errorf("shell %d survived the step", pid.Load())
	}
}

func TestGracefulStopDoesNotWaitForGrace(t *testing.T) {
	start := time.Now()
	res, rec, err := run(t, context.Background(), Options{}, executor.Step{
		Command: `trap 'echo got TERM; exit 5' TERM; sleep 100 & wait`,
		Timeout: 200 * time.Millisecond, Grace: 20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.ExitCode != 5 {
		t.Errorf("result %+v, want timed out with exit 5", res)
	}
	if got := rec.texts(executor.Stdout); len(got) != 1 || got[0] != "got TERM" {
		t.Errorf("stdout %q", got)
	}
	within(t, "graceful stop", time.Since(start), 3*time.Second)
}

func TestBackgroundChildHoldingStdout(t *testing.T) {
	const drain = 200 * time.Millisecond
	start := time.Now()
	res, rec, err := run(t, context.Background(), Options{Drain: drain}, executor.Step{
		Command: `sleep 100 & echo $!; echo done >&2`,
	})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || res.TimedOut || res.Cancelled {
		t.Errorf("result %+v, want plain success", res)
	}
	if got := rec.texts(executor.Stderr); len(got) != 1 || got[0] != "done" {
		t.Errorf("stderr %q", got)
	}
	if took < drain {
		t.Errorf("returned after %v, before the drain time", took)
	}
	within(t, "run with background child", took, drain+2*time.Second)
	if pid := firstPid(t, rec); alive(t, pid) {
		t.Errorf("background child %d outlived the step", pid)
	}
}

func TestBackgroundChildWithoutPipesIsKilled(t *testing.T) {
	start := time.Now()
	res, rec, err := run(t, context.Background(), Options{Drain: 5 * time.Second}, executor.Step{
		Command: `sleep 100 >/dev/null 2>&1 & echo $!`,
	})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	// The pipes close at once, so the drain time is not spent.
	within(t, "run", time.Since(start), 2*time.Second)
	if pid := firstPid(t, rec); alive(t, pid) {
		t.Errorf("background child %d outlived the step", pid)
	}
}

func TestHugeOutputBoundedMemory(t *testing.T) {
	total := 200_000_000
	if raceEnabled {
		total = 40_000_000
	}
	line := strings.Repeat("x", 99) // 100 bytes with the newline
	var n, bytes int64
	var peak uint64
	var ms runtime.MemStats
	out := func(l executor.Line) {
		n++
		bytes += int64(len(l.Text)) + 1
		if n%100_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	res, err := New(Options{}).Run(context.Background(), executor.Step{
		Command: "head -c " + itoa(total) + " <(yes " + line + ")", // pipefail would fail on yes's SIGPIPE
		Dir:     t.TempDir(), Env: testEnv,
	}, out)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	if bytes != int64(total) || n != int64(total/100) {
		t.Errorf("got %d lines, %d bytes; want %d, %d", n, bytes, total/100, total)
	}
	// Anything that kept the output would need at least as much as total.
	if peak > 32<<20 {
		t.Errorf("heap in use peaked at %d MB", peak>>20)
	}
	t.Logf("%d MB in %v, peak heap %d MB", total>>20, res.Duration, peak>>20)
}

func TestEscapedProcessHoldingPipesDoesNotHang(t *testing.T) {
	e := New(Options{Drain: 100 * time.Millisecond}).(*local)
	e.killWait = 300 * time.Millisecond
	rec := &recorder{t: t}
	start := time.Now()
	// setsid moves sleep into a new session and group, out of reach of the
	// group kill, while it keeps the step's stdout open.
	res, err := e.Run(context.Background(), executor.Step{
		Command: `setsid sleep 30 & echo $!`, Dir: t.TempDir(), Env: testEnv,
	}, rec.out)
	took := time.Since(start)
	pid := firstPid(t, rec)
	t.Cleanup(func() { _ = unix.Kill(pid, unix.SIGKILL) })
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	within(t, "run with escaped process", took, 100*time.Millisecond+2*e.killWait+2*time.Second)
	// The premise: the escaped process survived and held the pipes, so Run
	// had to give up on them rather than see them close.
	if !alive(t, pid) || took < e.killWait {
		t.Errorf("escaped process alive %v, run took %v: the pipes were not held", alive(t, pid), took)
	}
}
