package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestOverview(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("admin", "admin"))
	p := b.get("/")
	wantStatus(t, "overview", p, http.StatusOK)
	wantContains(t, "the overview", p.body,
		`data-project="goodbooks"`, `href="/runs/`+fx.run.ID+`">#2</a>`, `href="/runs/`+fx.done.ID+`">#1</a>`,
		"4f2a9c0e1b7d", "ana", "running", "succeeded", "1m 35s", // the finished run's duration
		"no critical findings", // the latest run was scanned for none
		`data-env="staging"`, "v1.2.3", "DORA figures of staging", `data-testid="dora"`,
		"run #2</a> to\n      <strong>production</strong>", `href="/approvals"`, "Review 1 approval")
	if strings.Contains(p.body, "may not read") {
		t.Errorf("an admin is told it may not read something:\n%s", p.body)
	}
}

func TestRunPage(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("ana", "developer", "approver"))
	for _, ref := range []string{fx.run.ID, "2"} {
		p := b.get("/runs/" + ref)
		wantStatus(t, "run page", p, http.StatusOK)
		wantContains(t, "the run page", p.body,
			`data-testid="run-status" data-status="running"`, commit, "main", "push", "ana",
			`<svg id="dag"`, `data-job="lint"`, `data-job="unit"`, `data-job="build"`, `data-job="deploy"`,
			`href="#job-build"`, `id="logs-build"`, "built dist/goodbooks", "vet: no problems",
			// Log text is text: markup is escaped, terminal colours dropped.
			"warning: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; red",
			// The job waiting for approval says so, in the graph too.
			`data-job="deploy" data-status="waiting"`, "waiting for approval", `data-testid="waiting-approval"`,
			`data-env="staging" data-outcome="pass"`, "no finding at or above high",
			`data-env="production" data-outcome="warn"`, "2 medium findings (warn at medium)",
			`data-stream="/ui/api/runs/`+fx.run.ID+`/logs/stream"`, `id="log-search"`,
			// ana may cancel (developer); the run has not ended, so no rerun.
			`data-testid="cancel"`)
		if strings.Contains(p.body, `data-testid="rerun"`) {
			t.Error("a running run offers to run again")
		}
		// The graph's edges are the jobs' needs; durations are the jobs' times.
		wantContains(t, "the job graph", p.body,
			`data-from="lint" data-to="build"`, `data-from="unit" data-to="build"`, `data-from="build" data-to="deploy"`,
			"<td>10s</td>", "<td>20s</td>", "Job deploy waits for approval to release to production")
	}
	// The finished run: no live parts, and a developer may run it again.
	p := b.get("/runs/" + fx.done.ID)
	wantStatus(t, "finished run", p, http.StatusOK)
	wantContains(t, "the finished run", p.body, `data-testid="run-status" data-status="succeeded"`, `data-testid="rerun"`, "No gate judged this run.")
	for _, no := range []string{`id="live"`, `data-testid="cancel"`, `data-testid="rerun-failed"`} {
		if strings.Contains(p.body, no) {
			t.Errorf("the finished run's page has %s", no)
		}
	}
	// An approver may neither cancel nor rerun: no buttons.
	b2 := fx.browser()
	b2.mustLogin(fx.key("bo", "approver"))
	if p := b2.get("/runs/" + fx.run.ID); strings.Contains(p.body, `data-testid="cancel"`) {
		t.Error("an approver is offered to cancel")
	}
	// Unknown and malformed runs.
	wantStatus(t, "an unknown run", b.get("/runs/999"), http.StatusNotFound)
	wantStatus(t, "a malformed ref", b.get("/runs/..%2f..%2fetc"), http.StatusNotFound)
	// The live proxy answers the run in JSON.
	p = b.get("/ui/api/runs/" + fx.run.ID)
	if p.status != 200 || !strings.Contains(p.body, `"id": "deploy"`) || !strings.HasPrefix(p.header.Get("Content-Type"), "application/json") {
		t.Errorf("proxy: %d %s", p.status, p.body)
	}
}

