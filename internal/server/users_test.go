package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
)

const anaPassword = "correct horse battery staple"

// mkUser stores a user with password and grants.
func (fx *fixture) mkUser(name, password string, grants ...string) *store.User {
	fx.t.Helper()
	u, err := NewUser(time.Now(), name, password, grants, "test")
	if err != nil {
		fx.t.Fatal(err)
	}
	if err := fx.st.Control().CreateUser(fx.t.Context(), u, nil); err != nil {
		fx.t.Fatal(err)
	}
	return u
}

// session is the answer to a successful login.
type session struct {
	ID, Key, User string
	Grants        []string
	Expires       time.Time `json:"expires_at"`
}

// login posts a user and password and returns the answer.
func (fx *fixture) login(user, password string) (*http.Response, []byte) {
	fx.t.Helper()
	return fx.do("POST", "/api/v1/sessions", "", map[string]string{"user": user, "password": password}, nil)
}

// mustLogin logs in and returns the session's key.
func (fx *fixture) mustLogin(user, password string) session {
	fx.t.Helper()
	res, body := fx.login(user, password)
	if res.StatusCode != http.StatusCreated {
		fx.t.Fatalf("login as %s: %d %s", user, res.StatusCode, body)
	}
	var s session
	if err := json.Unmarshal(body, &s); err != nil {
		fx.t.Fatal(err)
	}
	return s
}

