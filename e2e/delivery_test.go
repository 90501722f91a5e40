//go:build linux

package e2e

// Progressive delivery end to end: the real sluice binary deploys real
// builds of the goodbooks example as real processes behind the real
// gateway, while a load generator sends GET /books over loopback the whole
// time and counts every answer per release. Each test has its own project
// folder, hence its own data folder, gateway and ports; its cleanup kills
// every process whose command line names that folder (the gateway, and
// the replicas, which run from the artifacts kept in the data folder).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/examples"
	"github.com/sluice-ci/sluice/internal/delivery/load"
)

// dlWait bounds every poll: generous, for a loaded two-core machine.
const dlWait = 60 * time.Second

// dlBuilds are the goodbooks variants the tests deploy.
type dlBuilds struct {
	v1, v2 string // good builds with different digests
	bad    string // answers 30% of GET /books with 500
	slow   string // answers GET /books 300ms late
	// unhealthy is a script that starts and never listens, so it never
	// passes its health check.
	unhealthy string
}

var (
	dlOnce  sync.Once
	dlBuilt dlBuilds
	dlErr   error
)

// goodbooksBuilds builds the variants once per test binary, beside the
// sluice binary (TestMain removes that folder at the end).
func goodbooksBuilds(t *testing.T) dlBuilds {
	t.Helper()
	dlOnce.Do(func() {
		dlBuilt, dlErr = buildGoodbooks(filepath.Join(filepath.Dir(sluiceBin), "goodbooks"))
	})
	if dlErr != nil {
		t.Fatalf("build the goodbooks variants: %v", dlErr)
	}
	return dlBuilt
}

func buildGoodbooks(dir string) (dlBuilds, error) {
	src := filepath.Join(dir, "src")
	root, err := examples.GoodbooksFS()
	if err != nil {
		return dlBuilds{}, err
	}
	if err := os.CopyFS(src, root); err != nil {
		return dlBuilds{}, fmt.Errorf("copy goodbooks: %w", err)
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), examples.GoModFile(), 0o644); err != nil {
		return dlBuilds{}, err
	}
	b := dlBuilds{
		v1: filepath.Join(dir, "goodbooks-v1"), v2: filepath.Join(dir, "goodbooks-v2"),
		bad: filepath.Join(dir, "goodbooks-bad"), slow: filepath.Join(dir, "goodbooks-slow"),
		unhealthy: filepath.Join(dir, "never-healthy.sh"),
	}
	script := "#!/bin/sh\n# Starts and never listens: a build that fails its health check.\nsleep 60\n"
	if err := os.WriteFile(b.unhealthy, []byte(script), 0o755); err != nil {
		return dlBuilds{}, err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return dlBuilds{}, fmt.Errorf("the go tool is needed to build goodbooks: %w", err)
	}
	variants := []struct{ out, ldflags string }{
		{b.v1, "-X main.version=1.0.0"},
		{b.v2, "-X main.version=2.0.0"},
		{b.bad, "-X main.version=bad -X main.faultRate=0.3"},
		{b.slow, "-X main.version=slow -X main.faultDelay=300ms"},
	}
	errs := make([]error, len(variants))
	var wg sync.WaitGroup
	for i, v := range variants {
		wg.Go(func() {
			cmd := exec.Command(goTool, "build", "-ldflags", v.ldflags, "-o", v.out, "./cmd/goodbooks")
			cmd.Dir, cmd.Env = src, append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go build %s: %v\n%s", v.ldflags, err, out)
			}
		})
	}
	wg.Wait()
	return b, errors.Join(errs...)
}

// dlProject is one test's project: a pipeline with a deploy: section and
// the environments under test, and its data folder.
type dlProject struct {
	t         *testing.T
	dir, data string
}

