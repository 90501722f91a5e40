package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/server"
	"github.com/sluice-ci/sluice/internal/store"
)

const password = "correct horse battery staple"

// user stores a user account with the test password and grants.
func (fx *fixture) user(name string, grants ...string) {
	fx.t.Helper()
	u, err := server.NewUser(time.Now(), name, password, grants, "test")
	fx.must(err)
	fx.must(fx.st.Control().CreateUser(fx.t.Context(), u, nil))
}

// loginUser sends the login page's user form and returns the answer.
func (b *browser) loginUser(user, pw string) page {
	b.t.Helper()
	form := b.get("/login")
	return b.post("/login", url.Values{"user": {user}, "password": {pw}, "csrf": {b.csrf(form)}}, nil)
}

// sessionKeys returns the stored keys of user's login sessions.
func (fx *fixture) sessionKeys(user string) []*store.APIKey {
	fx.t.Helper()
	keys, err := fx.st.Control().ListKeys(fx.t.Context())
	fx.must(err)
	var out []*store.APIKey
	for _, k := range keys {
		if k.User == user {
			out = append(out, k)
		}
	}
	return out
}

// TestLoginPageOffersBoth: the page has the user form and the key form,
// each a plain form with its labels, the CSRF token and the names and
// test ids the browser tests use.
func TestLoginPageOffersBoth(t *testing.T) {
	fx := newFixture(t)
	p := fx.browser().get("/login")
	wantStatus(t, "login page", p, http.StatusOK)
	wantContains(t, "the login page", p.body,
		`<form id="login-user" method="post" action="/login">`, `<label for="user">`, `name="user" type="text"`, `autocomplete="username"`,
		`<label for="password">`, `name="password" type="password" autocomplete="current-password"`, `data-testid="login-user-submit"`,
		`<form id="login" method="post" action="/login">`, `<label for="key">`, `name="key" type="password"`, `data-testid="login-submit"`,
		`<legend>With your user account</legend>`, `<legend>With an API key</legend>`)
	if n := strings.Count(p.body, `name="csrf"`); n != 2 {
		t.Errorf("%d CSRF fields, want one per form", n)
	}
	if bad := inlineCode(p.body); len(bad) != 0 {
		t.Errorf("inline code on the login page: %v", bad)
	}
}

// TestUserLogin: a user logs in with a name and password; the session
// keeps the key the API minted, shows the user's name, acts as the user
// (a verdict is theirs), and logging out revokes the key.
func TestUserLogin(t *testing.T) {
	fx := newFixture(t)
	fx.user("bo", "approver", "viewer")
	b := fx.browser()
	p := b.loginUser("bo", password)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		t.Fatalf("user login: %d to %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	keys := fx.sessionKeys("bo")
	if len(keys) != 1 {
		t.Fatalf("%d session keys for bo, want 1", len(keys))
	}
	k := keys[0]
	if !slices.Equal(k.Grants, []string{"approver", "viewer"}) || k.Name != "session of bo" || !k.RevokedAt.IsZero() {
		t.Errorf("the session's key: %+v", k)
	}
	if c := b.cookie(sessionCookie); c == "" || strings.Contains(c, k.ID) {
		t.Errorf("session cookie %q", c)
	}
	home := b.get("/")
	wantStatus(t, "overview", home, http.StatusOK)
	wantContains(t, "the overview", home.body, `data-testid="user">bo<`)

	// A verdict given in the browser is bo's, not a key's.
	approvals := b.get("/approvals")
	wantStatus(t, "approvals", approvals, http.StatusOK)
	p = b.post("/approvals/"+fx.run.ID+"/production", url.Values{"csrf": {b.csrf(approvals)}, "verdict": {"approve"}, "comment": {"fine"}}, nil)
	wantStatus(t, "approve", p, http.StatusSeeOther)
	vs, err := fx.st.Approvals().ListApprovals(t.Context(), fx.run.ID, "production")
	if err != nil || len(vs) != 1 || vs[0].Approver != "bo" {
		t.Fatalf("verdicts: %+v %v", vs, err)
	}
	recs, _ := fx.st.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "run/" + fx.run.ID})
	if !slices.ContainsFunc(recs, func(r *store.AuditRecord) bool { return r.Actor == "bo" }) {
		t.Errorf("no audit record of the run names bo: %+v", recs)
	}

	// Logging out revokes the key through the API.
	p = b.post("/logout", url.Values{"csrf": {b.csrf(b.get("/"))}}, nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %s", p.status, p.header.Get("Location"))
	}
	k, err = fx.st.Control().GetKey(t.Context(), k.ID)
	if err != nil || k.RevokedAt.IsZero() {
		t.Errorf("the session's key is not revoked after logout (%v)", err)
	}
	recs, _ = fx.st.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "user/bo"})
	var got []string
	for _, r := range recs {
		got = append(got, r.Actor+" "+r.Action)
	}
	if !slices.Equal(got, []string{"bo user.login", "bo user.logout"}) {
		t.Errorf("bo's audit records: %q", got)
	}

	// A key login is untouched by logout: the key stays valid.
	key := fx.key("ana", "viewer")
	b.mustLogin(key)
	b.post("/logout", url.Values{"csrf": {b.csrf(b.get("/"))}}, nil)
	id, _, _ := auth.ParseKey(key)
	if k, _ := fx.st.Control().GetKey(t.Context(), id); !k.RevokedAt.IsZero() {
		t.Error("logging out of a key's session revoked the key")
	}
}