func TestApprovalsFourEyes(t *testing.T) {
	fx := newFixture(t)
	ana := fx.browser()
	ana.mustLogin(fx.key("ana", "developer", "approver"))
	p := ana.get("/approvals")
	wantStatus(t, "approvals", p, http.StatusOK)
	wantContains(t, "the approvals page", p.body,
		`data-run="`+fx.run.ID+`" data-env="production"`, "Run #2 of goodbooks", `data-testid="four-eyes"`,
		"You started this run; someone else must approve it.", `data-testid="quorum">1 approval from approver`,
		`class="badge out-warn"`, "2 medium findings (warn at medium)",
		`name="comment"`, `data-testid="approve"`, `data-testid="reject"`)
	form := url.Values{"csrf": {ana.csrf(p)}, "verdict": {"approve"}, "comment": {"my own change"}}
	p = ana.post("/approvals/"+fx.run.ID+"/production", form, nil)
	// A refusal is a redirect to the approvals page (reloading it does
	// not send the form again), which shows the API's message and gives
	// the comment back, once.
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/approvals" {
		t.Fatalf("approval by the author: %d %s, want 303 to /approvals\n%s", p.status, p.header.Get("Location"), p.body)
	}
	p = ana.get("/approvals")
	wantStatus(t, "the approvals page after the refusal", p, http.StatusOK)
	wantContains(t, "the refusal", p.body, `data-testid="approval-error"`,
		"the author of a change may not approve it: ana started run #2; someone else must approve its release to production",
		">my own change</textarea>")
	if p := ana.get("/approvals"); strings.Contains(p.body, `data-testid="approval-error"`) || strings.Contains(p.body, "my own change") {
		t.Error("the refusal shows twice")
	}

	bo := fx.browser()
	bo.mustLogin(fx.key("bo", "approver"))
	p = bo.get("/approvals")
	if strings.Contains(p.body, "You started this run") {
		t.Error("bo is told he started ana's run")
	}
	p = bo.post("/approvals/"+fx.run.ID+"/production", url.Values{"csrf": {bo.csrf(p)}, "verdict": {"approve"}, "comment": {"looks good"}}, nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/approvals" {
		t.Fatalf("approval by bo: %d %s\n%s", p.status, p.header.Get("Location"), p.body)
	}
	p = bo.get("/approvals")
	wantContains(t, "the page after approving", p.body, `data-testid="flash"`, "bo approved the release of run #2 to production.")
	// The quorum is met: the request stays listed (its gatekeeper closes
	// it) as approved, with nothing left to press.
	wantContains(t, "the approved request", p.body, `data-testid="approved">Approved, the run continues.`)
	if strings.Contains(p.body, `data-testid="approve"`) || strings.Contains(p.body, `data-testid="reject"`) {
		t.Error("an approved request still offers Approve and Reject")
	}
	// The request shows its verdicts so far (the gatekeeper, not run
	// here, would close it).
	wantContains(t, "the verdicts so far", p.body, "1 of 1 approvals so far: bo approved (looks good)",
		`data-testid="verdict" data-approver="bo" data-verdict="approve"`)
	vs, err := fx.st.Approvals().ListApprovals(t.Context(), fx.run.ID, "production")
	if err != nil || len(vs) != 1 || vs[0].Approver != "bo" || vs[0].Verdict != "approve" || vs[0].Comment != "looks good" {
		t.Fatalf("verdicts: %+v %v", vs, err)
	}
	wantContains(t, "the overview after approving", bo.get("/").body, `data-testid="approval-progress">1 of 1 approvals so far: bo approved (looks good)`)
	// The flash shows once.
	if p := bo.get("/approvals"); strings.Contains(p.body, `data-testid="flash"`) {
		t.Error("the flash shows twice")
	}
	// A second verdict of bo is refused with the API's message.
	p = bo.post("/approvals/"+fx.run.ID+"/production", url.Values{"csrf": {bo.csrf(p)}, "verdict": {"reject"}}, nil)
	wantStatus(t, "a second verdict", p, http.StatusSeeOther)
	wantContains(t, "the second verdict", bo.get("/approvals").body, `data-testid="approval-error"`, "bo already gave a verdict on this release")
}

