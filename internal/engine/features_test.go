package engine_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/executor/local"
	"github.com/sluice-ci/sluice/internal/store"
)

func TestMatrixEnvironmentVarsAndContinueOnError(t *testing.T) {
	h := newHarness(t)
	src := `version: 1
env: { GREETING: hello }
jobs:
  test:
    matrix: { go: ["1.22", "1.23"], os: [linux] }
    env: { LABEL: "${{ matrix.go }}-${{ matrix.os }}" }
    steps:
      - run: echo "label=$LABEL matrix=$MATRIX_GO region=$REGION greeting=$GREETING"
  optional:
    continue_on_error: true
    steps: [{ run: "exit 1" }]
  after:
    needs: [test, optional]
    steps: [{ run: "echo after-ran" }]
environments:
  staging: { vars: { REGION: eu-1 } }
`
	run, err := h.engine(2).Run(context.Background(), engine.Request{
		Pipeline: h.pipeline(src), Source: []byte(src), File: "sluice.yaml", Workdir: h.dir,
		Environment: "staging", BaseEnv: map[string]string{"PATH": os.Getenv("PATH")},
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := h.logText(run)
	if run.Status != store.StatusSucceeded {
		t.Fatalf("run = %s (%s)\n%s", run.Status, run.Error, logs)
	}
	for _, want := range []string{
		"test[go=1.22,os=linux]|label=1.22-linux matrix=1.22 region=eu-1 greeting=hello",
		"test[go=1.23,os=linux]|label=1.23-linux matrix=1.23 region=eu-1 greeting=hello",
		"after|after-ran",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if j := h.jobs(run)["optional"]; j.Status != store.StatusFailed {
		t.Errorf("optional = %s", j.Status)
	}
}

func TestHugeOutputIsCappedAndDrained(t *testing.T) {
	h := newHarness(t)
	src := `version: 1
jobs:
  noisy: { steps: [{ run: "head -c 50000000 /dev/zero | tr '\\0' x | fold -w 100; echo done-writing" }] }
`
	eng := engine.New(engine.Options{Store: h.st, Executor: local.New(local.Options{}), StateDir: h.data, MaxLogBytes: 1 << 20})
	run, err := eng.Run(context.Background(), engine.Request{
		Pipeline: h.pipeline(src), Source: []byte(src), File: "sluice.yaml", Workdir: h.dir,
		BaseEnv: map[string]string{"PATH": os.Getenv("PATH")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != store.StatusSucceeded {
		t.Fatalf("run = %s", run.Status)
	}
	lines, err := h.st.Logs().ReadLogs(context.Background(), store.LogQuery{RunID: run.ID, JobID: "noisy"})
	if err != nil {
		t.Fatal(err)
	}
	var total int
	truncated := false
	for _, l := range lines {
		total += len(l.Text) + 1
		if l.Stream == store.System && strings.Contains(l.Text, "log truncated") {
			truncated = true
		}
	}
	if !truncated || total > 2<<20 {
		t.Fatalf("stored %d bytes in %d lines, truncated notice: %v", total, len(lines), truncated)
	}
}