// TestUserSession: a user made through the API logs in; the session's key
// holds exactly the user's grants, expires in 12 hours, acts as the user
// in the audit trail, and logging out revokes it.
func TestUserSession(t *testing.T) {
	fx := newFixture(t)
	admin := fx.mkKey("root", "admin")
	grants := []string{"developer@goodbooks", "approver@*/staging"}
	res, body := fx.do("POST", "/api/v1/users", admin, map[string]any{"name": "ana", "password": anaPassword, "grants": grants}, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create user: %d %s", res.StatusCode, body)
	}
	if res, body := fx.do("POST", "/api/v1/users", admin, map[string]any{"name": "ana", "password": anaPassword, "grants": []string{"viewer"}}, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("the same name twice: %d %s", res.StatusCode, body)
	}

	before := time.Now()
	s := fx.mustLogin("ana", anaPassword)
	if s.User != "ana" || !slices.Equal(s.Grants, grants) || !strings.HasPrefix(s.Key, auth.KeyPrefix) {
		t.Fatalf("login answer: %+v", s)
	}
	if d := s.Expires.Sub(before); d < SessionTTL-time.Minute || d > SessionTTL+time.Minute {
		t.Errorf("the session key expires in %s, want %s", d, SessionTTL)
	}
	k, err := fx.st.Control().GetKey(t.Context(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k.User != "ana" || k.Name != "session of ana" || !slices.Equal(k.Grants, grants) || !k.ExpiresAt.Equal(s.Expires) {
		t.Errorf("stored session key: %+v", k)
	}

	// The keys list marks the session's key as the user's.
	if _, body := fx.do("GET", "/api/v1/keys", admin, nil, nil); !strings.Contains(string(body), `"user": "ana"`) {
		t.Errorf("the keys list does not mark ana's session:\n%s", body)
	}

	// Who am I: the user, with the user's grants.
	res, body = fx.do("GET", "/api/v1/whoami", s.Key, nil, nil)
	var me struct {
		Name, User string
		Grants     []grantJSON
	}
	if err := json.Unmarshal(body, &me); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("whoami: %d %s", res.StatusCode, body)
	}
	var got []string
	for _, g := range me.Grants {
		got = append(got, g.Grant)
	}
	if me.Name != "ana" || me.User != "ana" || !slices.Equal(got, grants) {
		t.Errorf("whoami of the session: %+v", me)
	}

	// The session may do what the user may, no more, and acts as the user.
	if res, _ := fx.do("GET", "/api/v1/keys", s.Key, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a developer lists keys: %d, want 403", res.StatusCode)
	}
	if res, _ := fx.do("GET", "/api/v1/projects", s.Key, nil, nil); res.StatusCode != http.StatusOK {
		t.Errorf("listing projects: %d", res.StatusCode)
	}
	if res, _ := fx.do("GET", "/api/v1/users", s.Key, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a developer lists users: %d, want 403", res.StatusCode)
	}
	denied := fx.audited("key/"+s.ID, "auth.denied")
	if len(denied) == 0 || denied[0].Actor != "ana" {
		t.Errorf("the refusal's audit record: %+v, want actor ana", denied)
	}
	logins := fx.audited("user/ana", "user.login")
	if len(logins) != 1 || logins[0].Actor != "ana" || logins[0].Data["key"] != s.ID {
		t.Errorf("the login's audit record: %+v", logins)
	}
	if u, _ := fx.st.Control().GetUser(t.Context(), "ana"); u.LastLoginAt.Before(before.Add(-time.Second)) {
		t.Errorf("last login not recorded: %v", u.LastLoginAt)
	}

	// Logging out revokes the session's key, and only a session's key.
	if res, body := fx.do("DELETE", "/api/v1/sessions/current", admin, nil, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("logging out an API key: %d %s, want 409", res.StatusCode, body)
	}
	if res, _ := fx.do("GET", "/api/v1/keys", admin, nil, nil); res.StatusCode != http.StatusOK {
		t.Errorf("the admin key after its refused logout: %d", res.StatusCode)
	}
	if res, body := fx.do("DELETE", "/api/v1/sessions/current", s.Key, nil, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d %s", res.StatusCode, body)
	}
	if res, _ := fx.do("GET", "/api/v1/whoami", s.Key, nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the session's key after logout: %d, want 401", res.StatusCode)
	}
	if out := fx.audited("user/ana", "user.logout"); len(out) != 1 || out[0].Actor != "ana" {
		t.Errorf("the logout's audit record: %+v", out)
	}
}

// TestLoginRefusalsLookAlike: a wrong password, an unknown user and a
// disabled user get the same answer, and an unknown user costs a hash as
// a wrong password does.
func TestLoginRefusalsLookAlike(t *testing.T) {
	fx := newFixture(t)
	admin := fx.mkKey("root", "admin")
	fx.mkUser("ana", anaPassword, "viewer")
	fx.mkUser("bo", anaPassword, "viewer")
	s := fx.mustLogin("bo", anaPassword)

	refusal := func(what, user, password string) (string, time.Duration) {
		t.Helper()
		start := time.Now()
		res, body := fx.login(user, password)
		took := time.Since(start)
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: %d %s, want 401", what, res.StatusCode, body)
		}
		return string(body), took
	}
	wrong, _ := refusal("a wrong password", "ana", "not the password at all")
	unknown, _ := refusal("an unknown user", "nobody", anaPassword)
	if wrong != unknown || !strings.Contains(wrong, loginRefused) {
		t.Errorf("the answers differ:\nwrong password: %s\nunknown user: %s", wrong, unknown)
	}
	// Timing: the fastest of a few tries each, so that noise on a busy
	// machine does not decide. Without the dummy hash an unknown user is
	// answered tens of times faster.
	fastest := func(user string) time.Duration {
		best := time.Hour
		for range 3 {
			_, d := refusal("timing "+user, user, "not the password at all")
			best = min(best, d)
		}
		return best
	}
	if w, u := fastest("ana"), fastest("nobody"); u < w/3 {
		t.Errorf("an unknown user is answered in %s, a wrong password in %s: the difference tells which users exist", u, w)
	}

	// Disabling bo refuses their logins with the same answer and revokes
	// the session they have.
	if res, body := fx.do("DELETE", "/api/v1/users/bo", admin, nil, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("disable: %d %s", res.StatusCode, body)
	}
	if res, _ := fx.do("DELETE", "/api/v1/users/bo", admin, nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("disabling twice: %d, want 404", res.StatusCode)
	}
	if disabled, _ := refusal("a disabled user", "bo", anaPassword); disabled != wrong {
		t.Errorf("a disabled user's answer differs: %s", disabled)
	}
	if res, _ := fx.do("GET", "/api/v1/whoami", s.Key, nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a disabled user's session: %d, want 401", res.StatusCode)
	}
	if k, _ := fx.st.Control().GetKey(t.Context(), s.ID); k.RevokedAt.IsZero() {
		t.Error("disabling the user did not revoke their session's key")
	}

	// The audit trail says what failed (the caller does not learn it),
	// and names only users that exist.
	fails := fx.audited("user/ana", "user.login_failed")
	if len(fails) == 0 || fails[0].Data["reason"] != "wrong password" || fails[0].Actor != "anonymous" {
		t.Errorf("a wrong password's audit record: %+v", fails)
	}
	if fails := fx.audited("user/bo", "user.login_failed"); len(fails) != 1 || fails[0].Data["reason"] != "disabled user" {
		t.Errorf("a disabled user's audit record: %+v", fails)
	}
	unknownRecs := fx.audited("addr/", "user.login_failed")
	if len(unknownRecs) == 0 || unknownRecs[0].Data["reason"] != "unknown user" {
		t.Errorf("an unknown user's audit record: %+v", unknownRecs)
	}
	if recs := fx.audited("user/nobody", "user.login_failed"); len(recs) != 0 {
		t.Errorf("an unknown name was recorded: %+v", recs)
	}
	if res, _ := fx.do("DELETE", "/api/v1/users/bo", s.Key, nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked session: %d", res.StatusCode)
	}
}

