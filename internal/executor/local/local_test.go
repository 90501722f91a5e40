//go:build linux

package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/executor"
)

func TestOutputOrderAndStreams(t *testing.T) {
	before := time.Now()
	res, rec, err := run(t, context.Background(), Options{}, executor.Step{
		Command: `for i in $(seq 1 300); do echo "out$i"; echo "err$i" >&2; done`,
	})
	after := time.Now()
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	var wantOut, wantErr []string
	for i := 1; i <= 300; i++ {
		wantOut = append(wantOut, fmt.Sprintf("out%d", i))
		wantErr = append(wantErr, fmt.Sprintf("err%d", i))
	}
	if diff := cmp.Diff(wantOut, rec.texts(executor.Stdout)); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantErr, rec.texts(executor.Stderr)); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	last := map[executor.Stream]time.Time{}
	for _, l := range rec.lines {
		if l.Time.Before(before) || l.Time.After(after) {
			t.Fatalf("line %q time %v outside the run", l.Text, l.Time)
		}
		if l.Time.Before(last[l.Stream]) {
			t.Fatalf("line %q time goes backwards", l.Text)
		}
		last[l.Stream] = l.Time
	}
	if res.Duration <= 0 || res.Duration > after.Sub(before) {
		t.Errorf("Duration = %v", res.Duration)
	}
}

func TestTimestampIsReadTime(t *testing.T) {
	_, rec, err := run(t, context.Background(), Options{}, executor.Step{Command: "echo a; sleep 0.3; echo b"})
	if err != nil || len(rec.lines) != 2 {
		t.Fatalf("lines %+v, err %v", rec.lines, err)
	}
	if gap := rec.lines[1].Time.Sub(rec.lines[0].Time); gap < 250*time.Millisecond {
		t.Errorf("lines 0.3s apart got timestamps %v apart", gap)
	}
}

func TestEnvIsExactlyStepEnv(t *testing.T) {
	t.Setenv("SLUICE_LEAK_CHECK", "leaked")
	_, rec, err := run(t, context.Background(), Options{}, executor.Step{
		Command: "env",
		Env:     append([]string{"MINE=yes"}, testEnv...),
	})
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(rec.texts(executor.Stdout), "\n")
	if !strings.Contains(env, "MINE=yes") {
		t.Errorf("step env lacks MINE=yes:\n%s", env)
	}
	for _, leak := range []string{"SLUICE_LEAK_CHECK", "HOME=", "GOPATH="} {
		if strings.Contains(env, leak) {
			t.Errorf("step env contains %s from the test process:\n%s", leak, env)
		}
	}
}

