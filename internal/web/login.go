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
}

// loginPage shows the login form. Its CSRF token is a random value in a
// short-lived cookie and in the form (there is no session yet): a form
// posted from another site carries neither.
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

// login checks the key by calling the API with it and starts a session
// with a new id (no fixation). Failed attempts count in the API's limiter
// against the browser's address, as failed API calls do.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	lv := loginView{Next: localPath(r.PostFormValue("next"))}
	c, err := r.Cookie(loginCookie)
	if err != nil || !tokenEqual(r.PostFormValue("csrf"), c.Value) {
		lv.Error = "The login form expired or did not come from this site. Try again."
		u.showLogin(w, r, http.StatusForbidden, lv)
		return
	}
	key := strings.TrimSpace(r.PostFormValue("key"))
	if key == "" {
		lv.Error = "Enter an API key."
		u.showLogin(w, r, http.StatusBadRequest, lv)
		return
	}
	// Who-am-I answers every valid key, so it tells a good key from a
	// bad one, and names the key and its grants.
	var who struct {
		KeyID  string `json:"key_id"`
		Name   string `json:"name"`
		Grants []struct {
			Role    string `json:"role"`
			Project string `json:"project"`
			Env     string `json:"env"`
		} `json:"grants"`
	}
	err = u.call(r, key, http.MethodGet, "/api/v1/whoami", nil, &who)
	if ae := asAPIError(err, http.StatusUnauthorized); ae != nil {
		lv.Error = "That key was not accepted."
		u.showLogin(w, r, http.StatusUnauthorized, lv)
		return
	}
	if ae := asAPIError(err, http.StatusTooManyRequests); ae != nil {
		w.Header().Set("Retry-After", ae.RetryAfter)
		lv.Error = "Too many failed attempts from your address. Try again in " + ae.RetryAfter + " seconds."
		u.showLogin(w, r, http.StatusTooManyRequests, lv)
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
	if old, err := r.Cookie(sessionCookie); err == nil {
		u.sessions.delete(old.Value)
	}
	s := u.sessions.create(key, who.KeyID, user, grants)
	setCookie(w, r, sessionCookie, s.id, "/", 0)
	setCookie(w, r, loginCookie, "", "/login", -1)
	u.o.Logger.Info("web: login", "key", who.KeyID, "user", user)
	http.Redirect(w, r, lv.Next, http.StatusSeeOther)
}

// logout ends the session (a POST with the session's CSRF token).
func (u *UI) logout(w http.ResponseWriter, r *http.Request, s *session) {
	u.sessions.delete(s.id)
	setCookie(w, r, sessionCookie, "", "/", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
