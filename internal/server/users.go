package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
)

// SessionTTL is how long the key of a user's login session lives.
const SessionTTL = 12 * time.Hour

// loginRefused is the one answer to a failed login, whatever failed: the
// caller learns neither whether the user exists nor whether it is
// disabled.
const loginRefused = "that user name and password were not accepted"

var userName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ValidUserName reports whether name may name a user: lowercase letters,
// digits, '.', '_' and '-', starting with a letter or digit, at most 63.
func ValidUserName(name string) bool { return userName.MatchString(name) }

// NewUser checks and builds a user account: its name, its grants (at
// least one) and its password (auth.CheckPasswordRules), which it hashes
// with argon2id. Hashing takes about 100 ms and tens of MiB of memory.
func NewUser(now time.Time, name, password string, grants []string, createdBy string) (*store.User, error) {
	if !ValidUserName(name) {
		return nil, fmt.Errorf("user name %q: lowercase letters, digits, '.', '_' and '-', at most 63", name)
	}
	if len(grants) == 0 {
		return nil, errors.New("a user needs at least one grant, like developer or approver@web/production")
	}
	for _, g := range grants {
		if _, err := auth.ParseGrant(g); err != nil {
			return nil, err
		}
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	return &store.User{Name: name, PasswordHash: hash, Grants: grants, CreatedBy: createdBy, CreatedAt: now}, nil
}

// hashSlots bounds the password hashes computed at once in this process:
// each takes auth.DefaultPasswordParams.Memory and a core for a while, so
// a flood of logins queues instead of exhausting memory.
var hashSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// withHashSlot runs fn once a hash slot is free, or gives up with ctx.
func withHashSlot(ctx context.Context, fn func()) error {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-hashSlots }()
	fn()
	return nil
}

// dummyPasswordHash is checked when the user does not exist, so that the
// answer takes as long as for a wrong password.
var dummyPasswordHash = auth.DummyPasswordHash()

// login checks a user name and password and, when they match an active
// user, mints a key for the session: it expires after SessionTTL, holds
// the user's grants, and acts as the user (the audit trail's actor is the
// user's name). The key is in the answer, once. Failures count in the
// limiter against the caller's address, as bad keys do.
func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	ctx := r.Context()
	addr := auth.LimiterKey(clientAddr(r))
	now := s.o.Now()
	if ok, retry := s.limiter.Allow(addr, now); !ok {
		w.Header().Set("Retry-After", auth.RetryAfterHeader(retry))
		writeError(w, http.StatusTooManyRequests, "too_many_failures", "too many failed authentications from this address; retry later")
		return
	}
	var body struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	if !decode(w, r, &body) {
		return
	}
	var u *store.User
	if ValidUserName(body.User) {
		got, err := s.o.Store.Control().GetUser(ctx, body.User)
		switch {
		case err == nil:
			u = got
		case !errors.Is(err, store.ErrNotFound):
			writeError(w, http.StatusInternalServerError, "store", err.Error())
			return
		}
	}
	hash := dummyPasswordHash
	if u != nil {
		hash = u.PasswordHash
	}
	var match bool
	if err := withHashSlot(ctx, func() { match = auth.CheckPassword(body.Password, hash) }); err != nil {
		writeError(w, http.StatusServiceUnavailable, "busy", "the login was given up: "+err.Error())
		return
	}
	why := ""
	switch {
	case u == nil:
		why = "unknown user"
	case !match:
		why = "wrong password"
	case !u.DisabledAt.IsZero():
		why = "disabled user"
	}
	if why != "" {
		s.limiter.Failure(addr, now)
		// The name typed is recorded only when it names a user: an unknown
		// one may be a password typed in the wrong field.
		subject := "addr/" + addr
		if u != nil {
			subject = "user/" + u.Name
		}
		s.audit(ctx, "anonymous", "user.login_failed", subject, map[string]string{"reason": why, "addr": addr})
		w.Header().Set("WWW-Authenticate", `Bearer realm="sluice"`)
		writeError(w, http.StatusUnauthorized, "unauthenticated", loginRefused)
		return
	}
	plain, k, err := NewKey(now, "session of "+u.Name, u.Grants, SessionTTL, u.Name, s.o.SealKey)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "key", err.Error())
		return
	}
	k.User = u.Name
	if err := s.o.Store.Control().CreateKey(ctx, k, &store.AuditRecord{Time: now, Actor: u.Name, Action: "user.login",
		Subject: "user/" + u.Name, Data: map[string]string{"key": k.ID, "addr": addr}}); err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	s.limiter.Success(addr)
	if err := s.o.Store.Control().TouchUser(context.WithoutCancel(ctx), u.Name, now); err != nil {
		s.o.Logger.Warn("record a user's login", "user", u.Name, "err", err)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "key": plain, "user": u.Name, "grants": k.Grants, "expires_at": k.ExpiresAt,
		"note": "this is the only time the key is shown; it expires at expires_at, and DELETE /api/v1/sessions/current ends it sooner"})
}

