package engine_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/executor/local"
	"github.com/sluice-ci/sluice/internal/pipeline/lint"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
)

// harness runs pipelines with the real store and the real local executor.
type harness struct {
	t      *testing.T
	dir    string // workspace
	data   string
	st     store.Store
	mu     sync.Mutex
	events []engine.Event
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), data: t.TempDir()}
	st, err := sqlstore.Open(context.Background(), h.data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	return h
}

func (h *harness) engine(parallel int) *engine.Engine {
	return engine.New(engine.Options{
		Store: h.st, Executor: local.New(local.Options{}), Parallel: parallel,
		StateDir: h.data, Grace: time.Second,
		Observer: func(ev engine.Event) {
			h.mu.Lock()
			h.events = append(h.events, ev)
			h.mu.Unlock()
		},
	})
}

func (h *harness) pipeline(src string) *spec.Pipeline {
	h.t.Helper()
	p, diags := spec.Parse("sluice.yaml", []byte(src))
	if !diags.HasErrors() {
		diags = append(diags, lint.Check(p)...)
	}
	if diags.HasErrors() {
		h.t.Fatalf("pipeline: %v", diags)
	}
	return p
}

func (h *harness) run(ctx context.Context, src string, parallel int, secrets map[string]string) *store.Run {
	h.t.Helper()
	run, err := h.engine(parallel).Run(ctx, engine.Request{
		Pipeline: h.pipeline(src), Source: []byte(src), File: "sluice.yaml", Workdir: h.dir,
		Secrets: secrets, BaseEnv: map[string]string{"PATH": os.Getenv("PATH")},
	})
	if err != nil {
		h.t.Fatalf("run: %v", err)
	}
	return run
}

func (h *harness) jobs(run *store.Run) map[string]*store.Job {
	h.t.Helper()
	jobs, err := h.st.Jobs().ListJobs(context.Background(), run.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]*store.Job{}
	for _, j := range jobs {
		out[j.ID] = j
	}
	return out
}

func (h *harness) logText(run *store.Run) string {
	h.t.Helper()
	lines, err := h.st.Logs().ReadLogs(context.Background(), store.LogQuery{RunID: run.ID})
	if err != nil {
		h.t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.JobID + "|" + l.Text + "\n")
	}
	return b.String()
}

func TestDAGOrderParallelismAndSkips(t *testing.T) {
	h := newHarness(t)
	// a and b are independent and each sleep; if they run in parallel the
	// overlap shows in their recorded times. c needs both. bad fails, so
	// after_bad is skipped, and cleanup (if: always()) still runs.
	src := `version: 1
name: dag
jobs:
  a: { steps: [{ run: "sleep 0.5; date +%s%N > a.done" }] }
  b: { steps: [{ run: "sleep 0.5; date +%s%N > b.done" }] }
  c:
    needs: [a, b]
    steps: [{ run: "test -f a.done && test -f b.done && echo both-done" }]
  bad: { steps: [{ run: "echo failing; exit 3" }] }
  after_bad: { needs: [bad], steps: [{ run: "echo should-not-run" }] }
  cleanup: { needs: [bad], if: "always()", steps: [{ run: "echo cleanup-ran" }] }
`
	run := h.run(context.Background(), src, 4, nil)
	if run.Status != store.StatusFailed {
		t.Fatalf("run status = %s, want failed", run.Status)
	}
	jobs := h.jobs(run)
	want := map[string]store.Status{"a": store.StatusSucceeded, "b": store.StatusSucceeded, "c": store.StatusSucceeded,
		"bad": store.StatusFailed, "after_bad": store.StatusSkipped, "cleanup": store.StatusSucceeded}
	for id, st := range want {
		if jobs[id].Status != st {
			t.Errorf("job %s = %s (%s), want %s", id, jobs[id].Status, jobs[id].Reason, st)
		}
	}
	if r := jobs["after_bad"].Reason; r != "needs bad (failed)" {
		t.Errorf("after_bad reason = %q", r)
	}
	if jobs["bad"].ExitCode != 3 {
		t.Errorf("bad exit code = %d, want 3", jobs["bad"].ExitCode)
	}
	// Parallel: a and b overlapped in time.
	a, b := jobs["a"], jobs["b"]
	if !(a.StartedAt.Before(b.FinishedAt) && b.StartedAt.Before(a.FinishedAt)) {
		t.Errorf("a [%v..%v] and b [%v..%v] did not overlap", a.StartedAt, a.FinishedAt, b.StartedAt, b.FinishedAt)
	}
	// Order: c started only after both finished.
	if c := jobs["c"]; c.StartedAt.Before(a.FinishedAt) || c.StartedAt.Before(b.FinishedAt) {
		t.Errorf("c started at %v before its needs finished (%v, %v)", c.StartedAt, a.FinishedAt, b.FinishedAt)
	}
	logs := h.logText(run)
	for _, s := range []string{"c|both-done", "cleanup|cleanup-ran", "bad|failing"} {
		if !strings.Contains(logs, s) {
			t.Errorf("logs lack %q:\n%s", s, logs)
		}
	}
	if strings.Contains(logs, "should-not-run") {
		t.Errorf("skipped job ran:\n%s", logs)
	}
}