// TestUserManagement: who may manage users, the rules for names and
// passwords, and a password change ending the sessions.
func TestUserManagement(t *testing.T) {
	fx := newFixture(t)
	admin := fx.mkKey("root", "admin")
	for _, key := range []string{fx.mkKey("gb-admin", "admin@goodbooks"), fx.mkKey("dev", "developer")} {
		if res, _ := fx.do("GET", "/api/v1/users", key, nil, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("listing users without an unscoped users:manage: %d, want 403", res.StatusCode)
		}
		if res, _ := fx.do("POST", "/api/v1/users", key, map[string]any{"name": "x", "password": anaPassword, "grants": []string{"viewer@goodbooks"}}, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("creating a user without an unscoped users:manage: %d, want 403", res.StatusCode)
		}
	}
	for _, c := range []struct {
		name, password string
		grants         []string
		status         int
		says           string
	}{
		{"ana", "short", []string{"viewer"}, http.StatusBadRequest, "at least 12"},
		{"Ana", anaPassword, []string{"viewer"}, http.StatusBadRequest, "lowercase"},
		{"-ana", anaPassword, []string{"viewer"}, http.StatusBadRequest, "lowercase"},
		{"ana", anaPassword, nil, http.StatusBadRequest, "at least one grant"},
		{"ana", anaPassword, []string{"root"}, http.StatusBadRequest, "unknown role"},
	} {
		res, body := fx.do("POST", "/api/v1/users", admin, map[string]any{"name": c.name, "password": c.password, "grants": c.grants}, nil)
		if res.StatusCode != c.status || !strings.Contains(string(body), c.says) {
			t.Errorf("create %q with %q %v: %d %s, want %d saying %q", c.name, c.password, c.grants, res.StatusCode, body, c.status, c.says)
		}
	}
	if users, _ := fx.st.Control().ListUsers(t.Context()); len(users) != 0 {
		t.Fatalf("a refused user was stored: %+v", users[0])
	}

	fx.mkUser("ana", anaPassword, "viewer")
	s := fx.mustLogin("ana", anaPassword)
	const newPassword = "a much better passphrase"
	if res, body := fx.do("PUT", "/api/v1/users/ana/password", admin, map[string]string{"password": "too short"}, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a short password: %d %s", res.StatusCode, body)
	}
	if res, _ := fx.do("PUT", "/api/v1/users/nobody/password", admin, map[string]string{"password": newPassword}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown user's password: %d, want 404", res.StatusCode)
	}
	if res, body := fx.do("PUT", "/api/v1/users/ana/password", admin, map[string]string{"password": newPassword}, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("set password: %d %s", res.StatusCode, body)
	}
	if res, _ := fx.do("GET", "/api/v1/whoami", s.Key, nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a session from before the password change: %d, want 401", res.StatusCode)
	}
	if res, _ := fx.login("ana", anaPassword); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password: %d, want 401", res.StatusCode)
	}
	fx.mustLogin("ana", newPassword)
	if recs := fx.audited("user/ana", "user.password"); len(recs) != 1 || recs[0].Actor != "root" {
		t.Errorf("the password change's audit record: %+v", recs)
	}
}