// logout revokes the calling key, when it is a user's login session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if p.User == "" {
		writeError(w, http.StatusConflict, "not_a_session",
			"this key is not a user's login session; revoke an API key with DELETE /api/v1/keys/"+p.KeyID)
		return
	}
	err := s.o.Store.Control().RevokeKey(r.Context(), p.KeyID, s.o.Now(), &store.AuditRecord{Time: s.o.Now(), Actor: p.Name,
		Action: "user.logout", Subject: "user/" + p.User, Data: map[string]string{"key": p.KeyID}})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// userJSON is a user as the API shows it: never the password's hash.
type userJSON struct {
	Name      string     `json:"name"`
	Grants    []string   `json:"grants"`
	State     string     `json:"state"`
	CreatedBy string     `json:"created_by"`
	Created   time.Time  `json:"created_at"`
	LastLogin *time.Time `json:"last_login_at,omitempty"`
	Disabled  *time.Time `json:"disabled_at,omitempty"`
}

func toUserJSON(u *store.User) userJSON {
	state := "active"
	if !u.DisabledAt.IsZero() {
		state = "disabled"
	}
	grants := u.Grants
	if grants == nil {
		grants = []string{}
	}
	return userJSON{Name: u.Name, Grants: grants, State: state, CreatedBy: u.CreatedBy, Created: u.CreatedAt,
		LastLogin: timePtr(u.LastLoginAt), Disabled: timePtr(u.DisabledAt)}
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	users, err := s.o.Store.Control().ListUsers(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	out := []userJSON{}
	for _, u := range users {
		out = append(out, toUserJSON(u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var body struct {
		Name     string   `json:"name"`
		Password string   `json:"password"`
		Grants   []string `json:"grants"`
	}
	if !decode(w, r, &body) {
		return
	}
	for _, g := range body.Grants {
		gr, err := auth.ParseGrant(g)
		if err != nil {
			writeError(w, http.StatusBadRequest, "grant", err.Error())
			return
		}
		if !p.CanGrantUser(gr) {
			writeError(w, http.StatusForbidden, "forbidden", "a user cannot be granted more than its creator holds: "+g)
			return
		}
	}
	var (
		u   *store.User
		err error
	)
	if serr := withHashSlot(r.Context(), func() { u, err = NewUser(s.o.Now(), body.Name, body.Password, body.Grants, p.Name) }); serr != nil {
		writeError(w, http.StatusServiceUnavailable, "busy", serr.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "user", err.Error())
		return
	}
	err = s.o.Store.Control().CreateUser(r.Context(), u, &store.AuditRecord{Time: s.o.Now(), Actor: p.Name, Action: "user.create",
		Subject: "user/" + u.Name, Data: map[string]string{"grants": strings.Join(u.Grants, ",")}})
	if errors.Is(err, store.ErrConflict) {
		writeError(w, http.StatusConflict, "user_exists", "there is already a user "+u.Name+" (perhaps disabled); choose another name")
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, toUserJSON(u))
}

// disableUser disables a user; their login sessions' keys are revoked
// with it.
func (s *Server) disableUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	name := r.PathValue("name")
	err := s.o.Store.Control().DisableUser(r.Context(), name, s.o.Now(), &store.AuditRecord{Time: s.o.Now(), Actor: p.Name,
		Action: "user.disable", Subject: "user/" + name})
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "user", "no active user "+name)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// setPassword replaces a user's password; their login sessions' keys are
// revoked with it.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var body struct {
		Password string `json:"password"`
	}
	if !decode(w, r, &body) {
		return
	}
	name := r.PathValue("name")
	var (
		hash string
		err  error
	)
	if serr := withHashSlot(r.Context(), func() { hash, err = auth.HashPassword(body.Password) }); serr != nil {
		writeError(w, http.StatusServiceUnavailable, "busy", serr.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "password", err.Error())
		return
	}
	err = s.o.Store.Control().UpdateUserPassword(r.Context(), name, hash, s.o.Now(), &store.AuditRecord{Time: s.o.Now(), Actor: p.Name,
		Action: "user.password", Subject: "user/" + name})
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "user", "no active user "+name)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
