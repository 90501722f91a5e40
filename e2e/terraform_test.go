package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The Terraform scenario runs the real terraform binary against `sluice
// up` as its http backend. terraform is found on PATH; without it the test
// is skipped, unless SLUICE_REQUIRE_TOOLS=1 (scripts/test.sh sets it),
// which makes a missing terraform a failure. Only terraform_data, which is
// built into Terraform, is used: nothing is downloaded.

// terraformPath is the terraform binary, or the test is skipped (failed
// with SLUICE_REQUIRE_TOOLS=1).
func terraformPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("terraform")
	if err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			t.Fatalf("terraform is not on PATH: %v (SLUICE_REQUIRE_TOOLS=1; install Terraform)", err)
		}
		t.Skipf("terraform is not on PATH (%v); install Terraform, or set SLUICE_REQUIRE_TOOLS=1 to fail instead", err)
	}
	return p
}

// startPlainControlPlane starts `sluice up` on a free loopback port with a
// new data folder and no project (startControlPlane registers one). The
// folder holds a pipeline without environments, so that `sluice down`
// stops the gateway up started.
func startPlainControlPlane(t *testing.T) *controlPlane {
	t.Helper()
	cp := &controlPlane{dir: t.TempDir()}
	cp.data = filepath.Join(cp.dir, "data")
	writeFile(t, cp.dir, "sluice.yaml", "version: 1\nname: tf\njobs:\n  noop:\n    steps: [{ run: \"true\" }]\n")
	cp.up(t)
	return cp
}

// tfMain is the configuration: a quick resource and one whose provisioner
// sleeps var.pause seconds each time var.gen changes (it is replaced),
// keeping the state locked meanwhile.
func tfMain(state string) string {
	return `terraform {
  backend "http" {
    address        = "` + state + `"
    lock_address   = "` + state + `/lock"
    unlock_address = "` + state + `/lock"
    username       = "terraform"
  }
}

variable "gen" {
  type    = number
  default = 1
}

variable "pause" {
  type    = number
  default = 0
}

resource "terraform_data" "base" {
  input = "base"
}

resource "terraform_data" "slow" {
  triggers_replace = var.gen
  input            = "generation ${var.gen}"
  provisioner "local-exec" {
    command = "sleep ${var.pause}"
  }
}

output "generation" {
  value = terraform_data.slow.output
}
`
}

// terraform runs the terraform binary in one working folder.
type terraform struct {
	bin, dir string
	env      []string
}

func newTerraform(t *testing.T, bin, dir, key string) *terraform {
	t.Helper()
	rc := filepath.Join(t.TempDir(), "terraformrc")
	writeFile(t, filepath.Dir(rc), filepath.Base(rc), "")
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "TF_") && k != "CHECKPOINT_DISABLE" {
			env = append(env, kv)
		}
	}
	env = append(env, "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "TF_HTTP_PASSWORD="+key)
	return &terraform{bin: bin, dir: dir, env: env}
}

func (tf *terraform) command(args ...string) *exec.Cmd {
	cmd := exec.Command(tf.bin, append(args[:1:1], append([]string{"-no-color"}, args[1:]...)...)...)
	cmd.Dir, cmd.Env = tf.dir, tf.env
	// Its own process group, so that the provisioner's sleep dies with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// run runs terraform and returns its exit code and output.
func (tf *terraform) run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := tf.command(args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	timer := time.AfterFunc(40*time.Second, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer timer.Stop()
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode(), out.String()
	}
	t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out.String())
	return 0, ""
}

