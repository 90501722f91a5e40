package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
)

// Cookie names: the session, and the login form's own CSRF token (there
// is no session yet when the login form is posted).
const (
	sessionCookie = "sluice_session"
	loginCookie   = "sluice_login"
	// maxSessions bounds memory; the oldest session goes first.
	maxSessions = 10000
)

// session is one logged-in browser. The API key stays here, in memory on
// the server; the browser holds only the random session id.
type session struct {
	id    string
	key   string
	keyID string
	// minted says the key was made for this session by a user's login
	// (POST /api/v1/sessions): logging out revokes it.
	minted bool
	// user names who is logged in: the user, or the key's name.
	user string
	// grants are the key's grants as the API told them at login. They
	// only decide which buttons a page shows; the API checks every call.
	grants []auth.Grant
	// csrf is the synchronizer token every form of this session carries.
	csrf    string
	created time.Time
	seen    time.Time
	// flash is a message for the next page (after a redirect).
	flash string
	// refusal is the API's refusal of a verdict, for the approvals page
	// the refused form redirects to (shown once, like flash).
	refusal *refusal
}

// refusal is a verdict the API refused: its message, and the comment
// typed, given back to the request's form.
type refusal struct {
	Message  string
	Run, Env string
	Comment  string
}

// sessions is the server-side session table. Sessions live in memory
// only: a restart of `sluice up` logs everyone out.
type sessions struct {
	mu        sync.Mutex
	m         map[string]*session
	now       func() time.Time
	idle, max time.Duration
}

func newSessions(now func() time.Time, idle, max time.Duration) *sessions {
	return &sessions{m: map[string]*session{}, now: now, idle: idle, max: max}
}

// randomToken is 32 bytes from crypto/rand, URL-safe.
func randomToken() string {
	var b [32]byte
	// Since Go 1.24 crypto/rand.Read never returns an error: it stops the
	// program rather than hand out a predictable token.
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// can reports whether the session's key may do action on project in env,
// by the same rule the API applies (auth.Principal.Can).
func (s *session) can(action auth.Action, project, env string) bool {
	return auth.Principal{Grants: s.grants}.Can(action, project, env)
}

// create starts a session for key and returns a copy of it.
func (ss *sessions) create(key, keyID, user string, grants []auth.Grant, minted bool) session {
	now := ss.now()
	s := &session{id: randomToken(), key: key, keyID: keyID, minted: minted, user: user, grants: grants, csrf: randomToken(),
		created: now, seen: now}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) >= maxSessions {
		ss.sweepLocked(now)
	}
	for len(ss.m) >= maxSessions {
		var oldest *session
		for _, x := range ss.m {
			if oldest == nil || x.created.Before(oldest.created) {
				oldest = x
			}
		}
		delete(ss.m, oldest.id)
	}
	ss.m[s.id] = s
	return *s
}

func (ss *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.seen) > ss.idle || now.Sub(s.created) > ss.max
}

func (ss *sessions) sweepLocked(now time.Time) {
	for id, s := range ss.m {
		if ss.expired(s, now) {
			delete(ss.m, id)
		}
	}
}

// get returns a copy of the live session id and marks it used; an expired
// session is deleted.
func (ss *sessions) get(id string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok {
		return session{}, false
	}
	now := ss.now()
	if ss.expired(s, now) {
		delete(ss.m, id)
		return session{}, false
	}
	s.seen = now
	out := *s
	s.flash = ""
	s.refusal = nil
	return out, true
}

func (ss *sessions) delete(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, id)
}

// setFlash leaves msg for the session's next page.
func (ss *sessions) setFlash(id, msg string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s, ok := ss.m[id]; ok {
		s.flash = msg
	}
}

// setRefusal leaves a refused verdict for the session's next page.
func (ss *sessions) setRefusal(id string, rf *refusal) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s, ok := ss.m[id]; ok {
		s.refusal = rf
	}
}

// tokenEqual compares secrets in constant time.
func tokenEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// sessionOf returns the request's live session, if any.
func (u *UI) sessionOf(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return session{}, false
	}
	return u.sessions.get(c.Value)
}

// pageHandler is a handler of a logged-in page.
type pageHandler func(w http.ResponseWriter, r *http.Request, s *session)

// withSession runs h for a logged-in browser. Without a session a GET goes
// to the login page (and comes back after); a POST must carry the
// session's CSRF token.
func (u *UI) withSession(h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := u.sessionOf(r)
		if !ok {
			u.toLogin(w, r)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if !tokenEqual(r.PostFormValue("csrf"), s.csrf) {
				u.errorPage(w, r, &s, http.StatusForbidden, "Refused",
					"This form did not carry this session's security token (it may be from an old page). Reload the page and try again.")
				return
			}
		}
		h(w, r, &s)
	}
}

// withAPISession is withSession for the JSON and event-stream proxy: no
// redirects, a JSON 401 instead.
func (u *UI) withAPISession(h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := u.sessionOf(r)
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"code":"unauthenticated","message":"log in to the web UI first"}}` + "\n"))
			return
		}
		h(w, r, &s)
	}
}

// toLogin sends a browser without a session to the login page, to come
// back to this page after. A session cookie is SameSite=Strict, so a
// browser arriving from a link on another site does not send it: such a
// request gets a page that reloads itself, now as a same-site request,
// before concluding there is no session.
func (u *UI) toLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		u.render(w, r, http.StatusOK, "bounce", view{Title: "Opening", Page: r.URL.RequestURI()})
		return
	}
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath returns next when it is a path of this site, else "/".
func localPath(next string) string {
	if next == "" || next[0] != '/' || len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}
