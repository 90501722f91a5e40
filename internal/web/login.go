package web

import (
	"net/http"
	"strings"

	"github.com/sluice-ci/sluice/internal/auth"
)

// loginView is the login page's data.
type loginView struct {
	Next  string
	Error string
	// User is the user name typed, given back after a refusal.
	User string
}

// loginPage shows the login forms: a user name and password, or an API
// key. Its CSRF token is a random value in a short-lived cookie and in the
// forms (there is no session yet): a form posted from another site
// carries neither.
func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := u.sessionOf(r); ok {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	u.showLogin(w, r, http.StatusOK, loginView{Next: localPath(r.URL.Query().Get("next"))})
}

func (u *UI) showLogin(w http.ResponseWriter, r *http.Request, status int, lv loginView) {
	token := randomToken()
	setCookie(w, r, loginCookie, token, "/login", 3600)
	u.render(w, r, status, "login", view{Title: "Log in", CSRF: token, Page: lv})
}

// login starts a session from either form: a user's name and password
// (the form with a "user" field) or an API key. Both are checked by the
// API, and failed attempts count in its limiter against the browser's
// address, as failed API calls do.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	lv := loginView{Next: localPath(r.PostFormValue("next"))}
	c, err := r.Cookie(loginCookie)
	if err != nil || !tokenEqual(r.PostFormValue("csrf"), c.Value) {
		lv.Error = "The login form expired or did not come from this site. Try again."
		u.showLogin(w, r, http.StatusForbidden, lv)
		return
	}
	if _, byUser := r.PostForm["user"]; byUser {
		u.loginUser(w, r, lv)
		return
	}
	key := strings.TrimSpace(r.PostFormValue("key"))
	if key == "" {
		lv.Error = "Enter an API key."
		u.showLogin(w, r, http.StatusBadRequest, lv)
		return
	}
	u.startSession(w, r, lv, key, false, "That key was not accepted.")
}

// loginUser logs a user in: the API checks the name and password and
// mints a key for the session (POST /api/v1/sessions), which the session
// then keeps exactly as it keeps a key typed in.
func (u *UI) loginUser(w http.ResponseWriter, r *http.Request, lv loginView) {
	name := strings.TrimSpace(r.PostFormValue("user"))
	password := r.PostFormValue("password")
	lv.User = name
	if name == "" || password == "" {
		lv.Error = "Enter your user name and password."
		u.showLogin(w, r, http.StatusBadRequest, lv)
		return
	}
	var minted struct {
		Key string `json:"key"`
	}
	err := u.call(r, "", http.MethodPost, "/api/v1/sessions", map[string]string{"user": name, "password": password}, &minted)
	if u.loginRefused(w, r, lv, err, "That user name and password were not accepted.") {
		return
	}
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	u.startSession(w, r, lv, minted.Key, true, "The key of this login was not accepted.")
}

// loginRefused shows the login page again when err is the API's refusal
// (401, with refused as the message, or 429), and reports whether it did.
func (u *UI) loginRefused(w http.ResponseWriter, r *http.Request, lv loginView, err error, refused string) bool {
	if ae := asAPIError(err, http.StatusUnauthorized); ae != nil {
		lv.Error = refused
		u.showLogin(w, r, http.StatusUnauthorized, lv)
		return true
	}
	if ae := asAPIError(err, http.StatusTooManyRequests); ae != nil {
		w.Header().Set("Retry-After", ae.RetryAfter)
		lv.Error = "Too many failed attempts from your address. Try again in " + ae.RetryAfter + " seconds."
		u.showLogin(w, r, http.StatusTooManyRequests, lv)
		return true
	}
	return false
}

// startSession checks key by calling the API with it and starts a session
// with a new id (no fixation). minted says the key was made for this
// session by a user's login, so logging out revokes it.
func (u *UI) startSession(w http.ResponseWriter, r *http.Request, lv loginView, key string, minted bool, refused string) {
	// Who-am-I answers every valid key, so it tells a good key from a
	// bad one, and names the key (or the user) and its grants.
	var who struct {
		KeyID  string `json:"key_id"`
		Name   string `json:"name"`
		Grants []struct {
			Role    string `json:"role"`
			Project string `json:"project"`
			Env     string `json:"env"`
		} `json:"grants"`
	}
	err := u.call(r, key, http.MethodGet, "/api/v1/whoami", nil, &who)
	if u.loginRefused(w, r, lv, err, refused) {
		return
	}
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	user := who.Name
	if user == "" {
		user = "key " + who.KeyID
	}
	grants := make([]auth.Grant, 0, len(who.Grants))
	for _, g := range who.Grants {
		grants = append(grants, auth.Grant{Role: g.Role, Project: g.Project, Env: g.Env})
	}
	if old, ok := u.sessionOf(r); ok {
		u.endSession(r, &old)
	}
	s := u.sessions.create(key, who.KeyID, user, grants, minted)
	setCookie(w, r, sessionCookie, s.id, "/", 0)
	setCookie(w, r, loginCookie, "", "/login", -1)
	u.o.Logger.Info("web: login", "key", who.KeyID, "user", user, "by_password", minted)
	http.Redirect(w, r, lv.Next, http.StatusSeeOther)
}

// endSession forgets s and, when its key was minted by a user's login,
// revokes the key through the API.
func (u *UI) endSession(r *http.Request, s *session) {
	u.sessions.delete(s.id)
	if !s.minted {
		return
	}
	err := u.call(r, s.key, http.MethodDelete, "/api/v1/sessions/current", nil, nil)
	if err != nil && asAPIError(err, http.StatusUnauthorized) == nil {
		u.o.Logger.Warn("web: the key of an ended session was not revoked; it expires on its own", "key", s.keyID, "err", err)
	}
}

// logout ends the session (a POST with the session's CSRF token).
func (u *UI) logout(w http.ResponseWriter, r *http.Request, s *session) {
	u.endSession(r, s)
	setCookie(w, r, sessionCookie, "", "/", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
