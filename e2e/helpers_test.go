package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cmdTimeout bounds one sluice invocation, so a hang fails the test with the
// output so far instead of stalling the package.
const cmdTimeout = 2 * time.Minute

// result is one finished sluice invocation.
type result struct {
	args   []string
	dir    string
	code   int
	stdout string
	stderr string
}

// String shows the command and (the ends of) its output, for failure messages.
func (r *result) String() string {
	return "sluice " + strings.Join(r.args, " ") + "  (in " + r.dir + ")\n" +
		"exit code: " + strconv.Itoa(r.code) + "\n" +
		"--- stdout ---\n" + tail(r.stdout, 4000) + "\n" +
		"--- stderr ---\n" + tail(r.stderr, 4000)
}

// tail keeps the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// sluiceEnv is the environment every sluice process gets: the test's own,
// without anything that would change sluice's behaviour behind the test's
// back (SLUICE_*, NO_COLOR, CLICOLOR_FORCE), with a colour-capable TERM so a
// colour code leaking onto a pipe would show, plus extra.
func sluiceEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SLUICE_") || k == "NO_COLOR" || k == "CLICOLOR_FORCE" || k == "TERM" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TERM=xterm-256color")
	return append(env, extra...)
}

// sluice runs the binary in dir and waits for it.
func sluice(t *testing.T, dir string, args ...string) *result {
	t.Helper()
	return sluiceWith(t, dir, nil, nil, args...)
}

// sluiceWith runs the binary in dir with extra environment variables; when
// stdout is non-nil the output goes there instead of into result.stdout.
func sluiceWith(t *testing.T, dir string, extraEnv []string, stdout io.Writer, args ...string) *result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, sluiceBin, args...)
	cmd.Dir = dir
	cmd.Env = sluiceEnv(extraEnv...)
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdout != nil {
		cmd.Stdout = stdout
	}
	err := cmd.Run()
	r := &result{args: args, dir: dir, stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("sluice %s did not finish: %v (timeout %s)\n%s", strings.Join(args, " "), err, cmdTimeout, r)
	}
	return r
}

// expectCode fails the test unless r exited with code.
func expectCode(t *testing.T, r *result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit code %d, got %d\n%s", code, r.code, r)
	}
}

// expectContains fails the test unless text (what, for the message) holds sub.
func expectContains(t *testing.T, r *result, what, text, sub string) {
	t.Helper()
	if !strings.Contains(text, sub) {
		t.Errorf("%s does not contain %q\n%s", what, sub, r)
	}
}

// background is a sluice process the test controls while it runs.
type background struct {
	cmd     *exec.Cmd
	outPath string
	done    chan struct{} // closed once the process has been reaped
}

// startSluice starts the binary in dir with its output in a file (a file,
// not a pipe, so nothing the process leaves behind can keep Wait waiting).
func startSluice(t *testing.T, dir string, extraEnv []string, args ...string) *background {
	t.Helper()
	outPath := filepath.Join(t.TempDir(), "sluice.out")
	f, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(sluiceBin, args...)
	cmd.Dir = dir
	cmd.Env = sluiceEnv(extraEnv...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sluice %s: %v", strings.Join(args, " "), err)
	}
	b := &background{cmd: cmd, outPath: outPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status is read from cmd.ProcessState
		close(b.done)
	}()
	t.Cleanup(func() {
		select {
		case <-b.done:
		default:
			_ = cmd.Process.Kill()
			<-b.done
		}
	})
	return b
}

// output is everything the process printed so far.
func (b *background) output() string {
	data, _ := os.ReadFile(b.outPath)
	return string(data)
}

// wait waits up to d for the process to end and returns its exit code, or
// -1 with ok false when it is still running.
func (b *background) wait(d time.Duration) (code int, ok bool) {
	select {
	case <-b.done:
	case <-time.After(d):
		return -1, false
	}
	return b.cmd.ProcessState.ExitCode(), true
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s\n%s", d, what, describe())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fixture copies testdata/<name> into a new temporary folder and returns it.
func fixture(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatalf("copy fixture %s: %v", name, err)
	}
	return dst
}

// writeFile writes a file (and its folders) under dir.
func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// shownRun is the part of `sluice show RUN --json` the tests look at.
type shownRun struct {
	ID      string      `json:"id"`
	Number  int64       `json:"number"`
	Status  string      `json:"status"`
	Error   string      `json:"error"`
	Attempt int         `json:"attempt"`
	Secrets []string    `json:"secrets"`
	Jobs    []*shownJob `json:"jobs"`
}

type shownJob struct {
	ID         string            `json:"id"`
	Needs      []string          `json:"needs"`
	Matrix     map[string]string `json:"matrix"`
	Status     string            `json:"status"`
	Reason     string            `json:"reason"`
	ExitCode   int               `json:"exit_code"`
	Attempt    int               `json:"attempt"`
	Outputs    map[string]string `json:"outputs"`
	StartedAt  *time.Time        `json:"started_at"`
	FinishedAt *time.Time        `json:"finished_at"`
	Steps      []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"steps"`
}

func (r *shownRun) job(t *testing.T, id string) *shownJob {
	t.Helper()
	for _, j := range r.Jobs {
		if j.ID == id {
			return j
		}
	}
	var ids []string
	for _, j := range r.Jobs {
		ids = append(ids, j.ID)
	}
	t.Fatalf("run #%d has no job %q (jobs: %v)", r.Number, id, ids)
	return nil
}

// show runs `sluice show RUN --json` in dir and decodes it.
func show(t *testing.T, dir, run string) *shownRun {
	t.Helper()
	r := sluice(t, dir, "show", run, "--json")
	expectCode(t, r, 0)
	var out shownRun
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("show --json is not JSON: %v\n%s", err, r)
	}
	return &out
}

// listedRun is one entry of `sluice runs --json`.
type listedRun struct {
	Number  int64  `json:"number"`
	Status  string `json:"status"`
	Attempt int    `json:"attempt"`
	Error   string `json:"error"`
}

// runs runs `sluice runs --json` in dir and decodes it.
func runs(t *testing.T, dir string) []listedRun {
	t.Helper()
	r := sluice(t, dir, "runs", "--json")
	expectCode(t, r, 0)
	var out []listedRun
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("runs --json is not JSON: %v\n%s", err, r)
	}
	return out
}

// dirSize is the total size of the regular files under dir.
func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("size of %s: %v", dir, err)
	}
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }
