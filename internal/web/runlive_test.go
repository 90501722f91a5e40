package web

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRunPageLiveParts: a live run page marks the parts app.js draws
// again when the run changes (head with its waits, jobs, gate decisions),
// the durations that still move, and a graph whose tooltips name the
// status each node shows; a finished page has none of the live parts.
func TestRunPageLiveParts(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("ana", "developer", "approver"))
	p := b.get("/runs/" + fx.run.ID)
	wantStatus(t, "run page", p, http.StatusOK)
	wantContains(t, "the live run page", p.body, `data-refresh="head"`, `data-refresh="jobs"`, `data-refresh="decisions"`,
		`<title>deploy: waiting for approval</title>`, `<title>build: succeeded</title>`, `data-since="`)
	node := regexp.MustCompile(`(?s)<a href="#job-[^"]*" class="node [^"]*" data-job="([^"]+)" data-status="[^"]*" aria-label="([^"]+)">\s*<title>([^<]+)</title>.*?<tspan class="label">([^<]+)</tspan>`)
	nodes := node.FindAllStringSubmatch(p.body, -1)
	if len(nodes) != 4 {
		t.Fatalf("%d graph nodes, want 4", len(nodes))
	}
	for _, m := range nodes {
		if want := m[1] + ": " + m[4]; m[2] != want || m[3] != want {
			t.Errorf("node %s: aria-label %q, title %q; want both %q", m[1], m[2], m[3], want)
		}
	}
	// Each part app.js swaps in is on the page exactly once.
	for _, part := range []string{"head", "jobs", "decisions"} {
		if n := strings.Count(p.body, `data-refresh="`+part+`"`); n != 1 {
			t.Errorf("data-refresh=%q %d times", part, n)
		}
	}
	done := b.get("/runs/" + fx.done.ID)
	if strings.Contains(done.body, `data-since=`) || strings.Contains(done.body, `id="live"`) {
		t.Error("a finished run's page has durations that move or live parts")
	}
}

// TestAppJSFollowsRun runs app.js in node against a stub page: a poll
// that sees a job change draws the page's parts again from the server
// (no reload), and a poll that sees the run end reloads the page once.
func TestAppJSFollowsRun(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node")
	}
	cmd := exec.CommandContext(t.Context(), nodeBin, filepath.Join("testdata", "follow_run.js"), filepath.Join("static", "app.js"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "ok" {
		t.Fatalf("node said:\n%s", got)
	}
}
