//go:build linux

package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sluice-ci/sluice/internal/delivery/load"
)

// TestUIGoodbooks looks at every page of the web UI with the example
// project's real data: `sluice demo --dir` runs goodbooks' pipeline (scans,
// gates, a production approval, DAST, a canary promoted and a bad one
// rolled back by analysis), then `sluice up` serves that data folder. A
// screenshot of each page at a laptop's and a phone's width is kept. Then,
// with load on production, a third release goes out as a canary: the
// environment page draws its share of traffic moving from step to step
// without a reload, and once it is live, the rollback button puts the
// previous release back.
func TestUIGoodbooks(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipped with -short: runs the whole demo")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipped: the demo builds a Go project, and go is not on PATH")
	}
	if _, err := chromiumPath(); err != nil && os.Getenv("SLUICE_REQUIRE_TOOLS") != "1" {
		t.Skip("skipped: no Chromium (scripts/chromium.sh installs it)")
	}
	dir := filepath.Join(t.TempDir(), "goodbooks")
	data := filepath.Join(dir, ".sluice")
	t.Cleanup(func() { sluice(t, dir, "--data", data, "down") }) // the demo keeps staging and production running
	demo := sluice(t, filepath.Dir(dir), "demo", "--dir", dir, "--plain")
	expectCode(t, demo, 0)
	expectContains(t, demo, "stderr", demo.stderr, "2.1.0-bad rolled_back")

	// The control plane over the demo's data folder, and a key that may do
	// everything (the demo's runs belong to no project).
	cp := &controlPlane{dir: dir, data: data}
	cp.up(t)
	admin := cp.key(t, "ana", "admin")

	b := newBrowser(t)
	b.login(t, cp.url, admin)
	b.waitVisible(t, `[data-testid=logout]`, 10*time.Second)

	// Every page, with the demo's data.
	b.waitText(t, `[data-testid=environments]`, regexp.MustCompile(`production`), 10*time.Second)
	b.waitText(t, `[data-testid=dora]`, regexp.MustCompile(`(?i)deploy`), 10*time.Second)
	b.screenshot(t, "gb-01-overview")
	b.noConsoleErrors(t)

	b.navigate(t, cp.url+"/runs")
	b.waitText(t, `[data-testid=run-row]`, regexp.MustCompile(`#1\b.*succeeded`), 10*time.Second)
	b.screenshot(t, "gb-02-runs")
	b.noConsoleErrors(t)

	b.navigate(t, cp.url+"/runs/1")
	b.waitText(t, `[data-testid=run-status] .label`, regexp.MustCompile(`^succeeded$`), 10*time.Second)
	for _, env := range []string{"dev", "staging", "production"} {
		b.waitVisible(t, `article.decision[data-env=`+env+`]`, 5*time.Second)
	}
	b.waitText(t, `svg#dag [data-job=promote-production] .label`, regexp.MustCompile(`^succeeded$`), 5*time.Second)
	// With terraform at hand, infra-staging applied a plan whose summary
	// the jobs table shows.
	if _, err := exec.LookPath("terraform"); err == nil {
		b.waitText(t, `tr[data-job-row=infra-staging] [data-testid=tf-plan]`, regexp.MustCompile(`^Plan: 2 to add, 0 to change, 0 to destroy\.$`), 5*time.Second)
	}
	// The test job's coverage profile is an artifact, downloadable.
	b.waitVisible(t, `[data-testid=artifact][data-job=test][data-path="cover.out"] a[data-testid=artifact-download]`, 5*time.Second)
	// Secrets are masked in the logs the page shows.
	b.waitText(t, `#logs-publish`, regexp.MustCompile(`with token \*\*\*`), 5*time.Second)
	b.screenshot(t, "gb-03-run")
	b.noConsoleErrors(t)

	b.navigate(t, cp.url+"/runs/1/findings")
	b.waitText(t, `[data-testid=finding-count]`, regexp.MustCompile(`\d+ of \d+ finding`), 10*time.Second)
	b.do(t, "open the first finding", chromedp.Click(chromedp.CSS(`[data-testid=finding] summary`)))
	b.waitVisible(t, `[data-testid=finding] [data-testid=fix]`, 5*time.Second)
	b.screenshot(t, "gb-04-findings")
	b.noConsoleErrors(t)

	b.navigate(t, cp.url+"/environments/production")
	b.waitText(t, `[data-testid=env-live]`, regexp.MustCompile(`2\.0\.0`), 10*time.Second)
	b.waitText(t, `[data-testid=release-history]`, regexp.MustCompile(`2\.1\.0-bad\s+rolled_back`), 5*time.Second)
	b.screenshot(t, "gb-05-environment-production")
	b.noConsoleErrors(t)

	b.navigate(t, cp.url+"/environments/staging")
	b.waitText(t, `[data-testid=env-live]`, regexp.MustCompile(`2\.1\.0-bad`), 10*time.Second)
	b.screenshot(t, "gb-06-environment-staging")
	b.noConsoleErrors(t)

	b.navigate(t, cp.url+"/approvals")
	b.waitVisible(t, `main h1`, 10*time.Second)
	b.screenshot(t, "gb-07-approvals")
	b.noConsoleErrors(t)

	b.navigate(t, cp.url+"/audit")
	b.waitText(t, `[data-testid=audit-verified]`, regexp.MustCompile(`(?i)holds|verified`), 10*time.Second)
	b.waitText(t, `[data-testid=audit-table]`, regexp.MustCompile(`approve`), 5*time.Second)
	b.screenshot(t, "gb-08-audit")
	b.noConsoleErrors(t)

	// The attacker the demo ran: production's WAF refused every request.
	b.navigate(t, cp.url+"/events?env=production")
	b.waitText(t, `[data-testid=events-by-rule]`, regexp.MustCompile(`waf`), 10*time.Second)
	b.waitText(t, `[data-testid=events-table]`, regexp.MustCompile(`refused 403`), 5*time.Second)
	b.screenshot(t, "gb-09-security-events")
	b.noConsoleErrors(t)

	b.navigate(t, cp.url+"/runs/1/report")
	b.waitText(t, `body`, regexp.MustCompile(`OWASP Top 10`), 10*time.Second)
	b.screenshot(t, "gb-10-report")
	b.noConsoleErrors(t)

	// A canary of a third build, watched live with load on production.
	gb := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version=3.0.0", "-o", filepath.Join("dist", "v3", "goodbooks"), "./cmd/goodbooks")
	gb.Dir = dir
	if out, err := gb.CombinedOutput(); err != nil {
		t.Fatalf("build 3.0.0: %v\n%s", err, out)
	}
	var prod struct {
		Listen string `json:"listen"`
	}
	if code := cp.api(t, "GET", "/api/v1/environments/production", admin, nil, &prod); code != http.StatusOK || prod.Listen == "" {
		t.Fatalf("production: %d, listen %q", code, prod.Listen)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gen := load.Start(ctx, load.Options{URL: "http://" + prod.Listen + "/books", Workers: 2, Pause: 5 * time.Millisecond})
	defer gen.Stop()
	art := filepath.Join("dist", "v3", "goodbooks")
	for _, env := range []string{"dev", "staging"} { // production takes only what ran before it
		expectCode(t, sluice(t, dir, "--data", data, "deploy", "--env", env, "--artifact", art, "--version", "3.0.0"), 0)
	}
	deploy := startSluice(t, dir, nil, "--data", data, "deploy", "--env", "production", "--artifact", art, "--version", "3.0.0")
	waitFor(t, dlWait, "the canary's first step", func() bool { return strings.Contains(deploy.output(), "step 1 of 4") }, deploy.output)

	b.navigate(t, cp.url+"/environments/production")
	evalJS[bool](t, b, `window.__sluiceSamePage = true`)
	legend := `[data-testid=traffic-legend]`
	b.waitText(t, legend, regexp.MustCompile(`3\.0\.0\s+candidate:\s+(10|25)%`), 10*time.Second)
	b.waitText(t, `[data-testid=rollout]`, regexp.MustCompile(`3\.0\.0 by canary`), 5*time.Second)
	b.screenshot(t, "gb-11-canary")
	b.waitText(t, legend, regexp.MustCompile(`3\.0\.0\s+candidate:\s+50%`), 30*time.Second)
	b.waitText(t, `[data-testid=env-candidate]`, regexp.MustCompile(`3\.0\.0 50% of traffic`), 5*time.Second)
	b.waitText(t, `#rollout-message`, regexp.MustCompile(`step 3 of 4`), 5*time.Second)
	b.screenshot(t, "gb-12-canary-50")
	if !evalJS[bool](t, b, `window.__sluiceSamePage === true`) {
		t.Error("the environment page reloaded to show the canary's steps; it should update itself")
	}
	b.noConsoleErrors(t)
	if code, ok := deploy.wait(dlWait); !ok || code != 0 {
		t.Fatalf("the canary's deploy: exit %d (finished %v)\n%s", code, ok, deploy.output())
	}

	// 3.0.0 is live; roll back to 2.0.0 with the button.
	b.navigate(t, cp.url+"/environments/production")
	b.waitText(t, `[data-testid=env-live]`, regexp.MustCompile(`3\.0\.0`), 10*time.Second)
	b.do(t, "press rollback", chromedp.Click(chromedp.CSS(`[data-testid=rollback]`)))
	b.waitText(t, `[data-testid=flash]`, regexp.MustCompile(`ana rolled production back to 2\.0\.0`), 20*time.Second)
	b.waitText(t, `[data-testid=env-live]`, regexp.MustCompile(`2\.0\.0`), 5*time.Second)
	b.waitText(t, `[data-testid=release-history]`, regexp.MustCompile(`3\.0\.0\s+rolled_back`), 5*time.Second)
	b.screenshot(t, "gb-13-rolled-back")
	b.noConsoleErrors(t)

	// The load saw no failure from the good releases.
	time.Sleep(500 * time.Millisecond)
	if c := gen.Stop(); c.Failed > 0 {
		t.Errorf("load on production: %d of %d requests failed (%v)", c.Failed, c.Requests, c.Errors)
	}
}