// TestUserLoginRefused: a wrong password and an unknown user get the same
// page; neither starts a session; the name typed is given back, never the
// password.
func TestUserLoginRefused(t *testing.T) {
	fx := newFixture(t)
	fx.user("bo", "viewer")
	b := fx.browser()
	wrong := b.loginUser("bo", "not the password, no")
	unknown := b.loginUser("nobody", password)
	for what, p := range map[string]page{"a wrong password": wrong, "an unknown user": unknown} {
		wantStatus(t, what, p, http.StatusUnauthorized)
		wantContains(t, what, p.body, `data-testid="login-error">That user name and password were not accepted.<`)
		if strings.Contains(p.body, password) || strings.Contains(p.body, "not the password") {
			t.Errorf("%s: the page holds the password typed", what)
		}
	}
	wantContains(t, "the refused page", wrong.body, `name="user" type="text" value="bo"`)
	if b.cookie(sessionCookie) != "" || len(fx.sessionKeys("bo")) != 0 {
		t.Fatal("a refused login got a session")
	}
	p := b.loginUser("bo", "")
	wantStatus(t, "no password", p, http.StatusBadRequest)
	wantContains(t, "no password", p.body, "Enter your user name and password.")
	// Without the form's token nothing is tried.
	p = b.post("/login", url.Values{"user": {"bo"}, "password": {password}}, nil)
	wantStatus(t, "no token", p, http.StatusForbidden)
	if len(fx.sessionKeys("bo")) != 0 {
		t.Error("a login without the form's token minted a key")
	}
}

// TestDisabledUserIsLoggedOut: disabling a user ends their browser session
// at its next page (the API revoked its key) and refuses new logins.
func TestDisabledUserIsLoggedOut(t *testing.T) {
	fx := newFixture(t)
	fx.user("bo", "viewer")
	b := fx.browser()
	if p := b.loginUser("bo", password); p.status != http.StatusSeeOther {
		t.Fatalf("login: %d\n%s", p.status, p.body)
	}
	wantStatus(t, "overview", b.get("/"), http.StatusOK)
	admin := fx.key("root", "admin")
	req, _ := http.NewRequestWithContext(t.Context(), "DELETE", fx.srv.URL+"/api/v1/users/bo", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	if p := b.do(req); p.status != http.StatusNoContent {
		t.Fatalf("disable bo: %d %s", p.status, p.body)
	}
	p := b.get("/")
	wantStatus(t, "the next page", p, http.StatusUnauthorized)
	wantContains(t, "the next page", p.body, "Logged out")
	if b.cookie(sessionCookie) != "" {
		t.Error("the session cookie stayed")
	}
	p = b.loginUser("bo", password)
	wantStatus(t, "a disabled user's login", p, http.StatusUnauthorized)
	wantContains(t, "a disabled user's login", p.body, "That user name and password were not accepted.")
}

// TestUserLoginSlowsGuessing: wrong passwords count in the API's limiter
// against the browser's address, as bad keys do.
func TestUserLoginSlowsGuessing(t *testing.T) {
	fx := newFixtureWith(t, auth.LimiterConfig{MaxFailures: 3, BaseDelay: time.Minute})
	fx.user("bo", "viewer")
	b := fx.browser()
	for range 3 {
		wantStatus(t, "a guess", b.loginUser("bo", "guess guess guess"), http.StatusUnauthorized)
	}
	p := b.loginUser("bo", password)
	wantStatus(t, "the right password after 3 guesses", p, http.StatusTooManyRequests)
	wantContains(t, "the slowed login", p.body, "Too many failed attempts from your address")
	if p.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}