func TestReadinessNotLevels(t *testing.T) {
	// slow and fast start together; after_fast needs only fast and must start
	// (and finish) while slow still runs.
	h := newHarness(t)
	src := `version: 1
jobs:
  slow: { steps: [{ run: "sleep 1.5" }] }
  fast: { steps: [{ run: "true" }] }
  after_fast: { needs: [fast], steps: [{ run: "true" }] }
`
	run := h.run(context.Background(), src, 4, nil)
	jobs := h.jobs(run)
	if run.Status != store.StatusSucceeded {
		t.Fatalf("status %s", run.Status)
	}
	if !jobs["after_fast"].FinishedAt.Before(jobs["slow"].FinishedAt) {
		t.Fatalf("after_fast waited for slow: finished %v, slow finished %v", jobs["after_fast"].FinishedAt, jobs["slow"].FinishedAt)
	}
}

func TestParallelismIsBounded(t *testing.T) {
	h := newHarness(t)
	var b strings.Builder
	b.WriteString("version: 1\njobs:\n")
	for _, id := range []string{"j1", "j2", "j3", "j4", "j5", "j6"} {
		b.WriteString("  " + id + `: { steps: [{ run: "mkdir running.lock.$SLUICE_JOB && shopt -s nullglob && a=(running.lock.*) && echo ${#a[@]} >> counts; sleep 0.2; rmdir running.lock.$SLUICE_JOB" }] }` + "\n")
	}
	run := h.run(context.Background(), b.String(), 2, nil)
	if run.Status != store.StatusSucceeded {
		t.Fatalf("status %s: %s", run.Status, h.logText(run))
	}
	data, err := os.ReadFile(filepath.Join(h.dir, "counts"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(data)) {
		if f != "1" && f != "2" {
			t.Fatalf("saw %s jobs at once with --parallel 2: %q", f, data)
		}
	}
}

func TestSecretsAreMaskedEverywhere(t *testing.T) {
	h := newHarness(t)
	secret := "s3cr3t-Val/ue+42" // sluice:ignore (a fake secret the test masks)
	src := `version: 1
jobs:
  leak:
    outputs: [token]
    steps:
      - run: |
          echo "raw: $TOKEN"
          echo "stderr: $TOKEN" >&2
          printf 'b64: %s\n' "$(printf '%s' "$TOKEN" | base64)"
          printf 'b64-embedded: %s\n' "$(printf 'user:%s' "$TOKEN" | base64)"
          printf 'url: %s\n' "` + url.QueryEscape(secret) + `"
          echo "token=$TOKEN" >> "$SLUICE_OUTPUT"
`
	run := h.run(context.Background(), src, 1, map[string]string{"TOKEN": secret})
	if run.Status != store.StatusSucceeded {
		t.Fatalf("status %s", run.Status)
	}
	forms := []string{
		secret,
		base64.StdEncoding.EncodeToString([]byte(secret)),
		url.QueryEscape(secret),
		strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("user:"+secret)), "=")[8:20],
	}
	logs := h.logText(run)
	if !strings.Contains(logs, "raw: ***") {
		t.Fatalf("raw form not masked as ***:\n%s", logs)
	}
	var events strings.Builder
	h.mu.Lock()
	for _, ev := range h.events {
		events.WriteString(ev.Text + "\n")
	}
	h.mu.Unlock()
	outputs := h.jobs(run)["leak"].Outputs["token"]
	for _, f := range forms {
		if strings.Contains(logs, f) {
			t.Errorf("stored logs contain secret form %q:\n%s", f, logs)
		}
		if strings.Contains(events.String(), f) {
			t.Errorf("printed events contain secret form %q", f)
		}
		if strings.Contains(outputs, f) {
			t.Errorf("stored output contains secret form %q", f)
		}
	}
	// Nothing in the whole data folder holds the secret in clear.
	err := filepath.Walk(h.data, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), secret) {
			t.Errorf("%s contains the secret in clear", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOutputsArtifactsRetryAndTimeout(t *testing.T) {
	h := newHarness(t)
	src := `version: 1
jobs:
  produce:
    outputs: [version]
    artifacts: [dist/app.txt]
    steps:
      - run: mkdir -p dist && echo built > dist/app.txt
      - run: echo "version=1.2.3" >> "$SLUICE_OUTPUT"
  consume:
    needs: [produce]
    env: { V: "${{ needs.produce.outputs.version }}" }
    steps:
      - run: test "$V" = 1.2.3 && cat dist/app.txt
  flaky:
    steps:
      - run: 'n=$(cat tries 2>/dev/null || echo 0); echo $((n+1)) > tries; test $n -ge 2'
        retry: { attempts: 3, backoff: 10ms }
  slow:
    steps:
      - run: sleep 30
        timeout: 300ms
`
	run := h.run(context.Background(), src, 4, nil)
	jobs := h.jobs(run)
	if jobs["consume"].Status != store.StatusSucceeded {
		t.Errorf("consume = %s (%s)\n%s", jobs["consume"].Status, jobs["consume"].Reason, h.logText(run))
	}
	if jobs["produce"].Outputs["version"] != "1.2.3" {
		t.Errorf("outputs = %v", jobs["produce"].Outputs)
	}
	arts, err := h.st.Artifacts().ListArtifacts(context.Background(), run.ID, "produce")
	if err != nil || len(arts) != 1 || arts[0].Path != "dist/app.txt" {
		t.Fatalf("artifacts = %v, %v", arts, err)
	}
	if jobs["flaky"].Status != store.StatusSucceeded {
		t.Errorf("flaky = %s (%s)", jobs["flaky"].Status, jobs["flaky"].Reason)
	}
	steps, _ := h.st.Steps().ListSteps(context.Background(), run.ID, "flaky")
	if len(steps) != 1 || steps[0].Attempts != 3 {
		t.Errorf("flaky attempts = %+v", steps)
	}
	if jobs["slow"].Status != store.StatusFailed || !strings.Contains(jobs["slow"].Reason, "timed out") {
		t.Errorf("slow = %s (%s)", jobs["slow"].Status, jobs["slow"].Reason)
	}
	if d := jobs["slow"].FinishedAt.Sub(jobs["slow"].StartedAt); d > 5*time.Second {
		t.Errorf("timed-out step took %v", d)
	}
}

func TestCancelKillsStepsAndMarksRunCancelled(t *testing.T) {
	h := newHarness(t)
	src := `version: 1
jobs:
  long: { steps: [{ run: "trap '' TERM; sleep 60" }] }
  later: { needs: [long], steps: [{ run: "true" }] }
`
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(500 * time.Millisecond); cancel() }()
	start := time.Now()
	run := h.run(ctx, src, 2, nil)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("cancel took %v", took)
	}
	if run.Status != store.StatusCancelled {
		t.Fatalf("run = %s", run.Status)
	}
	jobs := h.jobs(run)
	if jobs["long"].Status != store.StatusCancelled || jobs["later"].Status != store.StatusCancelled {
		t.Fatalf("long = %s, later = %s", jobs["long"].Status, jobs["later"].Status)
	}
}

func TestResumeKeepsSucceededJobs(t *testing.T) {
	h := newHarness(t)
	src := `version: 1
jobs:
  first: { steps: [{ run: "echo x >> first.count" }] }
  second: { needs: [first], steps: [{ run: "test -f ok" }] }
`
	run := h.run(context.Background(), src, 2, nil)
	if run.Status != store.StatusFailed {
		t.Fatalf("first attempt = %s", run.Status)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "ok"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	resumed, err := h.engine(2).Resume(context.Background(), run.ID, engine.ResumeRequest{BaseEnv: map[string]string{"PATH": os.Getenv("PATH")}})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Status != store.StatusSucceeded || resumed.Attempt != 2 || resumed.Number != run.Number {
		t.Fatalf("resumed = %s attempt %d number %d", resumed.Status, resumed.Attempt, resumed.Number)
	}
	data, _ := os.ReadFile(filepath.Join(h.dir, "first.count"))
	if strings.Count(string(data), "x") != 1 {
		t.Fatalf("first ran again on resume: %q", data)
	}
	if _, err := h.engine(1).Resume(context.Background(), run.ID, engine.ResumeRequest{}); err == nil {
		t.Fatal("resuming a succeeded run should fail")
	}
}
