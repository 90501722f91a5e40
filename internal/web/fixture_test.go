package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/server"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
)

// fixture is the real thing: a SQLite store in a temporary folder, the
// control plane's API over it, the UI over the API, served over loopback
// HTTP with a one-second read timeout (as `sluice up` has one).
type fixture struct {
	t    *testing.T
	st   store.Store
	ui   *UI
	srv  *httptest.Server
	seal []byte
	// data is the store's folder (the gateway's folder is inside it).
	data string
	// clock is the UI's clock (sessions' timeouts).
	clock *clock
	// run is the seeded running run (#1, by ana, waiting for approval to
	// production); done the finished one (#2, by bo).
	run, done *store.Run
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const commit = "4f2a9c0e1b7d3a5c9e8f7a6b5c4d3e2f1a0b9c8d"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, auth.LimiterConfig{MaxFailures: 10000})
}

// newFixtureWith is newFixture with the API's limiter of failed
// authentications tuned.
func newFixtureWith(t *testing.T, lc auth.LimiterConfig) *fixture {
	t.Helper()
	data := t.TempDir()
	st, err := sqlstore.Open(t.Context(), data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seal := bytes.Repeat([]byte{7}, 32)
	api := server.New(server.Options{Store: st, DataDir: data, SealKey: seal, Limiter: lc})
	fx := &fixture{t: t, st: st, seal: seal, data: data, clock: &clock{t: time.Now()}}
	fx.ui = New(Options{API: api, Now: fx.clock.now})
	fx.srv = httptest.NewUnstartedServer(Mount(api, fx.ui))
	fx.srv.Config.ReadTimeout = time.Second
	fx.srv.Start()
	t.Cleanup(fx.srv.Close)
	fx.seed()
	return fx
}

// key stores an API key named name with grants and returns it.
func (fx *fixture) key(name string, grants ...string) string {
	fx.t.Helper()
	plain, k, err := server.NewKey(time.Now(), name, grants, 0, "test", fx.seal)
	if err != nil {
		fx.t.Fatal(err)
	}
	if err := fx.st.Control().CreateKey(fx.t.Context(), k, nil); err != nil {
		fx.t.Fatal(err)
	}
	return plain
}

func (fx *fixture) must(err error) {
	fx.t.Helper()
	if err != nil {
		fx.t.Fatal(err)
	}
}

// seed stores a project, two runs (one running, waiting for approval to
// production; one finished), their jobs, logs and gate decisions, an
// approval request, and a live release in staging.
func (fx *fixture) seed() {
	ctx, now := fx.t.Context(), time.Now().UTC()
	p, err := server.NewProject("goodbooks", "https://git.example/acme/goodbooks.git", "", "", fx.seal)
	fx.must(err)
	fx.must(fx.st.Control().PutProject(ctx, p, nil))
	fx.done = &store.Run{Project: "goodbooks", Pipeline: "goodbooks", Status: store.StatusSucceeded, Event: "push", Branch: "main",
		Commit: strings.Repeat("a", 40), Actor: "bo", CreatedAt: now.Add(-2 * time.Hour), StartedAt: now.Add(-2 * time.Hour),
		FinishedAt: now.Add(-2*time.Hour + 95*time.Second)}
	fx.must(fx.st.Runs().CreateRun(ctx, fx.done))
	fx.run = &store.Run{Project: "goodbooks", Pipeline: "goodbooks", Status: store.StatusRunning, Event: "push", Branch: "main",
		Commit: commit, Actor: "ana", CreatedAt: now.Add(-time.Minute), StartedAt: now.Add(-time.Minute)}
	fx.must(fx.st.Runs().CreateRun(ctx, fx.run))
	fx.must(fx.st.Jobs().PutJobs(ctx, []*store.Job{
		{RunID: fx.run.ID, ID: "lint", Status: store.StatusSucceeded, StartedAt: now.Add(-time.Minute), FinishedAt: now.Add(-50 * time.Second)},
		{RunID: fx.run.ID, ID: "unit", Status: store.StatusSucceeded, StartedAt: now.Add(-time.Minute), FinishedAt: now.Add(-40 * time.Second)},
		{RunID: fx.run.ID, ID: "build", Needs: []string{"lint", "unit"}, Status: store.StatusSucceeded},
		{RunID: fx.run.ID, ID: "deploy", Needs: []string{"build"}, Status: store.StatusRunning},
	}))
	fx.must(fx.st.Jobs().PutJobs(ctx, []*store.Job{{RunID: fx.done.ID, ID: "lint", Status: store.StatusSucceeded}}))
	line := func(run, job string, stream store.Stream, text string) *store.LogLine {
		return &store.LogLine{RunID: run, JobID: job, Time: now, Stream: stream, Text: text}
	}
	for _, batch := range [][]*store.LogLine{
		{line(fx.run.ID, "lint", store.Stdout, "vet: no problems")},
		{line(fx.run.ID, "build", store.Stdout, "built dist/goodbooks"),
			line(fx.run.ID, "build", store.Stderr, "warning: <script>alert('x')</script> \x1b[31mred\x1b[0m")},
		{line(fx.run.ID, "deploy", store.System, "waiting for 1 approval from a holder of approver other than ana (who started this run) until "+
			"2030-01-01 10:00: sluice approve 2 --env production (or reject)")},
	} {
		fx.must(fx.st.Logs().AppendLogs(ctx, batch))
	}
	decision := func(env, outcome, msg string) *store.Decision {
		body, _ := json.Marshal(map[string]any{"outcome": outcome, "env": env, "judged": 3,
			"reasons": []map[string]string{{"kind": "threshold", "effect": outcome, "message": msg}}})
		return &store.Decision{RunID: fx.run.ID, Env: env, JobID: "deploy", Outcome: outcome, Body: body, CreatedAt: now}
	}
	fx.must(fx.st.Decisions().PutDecision(ctx, decision("staging", "pass", "no finding at or above high")))
	fx.must(fx.st.Decisions().PutDecision(ctx, decision("production", "warn", "2 medium findings (warn at medium)")))
	fx.must(fx.st.Approvals().RequestApproval(ctx, &store.ApprovalRequest{RunID: fx.run.ID, Env: "production", JobID: "deploy", Min: 1,
		Roles: []string{"approver"}, NotAuthor: true, Author: "ana", Deadline: now.Add(time.Hour), State: store.ApprovalPending, CreatedAt: now},
		&store.AuditRecord{Time: now, Actor: "ana", Action: "approval.requested", Subject: "run/" + fx.run.ID}))
	rel := &store.Release{ID: "rel-1", Env: "staging", Version: "v1.2.3", Digest: "sha256:" + strings.Repeat("b", 64), RunID: fx.done.ID,
		Strategy: "blue-green", State: store.ReleaseLive, Weight: 100, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
	fx.must(fx.st.Releases().CreateRelease(ctx, rel, &store.AuditRecord{Time: now, Actor: "bo", Action: "release.create",
		Subject: "release/rel-1", Data: map[string]string{"env": "staging"}}))
	fx.must(fx.st.Releases().PutEnv(ctx, &store.EnvState{Env: "staging", Live: "rel-1", UpdatedAt: now}, nil))
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects (tests look at each answer).
type browser struct {
	t  *testing.T
	fx *fixture
	hc *http.Client
}

func (fx *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: fx.t, fx: fx, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is one answer: its status, headers and body.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), "GET", b.fx.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form as a browser on this site would (Origin set); hdr
// overrides headers ("" deletes one).
func (b *browser) post(path string, form url.Values, hdr map[string]string) page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), "POST", b.fx.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.fx.srv.URL)
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the first CSRF token of a page.
func (b *browser) csrf(p page) string {
	b.t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on the page:\n%s", p.body)
	}
	return m[1]
}

// login logs in with key and returns the answer to the form.
func (b *browser) login(key string) page {
	b.t.Helper()
	form := b.get("/login")
	return b.post("/login", url.Values{"key": {key}, "csrf": {b.csrf(form)}}, nil)
}

// mustLogin logs in and fails the test unless it worked.
func (b *browser) mustLogin(key string) {
	b.t.Helper()
	if p := b.login(key); p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		b.t.Fatalf("login: %d %s\n%s", p.status, p.header.Get("Location"), p.body)
	}
}

// cookie is the browser's cookie name for the UI, or "".
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.fx.srv.URL)
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func wantContains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func wantStatus(t *testing.T, what string, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: %d, want %d\n%s", what, p.status, status, p.body)
	}
}