// must runs terraform and fails the test unless it succeeds.
func (tf *terraform) must(t *testing.T, args ...string) string {
	t.Helper()
	code, out := tf.run(t, args...)
	if code != 0 {
		t.Fatalf("terraform %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// started is a terraform running in the background.
type started struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{} // closed once it has exited; then err is its result
	err  error
}

func (tf *terraform) start(t *testing.T, args ...string) *started {
	t.Helper()
	s := &started{cmd: tf.command(args...), out: &bytes.Buffer{}, done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	})
	return s
}

// tfLock is a lock as GET …/versions shows it.
type tfLock struct {
	ID   string `json:"id"`
	Info struct {
		ID, Who, Operation string
	} `json:"info"`
}

// tfStateInfo reads a state's record and versions through the API.
type tfStateInfo struct {
	State struct {
		Version int64   `json:"version"`
		Serial  int64   `json:"serial"`
		Lineage string  `json:"lineage"`
		Lock    *tfLock `json:"lock"`
	} `json:"state"`
	Versions []struct {
		Version int64 `json:"version"`
		Serial  int64 `json:"serial"`
	} `json:"versions"`
}

func stateInfo(t *testing.T, cp *controlPlane, key, name string) *tfStateInfo {
	t.Helper()
	var out tfStateInfo
	if code := cp.api(t, "GET", "/api/v1/tfstate/"+name+"/versions", key, nil, &out); code != http.StatusOK {
		t.Fatalf("GET the versions of %s: %d", name, code)
	}
	return &out
}

// waitLocked waits until the state is locked by a lock other than not.
func waitLocked(t *testing.T, cp *controlPlane, key, name, not string, s *started) *tfLock {
	t.Helper()
	var l *tfLock
	waitFor(t, 20*time.Second, "terraform to lock the state", func() bool {
		l = stateInfo(t, cp, key, name).State.Lock
		return l != nil && l.ID != not
	}, func() string { return s.out.String() })
	return l
}

// basicRequest sends a request as Terraform does: the key as the Basic
// auth password.
func basicRequest(t *testing.T, method, url, key string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("terraform:"+key)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

// TestTerraform keeps a real Terraform's state in sluice: init and apply;
// a second apply while the first holds the lock fails naming the holder,
// and the state stays valid; a lock left by a killed terraform is forced
// off with sluice tf state unlock; every version is kept; a restore of
// the first version is what the next plan compares with; a stale write is
// refused; terraform force-unlock needs an admin.
func TestTerraform(t *testing.T) {
	t.Parallel()
	bin := terraformPath(t)
	begin := time.Now()
	defer func() { t.Logf("terraform scenario: %s", time.Since(begin).Round(100*time.Millisecond)) }()
	cp := startPlainControlPlane(t)
	key := cp.key(t, "ci", "developer")
	state := cp.url + "/api/v1/tfstate/e2e"
	work := t.TempDir()
	writeFile(t, work, "main.tf", tfMain(state))
	tf := newTerraform(t, bin, work, key)

	tf.must(t, "init", "-input=false")
	tf.must(t, "apply", "-auto-approve", "-input=false")
	first := stateInfo(t, cp, key, "e2e")
	if first.State.Version != 1 || first.State.Serial < 1 || first.State.Lineage == "" || first.State.Lock != nil {
		t.Fatalf("after the first apply: %+v", first.State)
	}

	// A slow apply holds the lock; a second one started meanwhile fails,
	// naming the holder's lock.
	slow := tf.start(t, "apply", "-auto-approve", "-input=false", "-var", "gen=2", "-var", "pause=5")
	held := waitLocked(t, cp, key, "e2e", "", slow)
	code, out := tf.run(t, "apply", "-auto-approve", "-input=false", "-var", "gen=3", "-lock-timeout=0s")
	if code == 0 || !strings.Contains(out, "Error acquiring the state lock") || !strings.Contains(out, held.ID) || !strings.Contains(out, held.Info.Who) {
		t.Errorf("a second apply while the first holds the lock (%s, %s): exit %d\n%s", held.ID, held.Info.Who, code, out)
	}
	select {
	case <-slow.done:
		if slow.err != nil {
			t.Fatalf("the slow apply: %v\n%s", slow.err, slow.out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the slow apply did not finish\n%s", slow.out.String())
	}
	status, body := basicRequest(t, "GET", state, key, nil)
	var doc struct {
		Serial  int64  `json:"serial"`
		Lineage string `json:"lineage"`
		Outputs map[string]struct {
			Value string `json:"value"`
		} `json:"outputs"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &doc) != nil {
		t.Fatalf("GET the state: %d %s", status, body)
	}
	if doc.Serial <= first.State.Serial || doc.Lineage != first.State.Lineage || doc.Outputs["generation"].Value != "generation 2" {
		t.Errorf("after the slow apply: serial %d (was %d), lineage %q (was %q), output %+v", doc.Serial, first.State.Serial, doc.Lineage,
			first.State.Lineage, doc.Outputs)
	}

	// A terraform killed mid-apply leaves its lock behind; sluice tf
	// state unlock --force releases it.
	killed := tf.start(t, "apply", "-auto-approve", "-input=false", "-var", "gen=4", "-var", "pause=30")
	stale := waitLocked(t, cp, key, "e2e", held.ID, killed)
	time.Sleep(time.Second) // well into the apply
	if err := syscall.Kill(-killed.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-killed.done
	if code, out := tf.run(t, "plan", "-input=false", "-lock-timeout=0s"); code == 0 || !strings.Contains(out, stale.ID) {
		t.Errorf("a plan while the killed apply's lock stands: exit %d\n%s", code, out)
	}
	r := sluice(t, cp.dir, "--data", cp.data, "tf", "state", "unlock", "e2e", "--force")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, "released the lock of e2e: "+stale.ID)
	if l := stateInfo(t, cp, key, "e2e").State.Lock; l != nil {
		t.Fatalf("still locked after the force-unlock: %+v", l)
	}
	if code, out := tf.run(t, "plan", "-input=false", "-lock-timeout=0s", "-detailed-exitcode", "-var", "gen=2"); code == 1 {
		t.Errorf("a plan after the force-unlock: exit %d\n%s", code, out)
	}

	// Every version is kept; restoring the first is what the next plan
	// compares the configuration with.
	r = sluice(t, cp.dir, "--data", cp.data, "tf", "state", "history", "e2e")
	expectCode(t, r, 0)
	info := stateInfo(t, cp, key, "e2e")
	if len(info.Versions) < 2 || info.Versions[0].Version != 1 {
		t.Fatalf("versions: %+v\n%s", info.Versions, r.stdout)
	}
	for _, v := range info.Versions {
		if !strings.Contains(r.stdout, "\n"+itoa(int(v.Version))+" ") {
			t.Errorf("history does not list version %d\n%s", v.Version, r.stdout)
		}
	}
	r = sluice(t, cp.dir, "--data", cp.data, "tf", "state", "restore", "e2e", "--version", "1")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, "restored version 1 of e2e as version "+itoa(len(info.Versions)+1))
	if code, out := tf.run(t, "plan", "-input=false", "-detailed-exitcode", "-var", "gen=1"); code != 0 {
		t.Errorf("plan with generation 1 after restoring version 1: exit %d, want 0 (no changes)\n%s", code, out)
	}
	if code, out := tf.run(t, "plan", "-input=false", "-detailed-exitcode", "-var", "gen=2"); code != 2 || !strings.Contains(out, "terraform_data.slow must be replaced") {
		t.Errorf("plan with generation 2 after restoring version 1: exit %d, want 2 (changes)\n%s", code, out)
	}

	// A stale client cannot overwrite newer state.
	status, body = basicRequest(t, "GET", state, key, nil)
	var cur map[string]any
	if status != http.StatusOK || json.Unmarshal(body, &cur) != nil {
		t.Fatalf("GET the state: %d %s", status, body)
	}
	serial := int64(cur["serial"].(float64))
	cur["serial"] = serial - 1
	old, _ := json.Marshal(cur)
	status, body = basicRequest(t, "POST", state, key, old)
	if status != http.StatusConflict || !strings.Contains(string(body), "stale state: serial") {
		t.Errorf("a POST with a lower serial: %d %s, want 409 stale state", status, body)
	}
	if after := stateInfo(t, cp, key, "e2e").State; after.Serial != serial {
		t.Errorf("the stale POST changed the state: serial %d, want %d", after.Serial, serial)
	}
	// terraform force-unlock, through the API, needs an admin's key: it
	// sends no lock id to check. OpenTofu sends the id the person typed, so
	// its force-unlock is an unlock by id, which a writer may do.
	_, version := tf.run(t, "version")
	tofu := strings.Contains(version, "OpenTofu")
	lock := func() {
		t.Helper()
		if status, body := basicRequest(t, "LOCK", state+"/lock", key, []byte(`{"ID":"left-behind","Who":"gone@host"}`)); status != http.StatusOK {
			t.Fatalf("LOCK: %d %s", status, body)
		}
	}
	lock()
	code, out = tf.run(t, "force-unlock", "-force", "left-behind")
	switch {
	case !tofu && code == 0:
		t.Errorf("terraform force-unlock with a developer's key: exit 0, want a refusal\n%s", out)
	case tofu && code != 0:
		t.Errorf("OpenTofu's force-unlock (an unlock by id) with a developer's key: exit %d\n%s", code, out)
	case tofu:
		lock()
	}
	admin := newTerraform(t, bin, work, cp.key(t, "ops", "admin"))
	if out := admin.must(t, "force-unlock", "-force", "left-behind"); !strings.Contains(out, "successfully unlocked") {
		t.Errorf("terraform force-unlock with an admin's key:\n%s", out)
	}
	if time.Since(begin) > 50*time.Second {
		t.Errorf("the scenario took %s; keep it well under a minute", time.Since(begin).Round(time.Second))
	}
}
