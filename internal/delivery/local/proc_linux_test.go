//go:build linux

package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStartServes(t *testing.T) {
	t.Setenv("SLUICE_LOCAL_LEAK", "from sluice")
	spec := appSpec(t, "-msg", "v${VERSION};$(id)")
	spec.Vars = map[string]string{"VERSION": "1.2.3", "ARTIFACT": "/nowhere"}
	spec.Env["GREETING"] = "port ${PORT}"
	inst := startHealthy(t, spec)

	if inst.PGID != inst.PID || inst.StartTicks == 0 || inst.Addr != "127.0.0.1:"+strconv.Itoa(inst.Port) || inst.Port == 0 {
		t.Errorf("instance = %+v", inst)
	}
	if got, want := get(t, "http://"+inst.Addr+"/hello"), "hello msg=v1.2.3;$(id) VERSION=1.2.3"; got != want {
		t.Errorf("/hello = %q, want %q", got, want)
	}
	for k, want := range map[string]string{
		"PORT": strconv.Itoa(inst.Port), "ARTIFACT": "/nowhere", "GREETING": "port " + strconv.Itoa(inst.Port),
		"SLUICE_LOCAL_LEAK": "", "HOME": "",
	} {
		if got := get(t, "http://"+inst.Addr+"/env?k="+k); got != want {
			t.Errorf("app sees %s=%q, want %q", k, got, want)
		}
	}
	// Its own session, stdin /dev/null, log 0600.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(inst.PID) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := bytes.Fields(b[bytes.LastIndexByte(b, ')')+1:])
	if sid := string(f[3]); sid != strconv.Itoa(inst.PID) {
		t.Errorf("session = %s, want %d", sid, inst.PID)
	}
	if in, _ := os.Readlink("/proc/" + strconv.Itoa(inst.PID) + "/fd/0"); in != os.DevNull {
		t.Errorf("stdin = %q, want %s", in, os.DevNull)
	}
	if fi, err := os.Stat(inst.LogFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log file: %v, %v", fi.Mode(), err)
	}
	if !strings.Contains(readLog(t, inst), "listening on "+inst.Addr) {
		t.Errorf("log lacks the app's output:\n%s", readLog(t, inst))
	}
	// The Instance survives a JSON round trip.
	js, err := json.Marshal(inst)
	if err != nil {
		t.Fatal(err)
	}
	var back Instance
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Started.Equal(inst.Started) {
		t.Errorf("Started %v != %v", back.Started, inst.Started)
	}
	back.Started = inst.Started
	if !reflect.DeepEqual(&back, inst) {
		t.Errorf("JSON round trip: %+v != %+v", back, *inst)
	}
	if !Alive(&back) {
		t.Error("Alive(decoded instance) = false")
	}
}