// TestPasswordHashNeverLeaves: no answer of the API and no audit record
// holds a password or its hash.
func TestPasswordHashNeverLeaves(t *testing.T) {
	fx := newFixture(t)
	admin := fx.mkKey("root", "admin")
	var answers []string
	call := func(method, path, key string, body any) {
		t.Helper()
		res, out := fx.do(method, path, key, body, nil)
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, out)
		}
		answers = append(answers, string(out))
	}
	call("POST", "/api/v1/users", admin, map[string]any{"name": "ana", "password": anaPassword, "grants": []string{"viewer"}})
	call("PUT", "/api/v1/users/ana/password", admin, map[string]string{"password": anaPassword + "!"})
	s := fx.mustLogin("ana", anaPassword+"!")
	call("GET", "/api/v1/users", admin, nil)
	call("GET", "/api/v1/keys", admin, nil)
	call("GET", "/api/v1/whoami", s.Key, nil)
	res, out := fx.login("ana", "a wrong password, logged nowhere")
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong password: %d", res.StatusCode)
	}
	answers = append(answers, string(out))
	call("GET", "/api/v1/audit?limit=1000", admin, nil)
	u, err := fx.st.Control().GetUser(t.Context(), "ana")
	if err != nil {
		t.Fatal(err)
	}
	_, salt, key, err := auth.ParsePasswordHash(u.PasswordHash)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answers[2], `"name": "ana"`) {
		t.Fatalf("the users list does not list ana: %s", answers[2])
	}
	secrets := []string{u.PasswordHash, auth.PasswordScheme, string(salt), string(key), anaPassword, "logged nowhere"}
	for i, a := range answers {
		for _, s := range secrets {
			if strings.Contains(a, s) {
				t.Errorf("answer %d holds %q:\n%s", i, s, a)
			}
		}
	}
	recs, _ := fx.st.Audit().ListAudit(t.Context(), store.AuditQuery{})
	for _, r := range recs {
		data, _ := json.Marshal(r)
		for _, s := range secrets {
			if strings.Contains(string(data), s) {
				t.Errorf("audit record %d holds %q: %s", r.Seq, s, data)
			}
		}
	}
}

// TestLoginFailuresSlowDown: failed logins count in the limiter of failed
// authentications, like bad keys; then even the right password waits.
func TestLoginFailuresSlowDown(t *testing.T) {
	fx := newFixtureWith(t, auth.LimiterConfig{MaxFailures: 3, BaseDelay: time.Minute})
	fx.mkUser("ana", anaPassword, "viewer")
	for range 3 {
		if res, _ := fx.login("ana", "guess guess guess"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a guess: %d", res.StatusCode)
		}
	}
	res, _ := fx.login("ana", anaPassword)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("the right password after 3 guesses: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// Bad keys and bad passwords share the count.
	if res, _ := fx.do("GET", "/api/v1/runs", "slk_guess", nil, nil); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a key after 3 bad passwords: %d, want 429", res.StatusCode)
	}
}
