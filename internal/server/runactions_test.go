package server

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// TestCancelRun: a developer cancels a run this server executes; the
// engine stops its step and records the run cancelled, and the cancel is
// audited with the key's name. Keys without runs:cancel on the project
// are refused.
func TestCancelRun(t *testing.T) {
	fx := newFixture(t)
	commit := fx.testRepo("goodbooks", "version: 1\njobs:\n  slow: { steps: [{ run: 'sleep 60' }] }\n")
	dev := fx.mkKey("dana", "developer@goodbooks")
	id := fx.trigger(dev, "goodbooks", commit)
	fx.waitRun(id, func(r *store.Run) bool { return r.Status == store.StatusRunning })

	for name, key := range map[string]string{
		"viewer":           fx.mkKey("v", "viewer"),
		"approver":         fx.mkKey("a", "approver"),
		"other project":    fx.mkKey("o", "developer@other"),
		"other env scoped": fx.mkKey("e", "developer@goodbooks/staging"),
	} {
		if res, body := fx.do("POST", "/api/v1/runs/"+id+"/cancel", key, nil, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s cancels: %d %s, want 403", name, res.StatusCode, body)
		}
	}
	start := time.Now()
	res, body := fx.do("POST", "/api/v1/runs/"+id+"/cancel", dev, nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status": "cancelled"`) {
		t.Fatalf("cancel: %d %s", res.StatusCode, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the cancel took %s", d)
	}
	run := fx.waitRun(id, final)
	if run.Status != store.StatusCancelled {
		t.Errorf("run %s, want cancelled", run.Status)
	}
	if recs := fx.audited("run/"+id, "run.cancel"); len(recs) != 1 || recs[0].Actor != "dana" {
		t.Errorf("cancel audit: %+v", recs)
	}
	if res, body := fx.do("POST", "/api/v1/runs/"+id+"/cancel", dev, nil, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("cancel an ended run: %d %s, want 409", res.StatusCode, body)
	}
	if res, _ := fx.do("POST", "/api/v1/runs/nosuchrun/cancel", fx.mkKey("admin", "admin"), nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("cancel an unknown run: %d, want 404", res.StatusCode)
	}
}

// TestCancelRunOfAnotherProcess: a run executed by another live process
// (it holds the run's lock) is refused with 409 and left alone; a run
// whose process is gone is marked interrupted by the engine's recovery.
func TestCancelRunOfAnotherProcess(t *testing.T) {
	fx := newFixture(t)
	admin := fx.mkKey("admin", "admin")
	host, _ := os.Hostname()

	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	live := &store.Run{Status: store.StatusRunning, PID: other.Process.Pid, Host: host, CreatedAt: time.Now()}
	if err := fx.st.Runs().CreateRun(t.Context(), live); err != nil {
		t.Fatal(err)
	}
	// The executing process holds the run's lock in the data folder's
	// locks/ (engine.Options.StateDir); here the test holds it for it.
	lock := filepath.Join(fx.data, "locks", live.ID+".lock")
	if err := os.MkdirAll(filepath.Dir(lock), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(lock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	res, body := fx.do("POST", "/api/v1/runs/"+live.ID+"/cancel", admin, nil, nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(string(body), "another sluice process") {
		t.Errorf("cancel another process's run: %d %s, want 409", res.StatusCode, body)
	}
	if cur, _ := fx.st.Runs().GetRun(t.Context(), live.ID); cur.Status != store.StatusRunning {
		t.Errorf("another process's run became %s", cur.Status)
	}

	gone := &store.Run{Status: store.StatusRunning, PID: 1 << 22, Host: host, CreatedAt: time.Now()}
	if err := fx.st.Runs().CreateRun(t.Context(), gone); err != nil {
		t.Fatal(err)
	}
	res, body = fx.do("POST", "/api/v1/runs/"+gone.ID+"/cancel", admin, nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status": "interrupted"`) {
		t.Fatalf("cancel an abandoned run: %d %s", res.StatusCode, body)
	}
	if cur, _ := fx.st.Runs().GetRun(t.Context(), gone.ID); cur.Status != store.StatusInterrupted {
		t.Errorf("the abandoned run is %s", cur.Status)
	}
	if recs := fx.audited("run/"+gone.ID, "run.cancel"); len(recs) != 1 || recs[0].Actor != "admin" {
		t.Errorf("cancel audit: %+v", recs)
	}
}

// TestRerunRun: a rerun is a new run of the same commit as the key's
// name, in a fresh workspace; failed_only is a new attempt of the same
// run in its workspace that runs only the jobs that did not succeed.
func TestRerunRun(t *testing.T) {
	fx := newFixture(t)
	// flaky fails the first time it runs in a workspace, then passes.
	commit := fx.testRepo("goodbooks", `version: 1
jobs:
  ok: { steps: [{ run: 'echo ok' }] }
  flaky: { steps: [{ run: 'if [ -f marker ]; then echo second; else touch marker; exit 1; fi' }] }
`)
	dev := fx.mkKey("dana", "developer@goodbooks")
	first := fx.waitRun(fx.trigger(dev, "goodbooks", commit), final)
	if first.Status != store.StatusFailed {
		t.Fatalf("first run %s: %s", first.Status, first.Error)
	}
	for name, key := range map[string]string{"viewer": fx.mkKey("v", "viewer"), "approver": fx.mkKey("a", "approver"),
		"other project": fx.mkKey("o", "developer@other")} {
		if res, _ := fx.do("POST", "/api/v1/runs/"+first.ID+"/rerun", key, nil, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s reruns: %d, want 403", name, res.StatusCode)
		}
	}
	ci := fx.mkKey("ci", "developer@goodbooks")
	res, body := fx.do("POST", "/api/v1/runs/"+first.ID+"/rerun", ci, nil, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("rerun: %d %s", res.StatusCode, body)
	}
	var created struct {
		Run     string `json:"run"`
		RerunOf string `json:"rerun_of"`
		Attempt int    `json:"attempt"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	again := fx.waitRun(created.Run, final)
	if again.ID == first.ID || created.RerunOf != first.ID || again.Commit != commit || again.Actor != "ci" ||
		again.Event != first.Event || again.Branch != first.Branch || again.Workdir == first.Workdir {
		t.Errorf("rerun: %+v\nof %+v", again, first)
	}
	if again.Status != store.StatusFailed {
		t.Errorf("a rerun in a fresh workspace: %s, want failed like the first", again.Status)
	}
	if recs := fx.audited("run/"+again.ID, "run.rerun"); len(recs) != 1 || recs[0].Actor != "ci" || recs[0].Data["of"] != first.ID {
		t.Errorf("rerun audit: %+v", recs)
	}

	// Only some jobs.
	res, body = fx.do("POST", "/api/v1/runs/"+first.ID+"/rerun", ci, map[string]any{"jobs": []string{"ok"}}, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("rerun of ok: %d %s", res.StatusCode, body)
	}
	_ = json.Unmarshal(body, &created)
	if only := fx.waitRun(created.Run, final); only.Status != store.StatusSucceeded || strings.Join(only.SelectedJobs, ",") != "ok" {
		t.Errorf("rerun of ok: %s %v", only.Status, only.SelectedJobs)
	}

	// The failed jobs only, in the run's own workspace: flaky passes now.
	res, body = fx.do("POST", "/api/v1/runs/"+first.ID+"/rerun", ci, map[string]any{"failed_only": true}, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("rerun failed_only: %d %s", res.StatusCode, body)
	}
	_ = json.Unmarshal(body, &created)
	if created.Run != first.ID || created.Attempt != 2 {
		t.Errorf("failed_only answered %+v", created)
	}
	resumed := fx.waitRun(first.ID, func(r *store.Run) bool { return r.Attempt == 2 && r.Status.Final() })
	if resumed.Status != store.StatusSucceeded {
		t.Errorf("resumed run: %s %s", resumed.Status, resumed.Error)
	}
	jobs, _ := fx.st.Jobs().ListJobs(t.Context(), first.ID)
	for _, j := range jobs {
		if j.ID == "ok" && j.Attempt != 1 {
			t.Errorf("job ok ran again (attempt %d)", j.Attempt)
		}
	}
	if res, body := fx.do("POST", "/api/v1/runs/"+first.ID+"/rerun", ci, map[string]any{"failed_only": true}, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("failed_only of a run that succeeded: %d %s, want 409", res.StatusCode, body)
	}

	// A run started in a workspace with sluice run has no project.
	cli := &store.Run{Status: store.StatusFailed, Commit: commit, CreatedAt: time.Now()}
	if err := fx.st.Runs().CreateRun(t.Context(), cli); err != nil {
		t.Fatal(err)
	}
	admin := fx.mkKey("admin", "admin")
	if res, body := fx.do("POST", "/api/v1/runs/"+cli.ID+"/rerun", admin, nil, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("rerun of a CLI run: %d %s, want 409", res.StatusCode, body)
	}
	if res, _ := fx.do("POST", "/api/v1/runs/"+first.ID+"/rerun", ci, []byte(`{"jobs":["ok"],"all":true}`), nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown field: %d, want 400", res.StatusCode)
	}
}
