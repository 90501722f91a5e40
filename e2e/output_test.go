package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hugeOutput is how many bytes testdata/huge's first step writes.
const hugeOutput = 300_000_000

// TestHugeOutput: a step writing ~300 MB finishes, the run succeeds, the
// stored log is capped with a notice, and the data folder stays far smaller
// than the output.
func TestHugeOutput(t *testing.T) {
	t.Parallel()
	dir := fixture(t, "huge")
	out := t.TempDir()

	runOut := createFile(t, filepath.Join(out, "run.out"))
	r := sluiceWith(t, dir, nil, runOut, "run", "--plain")
	runOut.Close()
	r.stdout = "(in " + runOut.Name() + ")"
	expectCode(t, r, 0)

	run := show(t, dir, "1")
	flood := run.job(t, "flood")
	if run.Status != "succeeded" || flood.Status != "succeeded" || len(flood.Steps) != 2 ||
		flood.Steps[0].Status != "succeeded" || flood.Steps[1].Status != "succeeded" {
		t.Errorf("want the run, job flood and both its steps succeeded; got run %s, flood %s, steps %+v",
			run.Status, flood.Status, flood.Steps)
	}

	logsOut := createFile(t, filepath.Join(out, "logs.out"))
	r = sluiceWith(t, dir, nil, logsOut, "logs", "1")
	logsOut.Close()
	expectCode(t, r, 0)
	lines, size, last := scanLines(t, logsOut.Name())
	t.Logf("sluice logs 1: %d lines, %d bytes; data folder %d bytes", lines, size, dirSize(t, filepath.Join(dir, ".sluice")))
	if !strings.Contains(last, "sluice: log truncated") {
		t.Errorf("the stored log does not end with a \"log truncated\" notice; its last line is %q", last)
	}
	if size > hugeOutput/3 || lines < 1000 {
		t.Errorf("sluice logs printed %d lines, %d bytes: want a capped log (under %d bytes) that still holds the start", lines, size, hugeOutput/3)
	}
	if data := dirSize(t, filepath.Join(dir, ".sluice")); data > hugeOutput/2 {
		t.Errorf("the data folder holds %d bytes after a step wrote %d; the log cap should keep it far smaller", data, hugeOutput)
	}
}

// TestCommandNotFound: a step running a command that does not exist fails
// its job with a reason that says so, and the run exits 1.
func TestCommandNotFound(t *testing.T) {
	t.Parallel()
	dir := fixture(t, "notfound")
	r := sluice(t, dir, "run", "--plain")
	expectCode(t, r, 1)
	expectContains(t, r, "stderr or stdout", r.stdout+r.stderr, "e2e-no-such-command")

	s := sluice(t, dir, "show", "1")
	expectCode(t, s, 0)
	expectContains(t, s, "sluice show 1", s.stdout, "command not found")
	job := show(t, dir, "1").job(t, "typo")
	if job.Status != "failed" || job.ExitCode != 127 || !strings.Contains(job.Reason, "command not found") {
		t.Errorf("job typo: want failed with exit code 127 and \"command not found\", got %s %d %q", job.Status, job.ExitCode, job.Reason)
	}
}

func createFile(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// scanLines counts the lines and bytes of a file and returns its last line.
func scanLines(t *testing.T, path string) (lines int, size int64, last string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines++
		size += int64(len(sc.Bytes())) + 1
		last = sc.Text()
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return lines, size, last
}
