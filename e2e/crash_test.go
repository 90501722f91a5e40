//go:build linux

package e2e

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCrashAndResume kills sluice with SIGKILL while a step runs, then
// checks what the next sluice command finds: the run interrupted, the
// orphaned step processes (a grandchild too) killed, and a resume that
// keeps the finished job and runs the rest.
func TestCrashAndResume(t *testing.T) {
	t.Parallel()
	dir := fixture(t, "crash")
	b := startSluice(t, dir, nil, "run", "--plain")

	waitFor(t, 30*time.Second, "the second job to be running",
		func() bool {
			return fileHas(b.outPath, "second is waiting") && fileHas(filepath.Join(dir, "grandchild.pid"), "\n")
		},
		func() string { return "sluice output:\n" + b.output() })
	if st := show(t, dir, "1").job(t, "second").Status; st != "running" {
		t.Fatalf("show 1: second is %s while its step prints; want running\n%s", st, b.output())
	}
	leader := observe(t, readPid(t, filepath.Join(dir, "leader.pid")))
	grandchild := observe(t, readPid(t, filepath.Join(dir, "grandchild.pid")))

	b.kill9(t)
	// Nothing has cleaned up yet: the step's processes outlive sluice.
	if !leader.alive() || !grandchild.alive() {
		t.Fatalf("the step's processes died with sluice (leader alive %v, grandchild alive %v); the test cannot tell whether recovery kills them",
			leader.alive(), grandchild.alive())
	}

	// The next sluice command notices the dead run.
	list := runs(t, dir)
	if len(list) != 1 || list[0].Status != "interrupted" {
		t.Fatalf("runs --json after SIGKILL: want run #1 interrupted, got %+v", list)
	}
	waitFor(t, 3*time.Second, "the orphaned step processes to be killed",
		func() bool { return !leader.alive() && !grandchild.alive() },
		func() string {
			return "leader (pid " + itoa(leader.pid) + ") alive: " + boolStr(leader.alive()) +
				", grandchild (pid " + itoa(grandchild.pid) + ") alive: " + boolStr(grandchild.alive())
		})

	run := show(t, dir, "1")
	second := run.job(t, "second")
	if run.Status != "interrupted" || second.Status != "interrupted" || len(second.Steps) != 1 || second.Steps[0].Status != "interrupted" {
		t.Errorf("show 1 after the crash: want run, job second and its step interrupted; got run %s, second %s, steps %+v",
			run.Status, second.Status, second.Steps)
	}
	if st := run.job(t, "first").Status; st != "succeeded" {
		t.Errorf("show 1 after the crash: first is %s, want succeeded", st)
	}
	if st := run.job(t, "third").Status; st != "pending" {
		t.Errorf("show 1 after the crash: third is %s, want pending", st)
	}

	writeFile(t, dir, "fast", "")
	r := sluice(t, dir, "run", "--resume", "1", "--plain")
	expectCode(t, r, 0)

	marker, err := os.ReadFile(filepath.Join(dir, "marker"))
	if err != nil || string(marker) != "ran\n" {
		t.Errorf("the first job must have run exactly once; marker holds %q (%v)", marker, err)
	}
	run = show(t, dir, "1")
	if run.Status != "succeeded" || run.Attempt != 2 {
		t.Errorf("after --resume: want run succeeded at attempt 2, got %s at attempt %d", run.Status, run.Attempt)
	}
	for id, attempt := range map[string]int{"first": 1, "second": 2, "third": 1} {
		j := run.job(t, id)
		if j.Status != "succeeded" || j.Attempt != attempt {
			t.Errorf("after --resume: want %s succeeded at attempt %d, got %s at attempt %d", id, attempt, j.Status, j.Attempt)
		}
	}
}

// TestInterrupt sends SIGINT (Ctrl-C) to sluice while a step that ignores
// SIGTERM runs: sluice must escalate to SIGKILL after --grace and exit 130,
// with the run cancelled and no step process left.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	dir := fixture(t, "sigint")
	b := startSluice(t, dir, nil, "run", "--plain", "--grace", "1s")
	waitFor(t, 30*time.Second, "the step to start",
		func() bool {
			return fileHas(b.outPath, "stubborn is waiting") && fileHas(filepath.Join(dir, "child.pid"), "\n")
		},
		func() string { return "sluice output:\n" + b.output() })
	leader := observe(t, readPid(t, filepath.Join(dir, "leader.pid")))
	child := observe(t, readPid(t, filepath.Join(dir, "child.pid")))

	start := time.Now()
	if err := b.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code, ok := b.wait(10 * time.Second)
	if !ok {
		t.Fatalf("sluice still runs 10s after SIGINT with --grace 1s\n%s", b.output())
	}
	took := time.Since(start)
	if code != 130 {
		t.Errorf("want exit code 130 after SIGINT, got %d\n%s", code, b.output())
	}
	if took > 6*time.Second {
		t.Errorf("sluice took %s to stop after SIGINT with --grace 1s", took.Round(time.Millisecond))
	}
	if leader.alive() || child.alive() {
		t.Errorf("step processes survived sluice: leader alive %v, child alive %v", leader.alive(), child.alive())
	}
	if list := runs(t, dir); len(list) != 1 || list[0].Status != "cancelled" {
		t.Errorf("runs --json: want run #1 cancelled, got %+v", list)
	}
	if st := show(t, dir, "1").job(t, "stubborn").Status; st != "cancelled" {
		t.Errorf("show 1: job stubborn is %s, want cancelled", st)
	}
}

// TestCrashLeavesNoSecretOnDisk: a step wrote a secret to $SLUICE_OUTPUT
// and sluice was killed. Once the next sluice command has recovered the
// run, no file under the data folder may still hold the secret's value.
func TestCrashLeavesNoSecretOnDisk(t *testing.T) {
	t.Parallel()
	dir := fixture(t, "secrets-crash")
	token := newToken(t)
	b := startSluice(t, dir, []string{"TOKEN=" + token}, "run", "--plain", "--secret", "TOKEN")
	waitFor(t, 30*time.Second, "the step to write its output",
		func() bool { return fileHas(b.outPath, "output written") },
		func() string { return "sluice output:\n" + b.output() })
	observe(t, readPid(t, filepath.Join(dir, "leader.pid")))
	b.kill9(t)

	if list := runs(t, dir); len(list) != 1 || list[0].Status != "interrupted" {
		t.Fatalf("runs --json after SIGKILL: want run #1 interrupted, got %+v", list)
	}
	data := filepath.Join(dir, ".sluice")
	err := filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(content, []byte(token)) {
			rel, _ := filepath.Rel(dir, p)
			t.Errorf("the raw secret is still on disk after recovery, in %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.output(), token) {
		t.Errorf("the raw secret is in sluice's output\n%s", b.output())
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