func TestStartAppendsLog(t *testing.T) {
	spec := appSpec(t, "-crash")
	if err := os.MkdirAll(filepath.Dir(spec.LogFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec.LogFile, []byte("earlier run\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inst := start(t, spec)
	if inst.LogStart != int64(len("earlier run\n")) {
		t.Errorf("LogStart = %d", inst.LogStart)
	}
	err := WaitHealthy(context.Background(), inst, fastHealth)
	var he *HealthError
	if !errors.As(err, &he) || !reflect.DeepEqual(he.LogTail, []string{"crashing on purpose"}) {
		t.Fatalf("tail should hold this run's lines only: %v", err)
	}
	if got := readLog(t, inst); got != "earlier run\ncrashing on purpose\n" {
		t.Errorf("log = %q", got)
	}
}

func TestStartErrors(t *testing.T) {
	base := appSpec(t)
	for name, tc := range map[string]struct {
		edit func(*Spec)
		want string
	}{
		"no argv":     {func(s *Spec) { s.Argv = nil }, "no command"},
		"no log":      {func(s *Spec) { s.LogFile = "" }, "no log file"},
		"bad port":    {func(s *Spec) { s.Port = 70000 }, "out of range"},
		"PORT in var": {func(s *Spec) { s.Vars = map[string]string{"PORT": "1"} }, "set Spec.Port"},
		"bad env":     {func(s *Spec) { s.Env["A=B"] = "x" }, "bad environment variable"},
		"not on PATH": {func(s *Spec) { s.Argv = []string{"sluice-no-such-program"}; s.Env["PATH"] = "/nonexistent" }, "not found in the PATH"},
		"missing":     {func(s *Spec) { s.Argv = []string{"./missing"} }, "missing"},
	} {
		t.Run(name, func(t *testing.T) {
			s := base
			s.Env = maps.Clone(base.Env)
			tc.edit(&s)
			inst, err := Start(context.Background(), s)
			if err == nil {
				cleanupStop(t, inst)
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "release r1 replica 0") {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestStartFindsProgramInEnvPathAndDir(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "testapp")); err != nil {
		t.Fatal(err)
	}
	spec := appSpec(t)
	spec.Argv[0] = "testapp"
	spec.Env["PATH"] = bin
	startHealthy(t, spec)

	// A relative path is relative to Dir.
	spec = appSpec(t)
	spec.Dir = filepath.Dir(bin)
	spec.Argv[0] = "./" + filepath.Base(bin) + "/testapp"
	startHealthy(t, spec)
}

func TestStopGraceful(t *testing.T) {
	inst := startHealthy(t, appSpec(t))
	began := time.Now()
	if err := Stop(context.Background(), inst, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("graceful stop took %v", d)
	}
	if Alive(inst) {
		t.Error("Alive after Stop")
	}
	if !strings.Contains(readLog(t, inst), "shutting down") {
		t.Errorf("app did not get SIGTERM:\n%s", readLog(t, inst))
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	inst := startHealthy(t, appSpec(t, "-ignore-term"))
	const grace = 300 * time.Millisecond
	began := time.Now()
	if err := Stop(context.Background(), inst, grace); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d < grace {
		t.Errorf("killed after %v, before the grace of %v", d, grace)
	}
	if Alive(inst) {
		t.Error("Alive after Stop")
	}
	if !strings.Contains(readLog(t, inst), "ignoring SIGTERM") {
		t.Errorf("app did not get SIGTERM first:\n%s", readLog(t, inst))
	}
}

func TestStopKillsTheGroup(t *testing.T) {
	// The app leaves on SIGTERM, its helper (same group) ignores it: Stop
	// must wait for the group and kill the helper after the grace.
	inst := startHealthy(t, appSpec(t, "-spawn"))
	var helper int
	waitFor(t, "helper pid in the log", func() bool {
		for _, l := range strings.Split(readLog(t, inst), "\n") {
			if p, ok := strings.CutPrefix(l, "helper pid "); ok {
				helper, _ = strconv.Atoi(p)
				return true
			}
		}
		return false
	})
	waitFor(t, "the helper to listen", func() bool { return strings.Count(readLog(t, inst), "listening on") == 2 })
	if gone(helper) {
		t.Fatal("helper not running")
	}
	if err := Stop(context.Background(), inst, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !gone(helper) {
		t.Errorf("helper %d still runs after Stop", helper)
		_ = exec.Command("kill", "-9", strconv.Itoa(helper)).Run()
	}
	if !strings.Contains(readLog(t, inst), "ignoring SIGTERM") {
		t.Errorf("helper did not get SIGTERM:\n%s", readLog(t, inst))
	}
}

func TestStopAlreadyGone(t *testing.T) {
	inst := start(t, appSpec(t, "-crash"))
	waitFor(t, "the crash", func() bool { return !Alive(inst) })
	for range 2 {
		if err := Stop(context.Background(), inst, time.Second); err != nil {
			t.Errorf("Stop of a dead replica: %v", err)
		}
	}
	if err := Stop(context.Background(), nil, time.Second); err != nil {
		t.Errorf("Stop(nil): %v", err)
	}
}

func TestAliveChecksStartTicks(t *testing.T) {
	inst := startHealthy(t, appSpec(t))
	if !Alive(inst) {
		t.Fatal("Alive = false for a running replica")
	}
	other := *inst
	other.StartTicks++ // as if the pid now belonged to a later process
	if Alive(&other) {
		t.Error("Alive = true for another start time")
	}
	if err := Stop(context.Background(), &other, 0); err != nil {
		t.Errorf("Stop of a reused pid: %v", err)
	}
	if !Alive(inst) {
		t.Fatal("Stop signalled a process whose start time did not match")
	}
	get(t, "http://"+inst.Addr+"/healthz")
	if Alive(nil) || Alive(&Instance{PID: 1 << 30}) {
		t.Error("Alive of nothing = true")
	}
}

func TestStopHonoursContext(t *testing.T) {
	inst := startHealthy(t, appSpec(t, "-ignore-term"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := Stop(ctx, inst, time.Minute)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v, want a deadline error", err)
	}
}

// TestSurvivesControlPlane starts the app from another process that exits at
// once, then adopts it: the app keeps serving and Stop works on it.
func TestSurvivesControlPlane(t *testing.T) {
	spec := appSpec(t)
	spec.Release = "adopted"
	js, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cp := exec.Command(self)
	cp.Env = []string{roleEnv + "=control", noRaceExitSleep, "SLUICE_LOCAL_SPEC=" + string(js)}
	var stderr bytes.Buffer
	cp.Stderr = &stderr
	out, err := cp.Output()
	if err != nil {
		t.Fatalf("control plane: %v: %s", err, stderr.String())
	}
	var inst Instance
	if err := json.Unmarshal(out, &inst); err != nil {
		t.Fatalf("control plane output %q: %v", out, err)
	}
	cleanupStop(t, &inst)
	// The control plane has exited (Output waited for it): the replica was
	// handed to another parent and runs on.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(inst.PID) + "/stat")
	if err != nil {
		t.Fatalf("replica gone with its control plane: %v", err)
	}
	if ppid := string(bytes.Fields(b[bytes.LastIndexByte(b, ')')+1:])[1]); ppid == strconv.Itoa(cp.Process.Pid) {
		t.Errorf("replica's parent is still the exited control plane %s", ppid)
	}
	if inst.Release != "adopted" || !Alive(&inst) {
		t.Fatalf("adopted instance %+v not alive", inst)
	}
	if childOf(&inst) != nil {
		t.Fatal("the replica should not be a child of the test process")
	}
	if err := WaitHealthy(context.Background(), &inst, fastHealth); err != nil {
		t.Fatal(err)
	}
	get(t, "http://"+inst.Addr+"/hello")
	if err := Stop(context.Background(), &inst, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if Alive(&inst) {
		t.Error("adopted replica alive after Stop")
	}
	if !strings.Contains(readLog(t, &inst), "shutting down") {
		t.Errorf("adopted replica did not get SIGTERM:\n%s", readLog(t, &inst))
	}
}

func TestParseStat(t *testing.T) {
	line := "123 (a) b) c) S 1 77 77 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10"
	st, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if st.state != 'S' || st.pgrp != 77 || st.start != 987654 {
		t.Errorf("parseStat = %+v", st)
	}
	for _, bad := range []string{"", "123 no paren", "1 (x) S 1 2"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}
