package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// uiPipeline is the project the browser scenario runs: a build that runs
// until the test lets it finish (it creates the file gate, once it has
// seen the build running; the build gives up after 30s), then a release
// to production that waits for one approval by someone other than the
// run's author.
func uiPipeline(gate string) string {
	return `version: 1
jobs:
  build:
    steps:
      - run: |
          echo "compiling the demo"
          i=0; while [ ! -e '` + gate + `' ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
          echo "build ok"
  release:
    needs: [build]
    environment: production
    steps: [{ run: echo "released to production" }]
environments:
  production:
    approval: { min: 1, roles: [approver], not_author: true, timeout: 10m }
`
}

// controlPlane is a `sluice up` serving the API and the web UI on a free
// loopback port, with its data in a temporary folder.
type controlPlane struct {
	url  string // http://127.0.0.1:PORT
	dir  string // where sluice commands run
	data string // the data folder (--data)
	bg   *background
}

// gitRepo makes a git repository holding files and returns its folder and
// the commit.
func gitRepo(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	repo := t.TempDir()
	for name, content := range files {
		writeFile(t, repo, name, content)
	}
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "-b", "main")
	run("add", ".")
	run("commit", "-q", "-m", "the pipeline")
	return repo, run("rev-parse", "HEAD")
}

// startControlPlane registers the project demo (the repository repo) in a
// new data folder and starts `sluice up` on a free loopback port.
func startControlPlane(t *testing.T, repo string) *controlPlane {
	t.Helper()
	cp := &controlPlane{dir: t.TempDir()}
	cp.data = filepath.Join(cp.dir, "data")
	expectCode(t, sluice(t, cp.dir, "--data", cp.data, "project", "add", "demo", "--repo", repo), 0)
	cp.up(t)
	return cp
}

// up starts `sluice up` over cp's data folder on a free loopback port and
// waits until it answers; the gateway it started is stopped at the end.
func (cp *controlPlane) up(t *testing.T) {
	t.Helper()
	addr := freeAddr(t)
	cp.url = "http://" + addr
	cp.bg = startSluice(t, cp.dir, nil, "--data", cp.data, "up", "--addr", addr, "--drain", "1s")
	t.Cleanup(func() { sluice(t, cp.dir, "--data", cp.data, "down") })
	waitFor(t, 30*time.Second, "sluice up to answer", func() bool {
		res, err := http.Get(cp.url + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, cp.bg.output)
}

// freeAddr is a loopback address no one listens on (just now).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// key creates an API key with grants and returns it.
func (cp *controlPlane) key(t *testing.T, name string, grants ...string) string {
	t.Helper()
	args := []string{"--data", cp.data, "keys", "create", "--name", name}
	for _, g := range grants {
		args = append(args, "--grant", g)
	}
	r := sluice(t, cp.dir, args...)
	expectCode(t, r, 0)
	return strings.TrimSpace(r.stdout)
}

// api calls the control plane's API with key and decodes a JSON answer
// into out (when not nil); it returns the status.
func (cp *controlPlane) api(t *testing.T, method, path, key string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, cp.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, data)
		}
	}
	if res.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	return res.StatusCode
}

// login fills the login form with key and sends it with the button.
func (b *browser) login(t *testing.T, base, key string) {
	t.Helper()
	b.navigate(t, base+"/login")
	b.waitVisible(t, `#login input[name=key]`, 10*time.Second)
	b.do(t, "log in",
		chromedp.SendKeys(chromedp.CSS(`#login input[name=key]`), key),
		chromedp.Click(chromedp.CSS(`#login [type=submit]`)),
	)
}

