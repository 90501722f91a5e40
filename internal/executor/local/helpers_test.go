//go:build linux

package local

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sluice-ci/sluice/internal/executor"
)

// testEnv is a minimal environment for test steps.
var testEnv = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C"}

// recorder collects delivered lines and fails the test if out is ever
// called from two goroutines at once.
type recorder struct {
	t        *testing.T
	inFlight atomic.Int32
	mu       sync.Mutex
	lines    []executor.Line
}

func (r *recorder) out(l executor.Line) {
	if r.inFlight.Add(1) != 1 {
		r.t.Error("out called concurrently")
	}
	defer r.inFlight.Add(-1)
	r.mu.Lock()
	r.lines = append(r.lines, l)
	r.mu.Unlock()
}

func (r *recorder) texts(s executor.Stream) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.lines {
		if l.Stream == s {
			out = append(out, l.Text)
		}
	}
	return out
}

// run runs command in a temporary directory with testEnv.
func run(t *testing.T, ctx context.Context, opts Options, s executor.Step) (executor.Result, *recorder, error) {
	t.Helper()
	if s.Dir == "" {
		s.Dir = t.TempDir()
	}
	if s.Env == nil {
		s.Env = testEnv
	}
	rec := &recorder{t: t}
	res, err := New(opts).Run(ctx, s, rec.out)
	return res, rec, err
}

// alive reports whether pid is a live (non-zombie) process. Zombies count as
// gone: they have ended, and in containers whose init does not reap they
// would otherwise linger forever.
func alive(t *testing.T, pid int) bool {
	t.Helper()
	if err := unix.Kill(pid, 0); errors.Is(err, unix.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	state, _, ok := parseStat(stat)
	return ok && state != 'Z' && state != 'X'
}

// firstPid parses the first stdout line as a pid.
func firstPid(t *testing.T, rec *recorder) int {
	t.Helper()
	out := rec.texts(executor.Stdout)
	if len(out) == 0 {
		t.Fatal("step printed no pid")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out[0]))
	if err != nil {
		t.Fatalf("parse pid %q: %v", out[0], err)
	}
	return pid
}

func within(t *testing.T, what string, got, max time.Duration) {
	t.Helper()
	if got > max {
		t.Errorf("%s took %v, want at most %v", what, got, max)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