// TestScopedKeys: a key scoped to a project sees its project's approval
// requests (the API filters the list per key). A key of another project
// reads nothing of goodbooks and is told so.
func TestScopedKeys(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("reviewer", "approver@goodbooks"))
	p := b.get("/approvals")
	wantStatus(t, "approvals of a scoped key", p, http.StatusOK)
	wantContains(t, "the scoped approvals page", p.body, `data-run="`+fx.run.ID+`" data-env="production"`,
		"Run #2 of goodbooks", `data-testid="quorum">1 approval from approver`, "No verdict yet.", `data-testid="approve"`)
	if strings.Contains(p.body, "may not read") {
		t.Errorf("a scoped approver is told it may not read something:\n%s", p.body)
	}
	p = b.post("/approvals/"+fx.run.ID+"/production", url.Values{"csrf": {b.csrf(p)}, "verdict": {"approve"}}, nil)
	wantStatus(t, "approval by a scoped approver", p, http.StatusSeeOther)

	o := fx.browser()
	o.mustLogin(fx.key("outsider", "viewer@other"))
	p = o.get("/")
	wantStatus(t, "overview of an outsider", p, http.StatusOK)
	if strings.Contains(p.body, "may not read the list of projects") {
		t.Errorf("the outsider, who may read the runs of its project, is told it may not read the list of projects")
	}
	for _, secret := range []string{commit[:12], "goodbooks", "v1.2.3"} {
		if strings.Contains(p.body, secret) {
			t.Errorf("the outsider's overview shows %q", secret)
		}
	}
	p = o.get("/runs/" + fx.run.ID)
	wantStatus(t, "the outsider on a goodbooks run", p, http.StatusForbidden)
	wantContains(t, "the refusal", p.body, `data-testid="missing-permission"`, "<code>runs:read</code>")
	if strings.Contains(p.body, commit[:12]) {
		t.Error("the refusal shows the run's commit")
	}
	// A key of staging alone sees no production request.
	r := fx.browser()
	r.mustLogin(fx.key("staging-approver", "approver@*/staging"))
	p = r.get("/approvals")
	wantContains(t, "a staging approver's approvals", p.body, `data-testid="no-approvals"`)
	if strings.Contains(p.body, `data-env="production"`) {
		t.Error("a staging approver sees a production request")
	}
}

func TestSecurityHeaders(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("admin", "admin"))
	for _, path := range []string{"/", "/runs/" + fx.run.ID, "/approvals", "/login", "/nope", "/runs/999", "/ui/api/runs/" + fx.run.ID,
		"/runs", "/audit", "/environments/staging", "/runs/2/findings", "/runs/2/report.json", "/ui/api/environments/staging/traffic"} {
		p := b.get(path)
		csp := p.header.Get("Content-Security-Policy")
		if csp != cspHeader || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
			"X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
			if got := p.header.Get(h); got != want {
				t.Errorf("%s: %s %q, want %q", path, h, got, want)
			}
		}
		if len(p.header.Get("X-Request-Id")) != 16 {
			t.Errorf("%s: no request id", path)
		}
	}
	// The API keeps its paths (and its own answers) on the same listener.
	if p := b.get("/api/v1/runs"); p.status != http.StatusUnauthorized || p.header.Get("Content-Security-Policy") != "" {
		t.Errorf("/api/v1/runs through the mount without a key: %d", p.status)
	}
	if p := b.get("/healthz"); p.status != http.StatusOK || !strings.Contains(p.body, `"ok"`) {
		t.Errorf("/healthz through the mount: %d", p.status)
	}
}

func TestStaticAssets(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	login := b.get("/login")
	for _, re := range []string{`href="(/static/app\.[0-9a-f]{12}\.css)"`, `src="(/static/app\.[0-9a-f]{12}\.js)"`} {
		m := regexp.MustCompile(re).FindStringSubmatch(login.body)
		if m == nil {
			t.Fatalf("the login page does not link %s", re)
		}
		p := b.get(m[1])
		wantStatus(t, m[1], p, http.StatusOK)
		if cc := p.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("%s: Cache-Control %q", m[1], cc)
		}
		if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") && !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("%s: Content-Type %q", m[1], ct)
		}
	}
	wantStatus(t, "an old asset", b.get("/static/app.000000000000.css"), http.StatusNotFound)
	wantStatus(t, "an unhashed asset", b.get("/static/app.css"), http.StatusNotFound)
}

// TestOverviewScopedKey: a key limited to one project (developer and
// approver there) sees that project's runs on the overview, and is not
// told it may not read the list of projects.
func TestOverviewScopedKey(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("dev", "developer@goodbooks", "approver@goodbooks"))
	p := b.get("/")
	wantStatus(t, "overview of a scoped key", p, http.StatusOK)
	wantContains(t, "the scoped overview", p.body, `data-project="goodbooks"`, `href="/runs/`+fx.run.ID+`"`, `href="/runs/`+fx.done.ID+`"`)
	if strings.Contains(p.body, "may not read the list of projects") {
		t.Errorf("a key that reads goodbooks' runs is told it may not read the list of projects:\n%s", p.body)
	}
}