// TestUI is the web UI in a real browser, as two people use it: a bad key
// is refused; the author logs in with the keyboard alone, starts a run and
// watches it live (server-sent events, no reload), reads its log, and may
// not approve their own release; the reviewer approves it and the run
// finishes. Every page is screenshot at a laptop's and a phone's width,
// must log no console error, and must block an injected inline script.
func TestUI(t *testing.T) {
	t.Parallel()
	start := time.Now()
	b := newBrowser(t)
	gate := filepath.Join(t.TempDir(), "build-may-finish")
	repo, commit := gitRepo(t, map[string]string{"sluice.yaml": uiPipeline(gate)})
	cp := startControlPlane(t, repo)
	author := cp.key(t, "author", "developer@demo", "approver@demo")
	reviewer := cp.key(t, "reviewer", "approver@demo")
	defer func() { t.Logf("browser scenario: %s", time.Since(start).Round(100*time.Millisecond)) }()

	// Browsers ask every site for /favicon.ico; a 404 is a red line in
	// the console of every first visit.
	if res, err := http.Get(cp.url + "/favicon.ico"); err != nil || res.StatusCode >= 400 {
		code := 0
		if err == nil {
			code = res.StatusCode
			res.Body.Close()
		}
		t.Errorf("GET /favicon.ico: %d %v; browsers log its failure as a console error", code, err)
	}

	// A key that does not exist is refused, on the login page.
	b.login(t, cp.url, "slk_nosuchkey_0123456789abcdef")
	b.waitText(t, `[data-testid=login-error]`, regexp.MustCompile(`not accepted`), 10*time.Second)
	// The refusal is a 401, which Chromium logs for the document.
	b.allowProblems(regexp.MustCompile(`status of 401 .*/login\)$`))
	b.screenshot(t, "ui-01-login-refused")
	b.noConsoleErrors(t)

	// The author, with the keyboard alone: Tab to the key, type it, Tab
	// to the button, Enter.
	b.navigate(t, cp.url+"/login")
	b.screenshot(t, "ui-02-login")
	b.noConsoleErrors(t)
	if p := b.injectInlineScript(t); p.Ran || p.Violation == "" {
		t.Errorf("login page: an injected inline script %+v; want it blocked by the CSP", p)
	}
	b.do(t, "start from the top", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	b.tabTo(t, `#login input[name=key]`, 10)
	b.press(t, author)
	b.tabTo(t, `#login [type=submit]`, 5)
	b.press(t, kb.Enter)
	b.waitVisible(t, `[data-testid=logout]`, 10*time.Second)
	if loc := b.location(); loc != cp.url+"/" {
		t.Errorf("after login the browser is at %s, want the overview", loc)
	}
	b.waitText(t, `[data-testid=user]`, regexp.MustCompile(`^author$`), 5*time.Second)
	b.screenshot(t, "ui-03-overview-empty")
	b.noConsoleErrors(t)

	// A run, started through the API (as CI would; the UI starts none).
	var started struct {
		Run    string `json:"run"`
		Number int64  `json:"number"`
	}
	if code := cp.api(t, "POST", "/api/v1/projects/demo/runs", author, map[string]string{"commit": commit, "branch": "main"}, &started); code != http.StatusCreated {
		t.Fatalf("start a run: %d\n%s", code, cp.bg.output())
	}
	runURL := cp.url + "/runs/" + itoa(int(started.Number))

	// The run page follows the run live: the build goes from running to
	// succeeded without a reload, and its log shows.
	b.navigate(t, runURL)
	evalJS[bool](t, b, `window.__sluiceSamePage = true`)
	b.waitText(t, `svg#dag [data-job=build] .label`, regexp.MustCompile(`^running$`), 10*time.Second)
	b.waitText(t, `#logs-build`, regexp.MustCompile(`compiling the demo`), 10*time.Second)
	b.screenshot(t, "ui-04-run-running")
	writeFile(t, filepath.Dir(gate), filepath.Base(gate), "")
	b.waitText(t, `svg#dag [data-job=build] .label`, regexp.MustCompile(`^succeeded$`), 20*time.Second)
	b.waitText(t, `#logs-build`, regexp.MustCompile(`build ok`), 10*time.Second)
	b.waitText(t, `#logs-release`, regexp.MustCompile(`waiting for 1 approval`), 10*time.Second)
	if !evalJS[bool](t, b, `window.__sluiceSamePage === true`) {
		t.Error("the run page reloaded to show the run's progress; it should update itself")
	}
	b.screenshot(t, "ui-05-run-waiting")
	b.noConsoleErrors(t)
	if p := b.injectInlineScript(t); p.Ran || p.Violation == "" {
		t.Errorf("run page: an injected inline script %+v; want it blocked by the CSP", p)
	}

	// The author may not approve their own release.
	b.navigate(t, cp.url+"/approvals")
	b.waitVisible(t, `[data-testid=approve]`, 10*time.Second)
	// The evidence beside the request: findings against the baseline and
	// what changes against production's live release (none yet).
	b.waitVisible(t, `[data-testid=findings-diff]`, 5*time.Second)
	b.waitText(t, `[data-testid=changes]`, regexp.MustCompile(`(?i)`+commit[:7]), 5*time.Second)
	b.screenshot(t, "ui-06-approvals")
	b.do(t, "approve as the author",
		chromedp.SendKeys(chromedp.CSS(`textarea[name=comment]`), "my own change"),
		chromedp.Click(chromedp.CSS(`[data-testid=approve]`)),
	)
	b.waitText(t, `[data-testid=approval-error]`, regexp.MustCompile(`may not approve`), 10*time.Second)
	// The refusal is a 403, which Chromium logs for the document.
	b.allowProblems(regexp.MustCompile(`status of 403 .*/approvals/[^ ]+/production\)$`))
	b.screenshot(t, "ui-07-approve-refused")
	b.noConsoleErrors(t)

	// Log out; the reviewer logs in and approves.
	b.do(t, "log out", chromedp.Click(chromedp.CSS(`[data-testid=logout]`)))
	b.waitVisible(t, `#login input[name=key]`, 10*time.Second)
	b.noConsoleErrors(t)
	b.login(t, cp.url, reviewer)
	b.waitVisible(t, `[data-testid=logout]`, 10*time.Second)
	b.navigate(t, cp.url+"/approvals")
	b.waitVisible(t, `[data-testid=approve]`, 10*time.Second)
	b.do(t, "approve as the reviewer",
		chromedp.SendKeys(chromedp.CSS(`textarea[name=comment]`), "checked in the browser"),
		chromedp.Click(chromedp.CSS(`[data-testid=approve]`)),
	)
	b.waitText(t, `[data-testid=flash]`, regexp.MustCompile(`reviewer approved`), 10*time.Second)
	b.screenshot(t, "ui-08-approved")
	b.noConsoleErrors(t)

	// The run goes on and finishes.
	b.navigate(t, runURL)
	b.waitText(t, `[data-testid=run-status] .label`, regexp.MustCompile(`^succeeded$`), 20*time.Second)
	b.waitText(t, `#logs-release`, regexp.MustCompile(`released to production`), 10*time.Second)
	b.waitText(t, `#logs-release`, regexp.MustCompile(`reviewer: approve: checked in the browser`), 5*time.Second)
	b.screenshot(t, "ui-09-run-succeeded")
	b.noConsoleErrors(t)

	b.navigate(t, cp.url+"/")
	b.waitText(t, `[data-project=demo] table.runs tbody tr`, regexp.MustCompile(`#1\s+.*succeeded.*author`), 10*time.Second)
	b.screenshot(t, "ui-10-overview")
	b.noConsoleErrors(t)

	// A page that does not exist says so.
	b.navigate(t, cp.url+"/no-such-page")
	b.waitText(t, `[data-testid=error-message]`, regexp.MustCompile(`.`), 10*time.Second)
	b.allowProblems(regexp.MustCompile(`status of 404 .*/no-such-page\)$`))
	b.screenshot(t, "ui-11-not-found")
	b.noConsoleErrors(t)
}
