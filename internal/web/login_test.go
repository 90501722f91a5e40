package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
)

func TestLoginRefusesBadKey(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	for _, key := range []string{"slk_bad", "slk_aaaaaaaaaaaaaaaa_" + strings.Repeat("x", 40), "not even a key"} {
		p := b.login(key)
		wantStatus(t, "login with "+key, p, http.StatusUnauthorized)
		wantContains(t, "the refused login", p.body, "That key was not accepted", `id="login"`)
		if b.cookie(sessionCookie) != "" {
			t.Fatalf("a refused login got a session cookie")
		}
	}
	// Without the login form's token nothing is even tried.
	p := b.post("/login", url.Values{"key": {fx.key("ana", "viewer")}}, nil)
	wantStatus(t, "login without the form's token", p, http.StatusForbidden)
}

// TestLoginSlowsGuessing: failed logins count in the API's limiter
// against the browser's address; after a few even a good key waits.
func TestLoginSlowsGuessing(t *testing.T) {
	fx := newFixtureWith(t, auth.LimiterConfig{MaxFailures: 3, BaseDelay: time.Minute})
	b := fx.browser()
	good := fx.key("ana", "viewer")
	for range 3 {
		wantStatus(t, "a guess", b.login("slk_guess"), http.StatusUnauthorized)
	}
	p := b.login(good)
	wantStatus(t, "a good key after 3 guesses", p, http.StatusTooManyRequests)
	wantContains(t, "the slowed login", p.body, "Too many failed attempts from your address")
	if p.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	recs, _ := fx.st.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "addr/"})
	if len(recs) < 3 || recs[0].Action != "auth.failed" {
		t.Errorf("failed logins are not audited: %+v", recs)
	}
}

