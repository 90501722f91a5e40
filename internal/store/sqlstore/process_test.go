//go:build unix

package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
)

// These tests run the test binary again as child processes, selected by an
// environment variable, to check what happens between real processes.

// crashDirEnv tells the test binary, run again as a child, to write to a
// store and die without closing it.
const crashDirEnv = "SLUICE_STORE_CRASH_DIR"

func TestCrashLeavesCommittedData(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashLeavesCommittedData$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("child did not fail: %v\n%s", err, out)
	}
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "committed") {
		t.Fatalf("child did not commit:\n%s", out)
	}
	// The commits live in the write-ahead log only: recovery must read it.
	if fi, err := os.Stat(filepath.Join(dir, FileName+"-wal")); err != nil || fi.Size() == 0 {
		t.Fatalf("no write-ahead log left by the crash: %v", err)
	}

	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("open after crash: %v", err)
	}
	defer s.Close()
	r, err := s.Runs().GetRun(t.Context(), "crashrun")
	if err != nil {
		t.Fatalf("committed run lost in the crash: %v", err)
	}
	if r.Status != store.StatusRunning || r.PID == 0 {
		t.Errorf("run after crash = %+v", r)
	}
	lines, err := s.Logs().ReadLogs(t.Context(), store.LogQuery{RunID: "crashrun", JobID: "build"})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 500 || lines[499].Seq != 500 {
		t.Errorf("got %d log lines after crash, want 500", len(lines))
	}
}

// crashChild commits a run and its logs, then kills its own process without
// closing the store.
func crashChild(dir string) {
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	r := &store.Run{ID: "crashrun", Status: store.StatusRunning, PID: os.Getpid()}
	if err := s.Runs().CreateRun(ctx, r); err != nil {
		fmt.Println("create:", err)
		os.Exit(3)
	}
	if err := s.Jobs().PutJobs(ctx, []*store.Job{{RunID: r.ID, ID: "build", Status: store.StatusRunning}}); err != nil {
		fmt.Println("jobs:", err)
		os.Exit(3)
	}
	for b := range 5 {
		batch := make([]*store.LogLine, 100)
		for i := range batch {
			batch[i] = &store.LogLine{RunID: r.ID, JobID: "build", Text: fmt.Sprint(b, i)}
		}
		if err := s.Logs().AppendLogs(ctx, batch); err != nil {
			fmt.Println("logs:", err)
			os.Exit(3)
		}
	}
	fmt.Println("committed")
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // never reached: SIGKILL cannot be caught
}

// openDirEnv tells the test binary, run again as a child, to open a store,
// create one run and exit.
const openDirEnv = "SLUICE_STORE_OPEN_DIR"

// TestConcurrentFirstOpen starts processes that open the same new data
// folder at once: the folder lock must make them take turns at creating
// the schema.
func TestConcurrentFirstOpen(t *testing.T) {
	if dir := os.Getenv(openDirEnv); dir != "" {
		openChild(t, dir)
		return
	}
	for round := range 2 {
		dir := filepath.Join(t.TempDir(), "data")
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestConcurrentFirstOpen$")
				cmd.Env = append(os.Environ(), openDirEnv+"="+dir)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("round %d: child: %v\n%s", round, err, out)
				}
			})
		}
		wg.Wait()
		s, err := Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		runs, err := s.Runs().ListRuns(t.Context(), store.RunFilter{})
		_ = s.Close()
		if err != nil {
			t.Fatal(err)
		}
		var numbers []int
		for _, r := range runs {
			numbers = append(numbers, int(r.Number))
		}
		sort.Ints(numbers)
		if fmt.Sprint(numbers) != "[1 2 3 4]" {
			t.Errorf("round %d: run numbers %v, want [1 2 3 4]", round, numbers)
		}
	}
}

// openChild opens the store in dir and creates a run.
func openChild(t *testing.T, dir string) {
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Runs().CreateRun(t.Context(), &store.Run{Status: store.StatusPending}); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentFirstOpenInProcess is the same race between goroutines, each
// with its own Store.
func TestConcurrentFirstOpenInProcess(t *testing.T) {
	for range 5 {
		dir := t.TempDir()
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				s, err := Open(t.Context(), dir)
				if err != nil {
					t.Error(err)
					return
				}
				_ = s.Close()
			})
		}
		wg.Wait()
	}
}