// newDLProject writes sluice.yaml with replicas, extra health keys (like
// ", startup_timeout: 2s") and the environments block, and arranges that
// every process started for it is killed when the test ends.
func newDLProject(t *testing.T, replicas int, health, environments string) *dlProject {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", fmt.Sprintf(`version: 1
name: delivery-e2e
jobs:
  noop:
    steps:
      - run: "true"
deploy:
  run: ["${ARTIFACT}", "--addr", "127.0.0.1:${PORT}"]
  replicas: %d
  health: { path: /healthz, interval: 100ms%s }
  smoke:
    - name: address given
      run: test -n "$URL"
environments:
%s`, replicas, health, environments))
	p := &dlProject{t: t, dir: dir, data: filepath.Join(dir, ".sluice")}
	t.Cleanup(func() {
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(p.data, "gateway", "gateway.log")); err == nil && len(log) > 0 {
				t.Logf("gateway.log:\n%s", tail(string(log), 3000))
			}
		}
		p.killAll()
	})
	return p
}

// killAll kills every process whose command line names the project folder
// (with its process group: the replicas lead their own), by pid.
func (p *dlProject) killAll() {
	marker := p.dir + string(os.PathSeparator)
	for range 50 {
		pids := pidsWith(marker)
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Errorf("processes of %s still run after the cleanup: %v", p.dir, pidsWith(marker))
}

// pidsWith lists the processes (not this one) whose command line contains sub.
func pidsWith(sub string) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(strings.ReplaceAll(string(data), "\x00", " "), sub) {
			out = append(out, pid)
		}
	}
	slices.Sort(out)
	return out
}

// pidsOf lists the running processes of a release (they run its artifact
// from releases/<id>/ in the data folder).
func (p *dlProject) pidsOf(releaseID string) []int {
	return pidsWith(filepath.Join(p.data, "releases", releaseID) + string(os.PathSeparator))
}

// deploy runs sluice deploy --env env --artifact artifact and more args.
func (p *dlProject) deploy(env, artifact string, args ...string) *result {
	p.t.Helper()
	return sluice(p.t, p.dir, append([]string{"deploy", "--env", env, "--artifact", artifact}, args...)...)
}

// dlStatus is what the tests read of sluice status --json.
type dlStatus struct {
	URL       string           `json:"url"`
	Gateway   string           `json:"gateway"`
	Live      *dlReleaseStatus `json:"live"`
	Previous  *dlReleaseStatus `json:"previous"`
	Candidate *dlReleaseStatus `json:"candidate"`
	Stalled   bool             `json:"stalled"`
}

type dlReleaseStatus struct {
	ID       string `json:"id"`
	Version  string `json:"version"`
	State    string `json:"state"`
	Message  string `json:"message"`
	Replicas int    `json:"replicas"`
	Running  int    `json:"running"`
}

func (p *dlProject) status(env string) *dlStatus {
	p.t.Helper()
	r := sluice(p.t, p.dir, "status", "--env", env, "--json")
	expectCode(p.t, r, 0)
	var sts []dlStatus
	if err := json.Unmarshal([]byte(r.stdout), &sts); err != nil || len(sts) != 1 {
		p.t.Fatalf("status --json: want one environment (err %v)\n%s", err, r)
	}
	return &sts[0]
}

// expectLive fails the test unless version is env's live release with
// running replicas and no candidate is left, and returns the status.
func (p *dlProject) expectLive(env, version string, running int) *dlStatus {
	p.t.Helper()
	st := p.status(env)
	switch {
	case st.Live == nil:
		p.t.Fatalf("status of %s: nothing live; want %s", env, version)
	case st.Live.Version != version || st.Live.Running != running:
		p.t.Fatalf("status of %s: live %s (%s, %d/%d running); want %s with %d running", env, st.Live.Version, st.Live.State,
			st.Live.Running, st.Live.Replicas, version, running)
	case st.Candidate != nil:
		// Not fatal: the rest of the test still tells what works.
		p.t.Errorf("status of %s: candidate %s (%s, stalled %v) left over: %s", env, st.Candidate.Version, st.Candidate.State,
			st.Stalled, st.Candidate.Message)
	}
	return st
}

// dlRelease is one entry of sluice history --json.
type dlRelease struct {
	ID, Version, State string
}

// release returns the newest release of env with version.
func (p *dlProject) release(env, version string) dlRelease {
	p.t.Helper()
	r := sluice(p.t, p.dir, "history", "--env", env, "--json")
	expectCode(p.t, r, 0)
	var rels []dlRelease
	if err := json.Unmarshal([]byte(r.stdout), &rels); err != nil {
		p.t.Fatalf("history --json: %v\n%s", err, r)
	}
	for _, rel := range rels {
		if rel.Version == version {
			return rel
		}
	}
	p.t.Fatalf("history of %s has no version %s\n%s", env, version, r)
	return dlRelease{}
}

// releaseState returns the state of the newest release of env with version.
func (p *dlProject) releaseState(env, version string) string { return p.release(env, version).State }

// startLoad sends steady GET /books load to an environment until the test
// ends (or Stop), and waits until it gets answers.
func startLoad(t *testing.T, url string, workers int) *load.Generator {
	t.Helper()
	g := load.Start(context.Background(), load.Options{URL: url + "/books", Workers: workers, Pause: 10 * time.Millisecond, Timeout: 20 * time.Second})
	t.Cleanup(func() { g.Stop() })
	waitFor(t, dlWait, "the load to get answers", func() bool { return g.Snapshot().Requests >= 20 },
		func() string { return fmt.Sprintf("%+v", g.Snapshot()) })
	return g
}

// expectNoFailures fails the test when any request of c failed.
func expectNoFailures(t *testing.T, c load.Counts, when string) {
	t.Helper()
	if c.Failed != 0 {
		t.Errorf("%s: %d of %d requests failed (5xx per release %v, transport errors %q)", when, c.Failed, c.Requests, c.FailedByRelease, c.Errors)
	}
}

// loadGrows waits until the load has answered at least n more requests.
func loadGrows(t *testing.T, g *load.Generator, n int64) {
	t.Helper()
	from := g.Snapshot().Requests
	waitFor(t, dlWait, fmt.Sprintf("%d more requests", n), func() bool { return g.Snapshot().Requests >= from+n },
		func() string { return fmt.Sprintf("%+v", g.Snapshot()) })
}

// eventTime returns the time of the first event line of deploy output
// (which starts "15:04:05.000 ") that contains sub.
func eventTime(out, sub string) (time.Time, bool) {
	for line := range strings.SplitSeq(out, "\n") {
		if !strings.Contains(line, sub) {
			continue
		}
		stamp, _, _ := strings.Cut(line, " ")
		if tm, err := time.Parse("15:04:05.000", stamp); err == nil {
			return tm, true
		}
	}
	return time.Time{}, false
}

// measuredRate is how a failed analysis reports the success rate it saw.
var measuredRate = regexp.MustCompile(`success_rate >= 99% failed: measured [0-9.]+% over [0-9]+ requests`)

// TestDeliveryBlueGreenUnderLoad switches an environment between two builds
// seven times while steady load runs: not one request may fail, and every
// release must have answered.
func TestDeliveryBlueGreenUnderLoad(t *testing.T) {
	t.Parallel()
	b := goodbooksBuilds(t)
	p := newDLProject(t, 2, "", "  web:\n    strategy: blue-green\n")
	expectCode(t, p.deploy("web", b.v1, "--version", "1"), 0)
	st := p.expectLive("web", "1", 2)
	gen := startLoad(t, st.URL, 6)

	ids := map[string]string{st.Live.ID: "1"}
	const switches = 6
	for i := 2; i <= switches+1; i++ {
		art := b.v2
		if i%2 == 1 {
			art = b.v1
		}
		r := p.deploy("web", art, "--version", itoa(i))
		expectCode(t, r, 0)
		expectContains(t, r, "deploy output", r.stdout, "switched all traffic to "+itoa(i))
		st = p.expectLive("web", itoa(i), 2)
		ids[st.Live.ID] = itoa(i)
		waitFor(t, dlWait, "traffic to version "+itoa(i), func() bool { return gen.Snapshot().ByRelease[st.Live.ID] > 0 },
			func() string { return fmt.Sprintf("%+v", gen.Snapshot()) })
	}
	if st.Previous == nil || st.Previous.Version != itoa(switches) || st.Previous.Running != 2 {
		t.Errorf("previous release: %+v; want version %d kept warm with 2 replicas", st.Previous, switches)
	}
	c := gen.Stop()
	expectNoFailures(t, c, "blue-green switches")
	for id, v := range ids {
		if c.ByRelease[id] == 0 {
			t.Errorf("version %s (%s) answered no request; answers per release: %v", v, id, c.ByRelease)
		}
	}
	if extra := len(c.ByRelease) - len(ids); extra != 0 {
		t.Errorf("answers came from %d releases that were never deployed: %v", extra, c.ByRelease)
	}
	t.Logf("blue-green: %d requests over %d switches, %d failed; per release %v", c.Requests, switches, c.Failed, c.ByRelease)
}

// dlCanaryEnv is a canary environment block with the given steps,
// interval and analysis.
func dlCanaryEnv(name, steps, interval, analysis string) string {
	return fmt.Sprintf("  %s:\n    strategy:\n      canary:\n        steps: %s\n        interval: %s\n        analysis: %s\n",
		name, steps, interval, analysis)
}

// TestDeliveryCanaryGood promotes a healthy canary step by step under load.
func TestDeliveryCanaryGood(t *testing.T) {
	t.Parallel()
	b := goodbooksBuilds(t)
	p := newDLProject(t, 2, "", dlCanaryEnv("prod", "[20, 50, 100]", "2s", `{ success_rate: ">= 99%", min_requests: 10 }`))
	expectCode(t, p.deploy("prod", b.v1, "--version", "1"), 0)
	st := p.expectLive("prod", "1", 2)
	v1 := st.Live.ID
	gen := startLoad(t, st.URL, 4)

	r := p.deploy("prod", b.v2, "--version", "2")
	expectCode(t, r, 0)
	for _, want := range []string{"step 1 of 3: 20% of traffic to 2", "step 2 of 3: 50% of traffic to 2", "promoted: all traffic to 2", "2 is live in prod"} {
		expectContains(t, r, "deploy output", r.stdout, want)
	}
	st = p.expectLive("prod", "2", 2)
	if st.Previous == nil || st.Previous.ID != v1 || st.Previous.Running != 2 {
		t.Errorf("previous release: %+v; want %s kept warm", st.Previous, v1)
	}
	if s := p.releaseState("prod", "1"); s != "superseded" {
		t.Errorf("history: version 1 is %s; want superseded", s)
	}
	loadGrows(t, gen, 20)
	c := gen.Stop()
	expectNoFailures(t, c, "good canary")
	if c.ByRelease[v1] == 0 || c.ByRelease[st.Live.ID] == 0 {
		t.Errorf("both versions should have answered: %v", c.ByRelease)
	}
	t.Logf("good canary: %d requests, %d failed; per release %v", c.Requests, c.Failed, c.ByRelease)
}

// TestDeliveryCanaryBad rolls back a canary that answers 30% of GET /books
// with 500, then refuses the quarantined artifact unless --override.
func TestDeliveryCanaryBad(t *testing.T) {
	t.Parallel()
	b := goodbooksBuilds(t)
	// A long interval: the analysis fails the canary as soon as enough
	// requests reached it, and a slow machine still gets there in time.
	p := newDLProject(t, 2, "", dlCanaryEnv("prod", "[20, 50, 100]", "5s", `{ success_rate: ">= 99%", min_requests: 10 }`))
	expectCode(t, p.deploy("prod", b.v1, "--version", "1"), 0)
	st := p.expectLive("prod", "1", 2)
	v1, v1pids := st.Live.ID, p.pidsOf(st.Live.ID)
	gen := startLoad(t, st.URL, 4)

	r := p.deploy("prod", b.bad, "--version", "bad")
	expectCode(t, r, 1)
	out := r.stdout + r.stderr
	expectContains(t, r, "deploy output", out, "rolled_back")
	if m := measuredRate.FindString(out); m == "" {
		t.Errorf("the deploy output does not give the measured success rate\n%s", r)
	} else {
		t.Logf("bad canary: %s", m)
	}
	if from, ok := eventTime(r.stdout, "progressing: step 1 of 3"); !ok {
		t.Errorf("no step 1 in the deploy output\n%s", r)
	} else if to, ok := eventTime(r.stdout, " rolled_back: "); !ok {
		t.Errorf("no rolled_back event in the deploy output\n%s", r)
	} else {
		t.Logf("bad canary: rolled back %s after its first step", to.Sub(from))
	}
	p.expectLive("prod", "1", 2)
	if got := p.pidsOf(v1); !slices.Equal(got, v1pids) {
		t.Errorf("version 1's processes changed during the canary: %v, were %v", got, v1pids)
	}
	if s := p.releaseState("prod", "bad"); s != "rolled_back" {
		t.Errorf("history: the bad release is %s; want rolled_back", s)
	}
	c := gen.Snapshot()
	if c.FailedByRelease[v1] != 0 || len(c.Errors) != 0 {
		t.Errorf("version 1 failed %d requests, transport errors %q; only the bad canary may fail", c.FailedByRelease[v1], c.Errors)
	}
	t.Logf("bad canary: %d requests, %d failed (all from the canary); per release %v", c.Requests, c.Failed, c.ByRelease)

	// The same artifact again is quarantined: refused before anything starts.
	r = p.deploy("prod", b.bad, "--version", "bad-again")
	expectCode(t, r, 1)
	out = r.stdout + r.stderr
	expectContains(t, r, "deploy output", out, "quarantined")
	expectContains(t, r, "deploy output", out, "--override")
	if strings.Contains(r.stdout, "deploying") {
		t.Errorf("the quarantined artifact was deployed\n%s", r)
	}
	// With --override it is attempted (and rolled back again).
	r = p.deploy("prod", b.bad, "--version", "bad-override", "--override")
	expectCode(t, r, 1)
	expectContains(t, r, "deploy output", r.stdout, "deploying bad-override")
	expectContains(t, r, "deploy output", r.stdout+r.stderr, "rolled_back")
	p.expectLive("prod", "1", 2)
}

// TestDeliveryMonitorRollback switches all traffic to the 5xx build (its
// smoke test passes), and the monitor window rolls back to the warm
// previous release.
func TestDeliveryMonitorRollback(t *testing.T) {
	t.Parallel()
	b := goodbooksBuilds(t)
	p := newDLProject(t, 2, "", `  prod:
    strategy: blue-green
    monitor: { duration: 5s, rollback_when: { error_rate: "> 5%" } }
`)
	expectCode(t, p.deploy("prod", b.v1, "--version", "1"), 0)
	st := p.expectLive("prod", "1", 2)
	v1, v1pids := st.Live.ID, p.pidsOf(st.Live.ID)
	gen := startLoad(t, st.URL, 4)

	r := p.deploy("prod", b.bad, "--version", "bad")
	expectCode(t, r, 1)
	expectContains(t, r, "deploy output", r.stdout, "switched all traffic to bad")
	expectContains(t, r, "deploy output", r.stdout, "rolling back: error_rate")
	expectContains(t, r, "deploy output", r.stdout, "live again after the rollback of bad")
	if from, ok := eventTime(r.stdout, "switched all traffic to bad"); ok {
		if to, ok := eventTime(r.stdout, " rolled_back: "); ok {
			t.Logf("monitor: rolled back %s after the switch", to.Sub(from))
		}
	}
	st = p.expectLive("prod", "1", 2)
	if st.Live.ID != v1 {
		t.Errorf("live release %s; want the warm %s back", st.Live.ID, v1)
	}
	if got := p.pidsOf(v1); !slices.Equal(got, v1pids) {
		t.Errorf("version 1 was restarted, not kept warm: pids %v, were %v", got, v1pids)
	}
	if s := p.releaseState("prod", "bad"); s != "rolled_back" {
		t.Errorf("history: the bad release is %s; want rolled_back", s)
	}
	before := gen.Snapshot()
	loadGrows(t, gen, 50)
	c := gen.Stop()
	if c.FailedByRelease[v1] != 0 || len(c.Errors) != 0 {
		t.Errorf("version 1 failed %d requests, transport errors %q", c.FailedByRelease[v1], c.Errors)
	}
	if c.Failed != before.Failed {
		t.Errorf("%d requests failed after the rollback", c.Failed-before.Failed)
	}
	t.Logf("monitor rollback: %d requests, %d failed during the bad window; per release %v", c.Requests, c.Failed, c.ByRelease)
}

// TestDeliveryRollingUnhealthy rolls out a build that never passes its
// health check: the live release keeps its three replicas and its traffic.
func TestDeliveryRollingUnhealthy(t *testing.T) {
	t.Parallel()
	b := goodbooksBuilds(t)
	p := newDLProject(t, 3, ", startup_timeout: 2s", "  prod:\n    strategy:\n      rolling: { max_surge: 1 }\n")
	expectCode(t, p.deploy("prod", b.v1, "--version", "1"), 0)
	st := p.expectLive("prod", "1", 3)
	v1pids := p.pidsOf(st.Live.ID)
	if len(v1pids) != 3 {
		t.Fatalf("version 1 runs %d processes %v; want 3", len(v1pids), v1pids)
	}
	gen := startLoad(t, st.URL, 4)

	r := p.deploy("prod", b.unhealthy, "--version", "never")
	expectCode(t, r, 1)
	expectContains(t, r, "deploy output", r.stdout, "did not become healthy")
	expectContains(t, r, "deploy output", r.stdout, "rolled_back")
	p.expectLive("prod", "1", 3)
	if got := p.pidsOf(st.Live.ID); !slices.Equal(got, v1pids) {
		t.Errorf("version 1's processes changed: %v, were %v", got, v1pids)
	}
	never := p.release("prod", "never")
	if never.State != "rolled_back" && never.State != "failed" {
		t.Errorf("history: the unhealthy release is %s; want rolled_back or failed", never.State)
	}
	waitFor(t, 10*time.Second, "no process of the unhealthy release left", func() bool { return len(p.pidsOf(never.ID)) == 0 },
		func() string { return fmt.Sprint(p.pidsOf(never.ID)) })
	loadGrows(t, gen, 20)
	expectNoFailures(t, gen.Snapshot(), "failed rolling update")

	// A good build then replaces the three replicas batch by batch.
	r = p.deploy("prod", b.v2, "--version", "2")
	expectCode(t, r, 0)
	expectContains(t, r, "deploy output", r.stdout, "batch 3: starting replicas 3-3 of 3")
	expectContains(t, r, "deploy output", r.stdout, "all replicas replaced by 2")
	v2 := p.expectLive("prod", "2", 3).Live.ID
	waitFor(t, 10*time.Second, "version 1's processes to stop", func() bool { return len(p.pidsOf(st.Live.ID)) == 0 },
		func() string { return fmt.Sprint(p.pidsOf(st.Live.ID)) })
	waitFor(t, dlWait, "traffic to version 2", func() bool { return gen.Snapshot().ByRelease[v2] > 0 },
		func() string { return fmt.Sprintf("%+v", gen.Snapshot()) })
	c := gen.Stop()
	expectNoFailures(t, c, "rolling updates")
	t.Logf("rolling with an unhealthy build, then a good one: %d requests, %d failed; per release %v", c.Requests, c.Failed, c.ByRelease)
}

// dlKilledCanary deploys version 2 as a canary in the background, waits
// for its first step and kills the deploying process with SIGKILL.
func dlKilledCanary(t *testing.T, p *dlProject, artifact string) *dlStatus {
	t.Helper()
	bg := startSluice(t, p.dir, nil, "deploy", "--env", "prod", "--artifact", artifact, "--version", "2")
	waitFor(t, dlWait, "the canary's first step", func() bool { return strings.Contains(bg.output(), "progressing: step 1 of 3") },
		func() string { return "deploy output:\n" + bg.output() })
	bg.kill9(t)
	st := p.status("prod")
	if st.Candidate == nil || st.Candidate.Version != "2" || st.Candidate.State != "progressing" || !st.Stalled {
		t.Fatalf("status after the controller was killed: candidate %+v, stalled %v; want version 2 progressing, stalled", st.Candidate, st.Stalled)
	}
	if st.Candidate.Running != 2 {
		t.Errorf("the candidate runs %d of %d replicas after its controller died; want 2", st.Candidate.Running, st.Candidate.Replicas)
	}
	text := sluice(t, p.dir, "status", "--env", "prod")
	expectCode(t, text, 0)
	expectContains(t, text, "status output", text.stdout, "controller stopped")
	return st
}

// TestDeliveryControllerKilledResume kills the deploying process mid-canary:
// the gateway keeps serving both releases, and --resume finishes the
// canary with the replicas that kept running.
func TestDeliveryControllerKilledResume(t *testing.T) {
	t.Parallel()
	b := goodbooksBuilds(t)
	p := newDLProject(t, 2, "", dlCanaryEnv("prod", "[25, 50, 100]", "3s", `{ success_rate: ">= 99%", min_requests: 10 }`))
	expectCode(t, p.deploy("prod", b.v1, "--version", "1"), 0)
	st := p.expectLive("prod", "1", 2)
	gen := startLoad(t, st.URL, 4)

	st = dlKilledCanary(t, p, b.v2)
	candidate, candPids := st.Candidate.ID, p.pidsOf(st.Candidate.ID)
	// Traffic keeps flowing to both releases without a controller.
	before := gen.Snapshot()
	time.Sleep(2 * time.Second)
	loadGrows(t, gen, 50)
	now := gen.Snapshot()
	if now.ByRelease[candidate] <= before.ByRelease[candidate] || now.ByRelease[st.Live.ID] <= before.ByRelease[st.Live.ID] {
		t.Errorf("without a controller both releases should keep answering: before %v, after %v", before.ByRelease, now.ByRelease)
	}
	expectNoFailures(t, now, "controller killed")

	r := sluice(t, p.dir, "deploy", "--resume", "--env", "prod")
	expectCode(t, r, 0)
	expectContains(t, r, "resume output", r.stdout, "resuming the canary at step 1")
	expectContains(t, r, "resume output", r.stdout, "promoted: all traffic to 2")
	st = p.expectLive("prod", "2", 2)
	if st.Live.ID != candidate {
		t.Errorf("live %s; want the resumed candidate %s", st.Live.ID, candidate)
	}
	if got := p.pidsOf(candidate); !slices.Equal(got, candPids) {
		t.Errorf("the candidate's replicas were restarted by the resume: %v, were %v", got, candPids)
	}
	loadGrows(t, gen, 20)
	c := gen.Stop()
	expectNoFailures(t, c, "controller killed and resumed")
	t.Logf("controller killed mid-canary, resumed: %d requests, %d failed; per release %v", c.Requests, c.Failed, c.ByRelease)
}

// TestDeliveryControllerAndReplicasKilled kills the deploying process and
// then the candidate's replicas: --resume rolls back to version 1.
func TestDeliveryControllerAndReplicasKilled(t *testing.T) {
	t.Parallel()
	b := goodbooksBuilds(t)
	p := newDLProject(t, 2, "", dlCanaryEnv("prod", "[25, 50, 100]", "3s", `{ success_rate: ">= 99%", min_requests: 10 }`))
	expectCode(t, p.deploy("prod", b.v1, "--version", "1"), 0)
	st := p.expectLive("prod", "1", 2)
	v1, v1pids := st.Live.ID, p.pidsOf(st.Live.ID)
	gen := startLoad(t, st.URL, 4)

	st = dlKilledCanary(t, p, b.v2)
	candPids := p.pidsOf(st.Candidate.ID)
	if len(candPids) != 2 {
		t.Fatalf("the candidate runs processes %v; want 2", candPids)
	}
	for _, pid := range candPids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill replica %d: %v", pid, err)
		}
	}
	waitFor(t, dlWait, "the candidate's replicas to die", func() bool { return len(p.pidsOf(st.Candidate.ID)) == 0 },
		func() string { return fmt.Sprint(p.pidsOf(st.Candidate.ID)) })
	loadGrows(t, gen, 50)
	atKill := gen.Snapshot()

	r := sluice(t, p.dir, "deploy", "--resume", "--env", "prod")
	expectCode(t, r, 1)
	expectContains(t, r, "resume output", r.stdout, "replicas are gone")
	expectContains(t, r, "resume output", r.stdout+r.stderr, "rolled_back")
	p.expectLive("prod", "1", 2)
	if got := p.pidsOf(v1); !slices.Equal(got, v1pids) {
		t.Errorf("version 1's processes changed: %v, were %v", got, v1pids)
	}
	if s := p.releaseState("prod", "2"); s != "rolled_back" {
		t.Errorf("history: version 2 is %s; want rolled_back", s)
	}
	// After the rollback every answer comes from version 1, none fails.
	loadGrows(t, gen, 20)
	from := gen.Snapshot()
	loadGrows(t, gen, 50)
	c := gen.Stop()
	// (A snapshot may count a request before its release: compare per
	// release only.)
	others := false
	for id, n := range c.ByRelease {
		others = others || (id != v1 && n != from.ByRelease[id])
	}
	if c.Failed != from.Failed || others || c.ByRelease[v1] <= from.ByRelease[v1] {
		t.Errorf("after the rollback: %d more failures, answers per release %v (were %v); want new ones all from %s",
			c.Failed-from.Failed, c.ByRelease, from.ByRelease, v1)
	}
	t.Logf("controller and replicas killed: %d requests failed when the replicas were killed (%q), %d in all over %d requests",
		atKill.Failed, atKill.Errors, c.Failed, c.Requests)
}

// TestDeliveryGatewayRestart kills the gateway; a new one serves version 1
// again from its table file, and the app's processes were not restarted.
func TestDeliveryGatewayRestart(t *testing.T) {
	t.Parallel()
	b := goodbooksBuilds(t)
	p := newDLProject(t, 2, "", "  web:\n    strategy: blue-green\n")
	expectCode(t, p.deploy("web", b.v1, "--version", "1"), 0)
	st := p.expectLive("web", "1", 2)
	v1, v1pids := st.Live.ID, p.pidsOf(st.Live.ID)

	gwDir := filepath.Join(p.data, "gateway")
	var admin struct{ PID int }
	data, err := os.ReadFile(filepath.Join(gwDir, "admin.json"))
	if err != nil || json.Unmarshal(data, &admin) != nil || admin.PID <= 0 {
		t.Fatalf("gateway admin.json: %v\n%s", err, data)
	}
	_ = syscall.Kill(admin.PID, syscall.SIGKILL) // whether it worked shows next
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	get := func() (int, string) {
		res, err := client.Get(st.URL + "/books")
		if err != nil {
			return 0, err.Error()
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("X-Sluice-Release")
	}
	waitFor(t, dlWait, "the killed gateway to stop answering", func() bool { code, _ := get(); return code == 0 },
		func() string { return "it still answers" })
	if st := p.status("web"); !strings.HasPrefix(st.Gateway, "down") {
		t.Errorf("status says the gateway is %q while it is down", st.Gateway)
	}

	gw := startSluice(t, p.dir, nil, "gateway", "--dir", gwDir)
	waitFor(t, dlWait, "the new gateway to serve version 1", func() bool { code, rel := get(); return code == 200 && rel == v1 },
		func() string {
			code, rel := get()
			return fmt.Sprintf("last answer %d %s; gateway output:\n%s", code, rel, gw.output())
		})
	if got := p.pidsOf(v1); !slices.Equal(got, v1pids) {
		t.Errorf("version 1's processes changed across the gateway restart: %v, were %v", got, v1pids)
	}
	if st := p.status("web"); st.Gateway != "up" {
		t.Errorf("status says the gateway is %q after the restart", st.Gateway)
	}
	gen := startLoad(t, st.URL, 4)
	loadGrows(t, gen, 50)
	c := gen.Stop()
	expectNoFailures(t, c, "after the gateway restart")
	if c.ByRelease[v1] != c.Requests {
		t.Errorf("answers per release %v; want all %d from %s", c.ByRelease, c.Requests, v1)
	}
}

// TestDeliveryManual promotes a paused canary, aborts another, and rolls
// back to the warm previous release.
func TestDeliveryManual(t *testing.T) {
	t.Parallel()
	b := goodbooksBuilds(t)
	// No load and a minimum no test reaches: every step is inconclusive,
	// so the canary pauses for a person.
	p := newDLProject(t, 2, "", dlCanaryEnv("prod", "[50, 100]", "1s", `{ success_rate: ">= 99%", min_requests: 1000000 }`))
	expectCode(t, p.deploy("prod", b.v1, "--version", "1"), 0)
	v1 := p.expectLive("prod", "1", 2).Live.ID

	pausedCanary := func(artifact, version string) *background {
		t.Helper()
		bg := startSluice(t, p.dir, nil, "deploy", "--env", "prod", "--artifact", artifact, "--version", version)
		waitFor(t, dlWait, "version "+version+" to pause", func() bool { return strings.Contains(bg.output(), " paused: analysis inconclusive") },
			func() string { return "deploy output:\n" + bg.output() })
		st := p.status("prod")
		if st.Candidate == nil || st.Candidate.Version != version || st.Candidate.State != "paused" || st.Stalled {
			t.Fatalf("status: candidate %+v, stalled %v; want version %s paused, its controller waiting", st.Candidate, st.Stalled, version)
		}
		return bg
	}

	bg := pausedCanary(b.v2, "2")
	r := sluice(t, p.dir, "promote", "--env", "prod")
	expectCode(t, r, 0)
	expectContains(t, r, "promote output", r.stdout, "asked to promote 2")
	if code, ok := bg.wait(dlWait); !ok || code != 0 {
		t.Fatalf("the promoted deploy: exit %d (finished %v); want 0\n%s", code, ok, bg.output())
	}
	if out := bg.output(); !strings.Contains(out, "promoted: all traffic to 2") {
		t.Errorf("the deploy did not say it promoted\n%s", out)
	}
	st := p.expectLive("prod", "2", 2)
	v2 := st.Live.ID
	if st.Previous == nil || st.Previous.ID != v1 || st.Previous.Running != 2 {
		t.Fatalf("previous release %+v; want %s kept warm", st.Previous, v1)
	}

	bg = pausedCanary(b.slow, "3")
	r = sluice(t, p.dir, "abort", "--env", "prod")
	expectCode(t, r, 0)
	expectContains(t, r, "abort output", r.stdout, "asked to abort 3")
	if code, ok := bg.wait(dlWait); !ok || code != 1 {
		t.Fatalf("the aborted deploy: exit %d (finished %v); want 1\n%s", code, ok, bg.output())
	}
	if out := bg.output(); !strings.Contains(out, "aborted by request") {
		t.Errorf("the deploy did not say it was aborted\n%s", out)
	}
	p.expectLive("prod", "2", 2)
	if s := p.releaseState("prod", "3"); s != "aborted" {
		t.Errorf("history: version 3 is %s; want aborted", s)
	}

	v1pids := p.pidsOf(v1)
	start := time.Now()
	r = sluice(t, p.dir, "rollback", "--env", "prod")
	took := time.Since(start)
	expectCode(t, r, 0)
	expectContains(t, r, "rollback output", r.stdout, "1 is live in prod again")
	st = p.expectLive("prod", "1", 2)
	if st.Live.ID != v1 {
		t.Errorf("live %s; want %s", st.Live.ID, v1)
	}
	if got := p.pidsOf(v1); len(v1pids) != 2 || !slices.Equal(got, v1pids) {
		t.Errorf("version 1 was not rolled back to warm: pids %v, were %v", got, v1pids)
	}
	if s := p.releaseState("prod", "2"); s != "rolled_back" {
		t.Errorf("history: version 2 is %s; want rolled_back", s)
	}
	waitFor(t, 10*time.Second, "version 2's processes to stop", func() bool { return len(p.pidsOf(v2)) == 0 },
		func() string { return fmt.Sprint(p.pidsOf(v2)) })
	t.Logf("manual: sluice rollback to the warm previous release took %s (the whole command)", took.Round(time.Millisecond))
}