func TestLoginSetsSessionCookie(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	key := fx.key("ana", "viewer")
	form := b.get("/login")
	wantStatus(t, "login page", form, http.StatusOK)
	wantContains(t, "the login page", form.body, `<form id="login"`, `name="key" type="password"`)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", fx.srv.URL+"/login",
		strings.NewReader(url.Values{"key": {key}, "csrf": {b.csrf(form)}, "next": {"/approvals"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", fx.srv.URL)
	res, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/approvals" {
		t.Fatalf("login: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	var c *http.Cookie
	for _, x := range res.Cookies() {
		if x.Name == sessionCookie {
			c = x
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || len(c.Value) < 40 {
		t.Fatalf("session cookie: %+v", c)
	}
	if strings.Contains(c.Value, key) || strings.Contains(res.Header.Get("Set-Cookie"), strings.Split(key, "_")[2]) {
		t.Fatal("the key reached the browser")
	}
	p := b.get("/")
	wantStatus(t, "overview after login", p, http.StatusOK)
	wantContains(t, "the overview", p.body, `data-testid="user">ana<`)

	// An outside redirect target is not followed.
	b2 := fx.browser()
	form = b2.get("/login?next=//evil.example/")
	p = b2.post("/login", url.Values{"key": {key}, "csrf": {b2.csrf(form)}, "next": {"//evil.example/"}}, nil)
	if p.header.Get("Location") != "/" {
		t.Errorf("login with next=//evil.example/ goes to %q", p.header.Get("Location"))
	}
}

func TestNoSessionGoesToLogin(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	for path, loc := range map[string]string{"/": "/login", "/runs/1": "/login?next=%2Fruns%2F1", "/approvals": "/login?next=%2Fapprovals"} {
		p := b.get(path)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != loc {
			t.Errorf("%s without a session: %d to %q, want %s", path, p.status, p.header.Get("Location"), loc)
		}
	}
	// A browser arriving from another site does not send its SameSite=
	// Strict cookie: it gets a page that reloads itself first.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", fx.srv.URL+"/runs/1", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	p := b.do(req)
	wantStatus(t, "a cross-site arrival", p, http.StatusOK)
	wantContains(t, "the bounce page", p.body, `http-equiv="refresh" content="0"`, `href="/runs/1"`)
	// The live proxy answers 401, in JSON.
	p = b.get("/ui/api/runs/1")
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "unauthenticated") {
		t.Errorf("proxy without a session: %d %s", p.status, p.body)
	}
}

func TestLogoutEndsSession(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("ana", "viewer"))
	id := b.cookie(sessionCookie)
	home := b.get("/")
	wantStatus(t, "overview", home, http.StatusOK)
	wantContains(t, "the overview", home.body, `action="/logout"`)
	// Logout is a POST with the session's token.
	wantStatus(t, "logout without the token", b.post("/logout", url.Values{}, nil), http.StatusForbidden)
	wantStatus(t, "still logged in", b.get("/"), http.StatusOK)
	p := b.post("/logout", url.Values{"csrf": {b.csrf(home)}}, nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %s", p.status, p.header.Get("Location"))
	}
	if b.cookie(sessionCookie) != "" {
		t.Error("the session cookie was not cleared")
	}
	// The old session id is dead on the server, not just forgotten.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", fx.srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: id})
	if p := b.do(req); p.status != http.StatusSeeOther {
		t.Errorf("the logged-out session still opens the overview: %d", p.status)
	}
}

func TestSessionTimeouts(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("ana", "viewer"))
	// Active use keeps the session past the idle timeout...
	for range 3 {
		fx.clock.advance(50 * time.Minute)
		wantStatus(t, "overview while active", b.get("/"), http.StatusOK)
	}
	// ...an hour without a request ends it...
	fx.clock.advance(61 * time.Minute)
	if p := b.get("/"); p.status != http.StatusSeeOther {
		t.Fatalf("after an idle hour: %d", p.status)
	}
	// ...and so do twelve hours, however active.
	b.mustLogin(fx.key("bo", "viewer"))
	for range 15 {
		fx.clock.advance(50 * time.Minute)
		b.get("/")
	}
	if p := b.get("/"); p.status != http.StatusSeeOther {
		t.Fatalf("after 12 busy hours: %d", p.status)
	}
}

func TestCSRF(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("bo", "approver"))
	page := b.get("/approvals")
	wantStatus(t, "approvals", page, http.StatusOK)
	token := b.csrf(page)
	path := "/approvals/" + fx.run.ID + "/production"
	form := url.Values{"csrf": {token}, "verdict": {"reject"}, "comment": {"no"}}
	cases := []struct {
		name string
		form url.Values
		hdr  map[string]string
	}{
		{"no token", url.Values{"verdict": {"reject"}}, nil},
		{"a wrong token", url.Values{"csrf": {token[:len(token)-2] + "xx"}, "verdict": {"reject"}}, nil},
		{"a foreign Origin", form, map[string]string{"Origin": "http://evil.example"}},
		{"a foreign Referer and no Origin", form, map[string]string{"Origin": "", "Referer": "http://evil.example/page"}},
		{"neither Origin nor Referer", form, map[string]string{"Origin": ""}},
		{"Origin null and no Referer", form, map[string]string{"Origin": "null"}},
	}
	for _, c := range cases {
		p := b.post(path, c.form, c.hdr)
		if p.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", c.name, p.status)
		}
	}
	if vs, _ := fx.st.Approvals().ListApprovals(t.Context(), fx.run.ID, "production"); len(vs) != 0 {
		t.Fatalf("a refused form was acted on: %+v", vs)
	}
	// The same form from this site, with a Referer instead of an Origin.
	p := b.post(path, url.Values{"csrf": {token}, "verdict": {"approve"}, "comment": {"ok"}}, map[string]string{"Origin": "", "Referer": fx.srv.URL + "/approvals"})
	if p.status != http.StatusSeeOther {
		t.Fatalf("a good form: %d\n%s", p.status, p.body)
	}
}