func TestEmptyEnvInheritsNothing(t *testing.T) {
	t.Setenv("SLUICE_LEAK_CHECK", "leaked")
	_, rec, err := run(t, context.Background(), Options{}, executor.Step{Command: "echo \"[$SLUICE_LEAK_CHECK]\"", Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"[]"}, rec.texts(executor.Stdout)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDirAndStdin(t *testing.T) {
	dir := t.TempDir()
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, rec, err := run(t, context.Background(), Options{}, executor.Step{
		Command: "pwd -P; readlink /proc/self/fd/0; cat",
		Dir:     dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{real, os.DevNull}, rec.texts(executor.Stdout)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCommandIsOneArgument(t *testing.T) {
	_, rec, err := run(t, context.Background(), Options{}, executor.Step{
		Command: `printf '%s\n' "it's" '"quoted" $HOME' "$0"`,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := rec.texts(executor.Stdout)
	if len(out) != 3 || out[0] != "it's" || out[1] != `"quoted" $HOME` {
		t.Errorf("got %q", out)
	}
}

func TestExitCodes(t *testing.T) {
	sh := Options{Shell: []string{"/bin/sh", "-e", "-c"}}
	tests := []struct {
		name    string
		opts    Options
		command string
		want    int
		stdout  []string
	}{
		{"success", Options{}, "true", 0, nil},
		{"exit status", Options{}, "exit 3", 3, nil},
		{"errexit", Options{}, "false; echo after", 1, nil},
		{"pipefail", Options{}, "false | true; echo after", 1, nil},
		{"command not found", Options{}, "no-such-command-sluice", 127, nil},
		{"killed by SIGKILL", Options{}, "kill -KILL $$", 128 + 9, nil},
		{"killed by SIGTERM", Options{}, "kill -TERM $$", 128 + 15, nil},
		{"child killed", Options{}, "sh -c 'kill -INT $$'", 128 + 2, nil},
		{"sh errexit", sh, "false; echo after", 1, nil},
		{"sh no pipefail", sh, "false | true; echo after", 0, []string{"after"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, rec, err := run(t, context.Background(), tt.opts, executor.Step{Command: tt.command})
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tt.want || res.TimedOut || res.Cancelled {
				t.Errorf("result %+v, want exit code %d", res, tt.want)
			}
			if diff := cmp.Diff(tt.stdout, rec.texts(executor.Stdout)); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStartedGetsGroupLeaderPid(t *testing.T) {
	var pgid int
	var mu sync.Mutex
	rec := &recorder{t: t}
	s := executor.Step{
		Command: `echo $$; read -r _ _ _ _ pg _ < /proc/$$/stat; echo "$pg"`,
		Dir:     t.TempDir(),
		Env:     testEnv,
		Started: func(p int) {
			mu.Lock()
			defer mu.Unlock()
			if len(rec.lines) != 0 {
				t.Error("Started called after output was delivered")
			}
			pgid = p
		},
	}
	if _, err := New(Options{}).Run(context.Background(), s, rec.out); err != nil {
		t.Fatal(err)
	}
	want := []string{strconv.Itoa(pgid), strconv.Itoa(pgid)}
	if diff := cmp.Diff(want, rec.texts(executor.Stdout)); pgid <= 0 || diff != "" {
		t.Errorf("Started(%d); shell pid and pgid (-want +got):\n%s", pgid, diff)
	}
}

func TestBadDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ dir, want string }{
		{filepath.Join(t.TempDir(), "missing"), "does not exist"},
		{file, "not a directory"},
		{"relative/dir", "not absolute"},
	}
	for _, tt := range tests {
		started := false
		_, err := New(Options{}).Run(context.Background(), executor.Step{
			Command: "true", Dir: tt.dir, Env: testEnv, Started: func(int) { started = true },
		}, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.dir) {
			t.Errorf("dir %s: err %v, want it to say %q", tt.dir, err, tt.want)
		}
		if started {
			t.Errorf("dir %s: Started was called", tt.dir)
		}
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, _, err := run(t, ctx, Options{}, executor.Step{Command: "echo never"})
	if err == nil || !res.Cancelled {
		t.Errorf("Run = %+v, %v; want cancelled error", res, err)
	}
}

func TestLongLineIsSplit(t *testing.T) {
	_, rec, err := run(t, context.Background(), Options{}, executor.Step{
		Command: "head -c 300000 /dev/zero | tr '\\0' a; echo; echo after",
	})
	if err != nil {
		t.Fatal(err)
	}
	var lens []int
	for _, s := range rec.texts(executor.Stdout) {
		lens = append(lens, len(s))
	}
	want := []int{DefaultMaxLine, DefaultMaxLine, DefaultMaxLine, DefaultMaxLine, 300000 - 4*DefaultMaxLine, len("after")}
	if diff := cmp.Diff(want, lens); diff != "" {
		t.Errorf("line lengths (-want +got):\n%s", diff)
	}
}

func TestConcurrentRuns(t *testing.T) {
	e := New(Options{})
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			rec := &recorder{t: t}
			res, err := e.Run(context.Background(), executor.Step{
				Command: fmt.Sprintf("for j in 1 2 3; do echo %d-$j; done; exit %d", i, i),
				Dir:     t.TempDir(), Env: testEnv,
			}, rec.out)
			want := []string{fmt.Sprintf("%d-1", i), fmt.Sprintf("%d-2", i), fmt.Sprintf("%d-3", i)}
			if err != nil || res.ExitCode != i || !cmp.Equal(want, rec.texts(executor.Stdout)) {
				t.Errorf("run %d: %+v %v %q", i, res, err, rec.texts(executor.Stdout))
			}
		})
	}
	wg.Wait()
}

func TestShellChoice(t *testing.T) {
	dir := t.TempDir()
	bash := filepath.Join(dir, "bash")
	if err := os.WriteFile(bash, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		fallbacks  []string
		want       string
	}{
		{"from PATH", "/nonexistent:" + dir, nil, bash},
		{"fallback", "/nonexistent", bashFallbacks, "/bin/bash"},
		{"relative PATH ignored", ".:relative", nil, "/bin/sh"},
		{"no bash", "", nil, "/bin/sh"},
	}
	for _, tt := range tests {
		if got := chooseShell(tt.path, tt.fallbacks); got[0] != tt.want {
			t.Errorf("%s: chooseShell = %q, want %s", tt.name, got, tt.want)
		}
	}
}
