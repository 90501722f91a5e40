// Package server is sluice's control plane over HTTP: a JSON API described
// by the OpenAPI document it serves, API keys with roles scoped per project
// and environment, webhooks that start runs at the exact commit pushed,
// approvals, the audit trail. Every route but /healthz and /readyz refuses
// an anonymous call; webhooks authenticate by their signature, and logging
// in (POST /api/v1/sessions) by a user's name and password.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/delivery"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/webhook"
)

// maxBody bounds a JSON request body.
const maxBody = 1 << 20

// Options configure a Server.
type Options struct {
	Store store.Store
	// DataDir is the data folder (workspaces for webhook runs live there).
	DataDir string
	// SealKey seals webhook secrets and signing keys at rest (32 bytes).
	SealKey []byte
	Logger  *slog.Logger
	// Runner starts pipeline runs (webhooks, API); nil refuses triggers.
	Runner Runner
	Now    func() time.Time
	// Limiter tunes the slowdown of repeated authentication failures
	// from one address (zero: auth's defaults).
	Limiter auth.LimiterConfig
	// Rollback puts an environment back on its previous release (the
	// Alertmanager receiver calls it); nil refuses such alerts.
	Rollback func(ctx context.Context, env, actor, reason string) error
	// Delivery promotes, aborts and rolls back the releases of
	// environments for the API; nil refuses those routes (503).
	Delivery Delivery
	// GatewayDir is the gateway's folder (its routing table, admin
	// address and security event log); empty means DataDir/gateway.
	GatewayDir string
}

// Runner starts a run of a project at a commit.
type Runner interface {
	// Start fetches project at commit and starts its pipeline in the
	// background; it returns the new run (already stored).
	Start(ctx context.Context, req RunRequest) (*store.Run, error)
}

// RunCanceller is a Runner that can cancel the runs it executes.
type RunCanceller interface {
	// Cancel cancels run id if this runner executes it, and reports
	// whether it does; the run is recorded cancelled once its steps stop.
	Cancel(id string) bool
}

// RunResumer is a Runner that can run again the jobs of an ended run that
// did not succeed, as a new attempt of the same run.
type RunResumer interface {
	// Resume starts the attempt in the background and returns the run
	// once it runs; an error wrapping engine.ErrNotResumable means the run
	// cannot be resumed (it succeeded, still runs, or is not this
	// runner's to resume).
	Resume(ctx context.Context, run *store.Run) (*store.Run, error)
}

// RunRequest is a run to start.
type RunRequest struct {
	Project *store.Project
	Commit  string
	Ref     string
	Branch  string
	Event   string
	Actor   string
	Jobs    []string
}

// Server is the control plane's HTTP handler.
type Server struct {
	o       Options
	mux     *http.ServeMux
	routes  []route
	limiter *auth.Limiter
	nonces  *auth.NonceCache
	replays *webhook.ReplayCache

	metricsOnce sync.Once
	metricsH    http.Handler
}

// New builds the server and its routes.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.GatewayDir == "" && o.DataDir != "" {
		o.GatewayDir = delivery.GatewayDir(o.DataDir)
	}
	s := &Server{o: o, mux: http.NewServeMux(), limiter: auth.NewLimiter(o.Limiter),
		nonces: auth.NewNonceCache(100000), replays: webhook.NewReplayCache(100000, 24*time.Hour)}
	s.routes = s.table()
	for _, r := range s.routes {
		r := r
		s.mux.HandleFunc(r.Method+" "+r.Path, func(w http.ResponseWriter, req *http.Request) { s.serve(r, w, req) })
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		// Unknown paths get the same answer as known ones without a key,
		// so the API's shape is not probed anonymously.
		if _, ok := s.authenticate(w, req); !ok {
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "no such route: "+req.Method+" "+req.URL.Path)
	})
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// serve authenticates, authorises and runs one route.
func (s *Server) serve(rt route, w http.ResponseWriter, r *http.Request) {
	if rt.Public {
		rt.Handle(w, r, nil)
		return
	}
	if rt.Webhook || rt.Login {
		rt.Handle(w, r, nil)
		return
	}
	if rt.Basic {
		basicAsBearer(r)
	}
	p, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	// The scope a key is checked against comes from the path only: a
	// query's ?env= names no resource, and taking it would let a key
	// scoped to one environment read what is in none (a run, say) by
	// adding it. Routes that filter by ?env= check each item (Filtered).
	project, env := r.PathValue("project"), r.PathValue("env")
	if ref := r.PathValue("ref"); ref != "" {
		// A run's routes are scoped by the run's project. A run that does
		// not exist is not found for a key that may do the action in some
		// project (a project-scoped key included).
		run, err := s.o.Store.Runs().GetRun(r.Context(), ref)
		switch {
		case err == nil:
			project = run.Project
		case errors.Is(err, store.ErrNotFound) && rt.Action != "" && slices.ContainsFunc(p.Grants, func(g auth.Grant) bool { return g.Allows(rt.Action, g.Project, env) }):
			writeError(w, http.StatusNotFound, "run", err.Error())
			return
		}
	}
	if rt.Action != "" && !rt.Filtered && !p.Can(rt.Action, project, env) {
		s.deny(w, r, p, rt.Action, project, env)
		return
	}
	rt.Handle(w, r, p)
}

// deny answers 403 for action on project and env, and audits the refusal.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, p *auth.Principal, action auth.Action, project, env string) {
	s.audit(r.Context(), p.Name, "auth.denied", "key/"+p.KeyID, map[string]string{"action": string(action), "path": r.URL.Path,
		"env": env, "project": project})
	writeError(w, http.StatusForbidden, "forbidden", fmt.Sprintf("key %s may not %s here", p.KeyID, action))
}

// authenticate checks the bearer key; on failure it answers 401 (or 429
// when the address failed too often) and audits the attempt.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*auth.Principal, bool) {
	addr := auth.LimiterKey(clientAddr(r))
	now := s.o.Now()
	if ok, retry := s.limiter.Allow(addr, now); !ok {
		w.Header().Set("Retry-After", auth.RetryAfterHeader(retry))
		writeError(w, http.StatusTooManyRequests, "too_many_failures", "too many failed authentications from this address; retry later")
		return nil, false
	}
	fail := func(why string) (*auth.Principal, bool) {
		s.limiter.Failure(addr, now)
		s.audit(r.Context(), "anonymous", "auth.failed", "addr/"+addr, map[string]string{"reason": why, "path": r.URL.Path, "method": r.Method})
		w.Header().Set("WWW-Authenticate", `Bearer realm="sluice"`)
		writeError(w, http.StatusUnauthorized, "unauthenticated", "a valid API key is needed: Authorization: Bearer <key> ("+why+")")
		return nil, false
	}
	h := r.Header.Get("Authorization")
	var k *store.APIKey
	if strings.HasPrefix(h, auth.AuthScheme+" ") {
		// A signed request names its key and proves it holds the secret
		// without sending it.
		sh, err := auth.ParseSignedHeaders(r.Header)
		if err != nil {
			return fail("malformed signature")
		}
		if k, err = s.o.Store.Control().GetKey(r.Context(), sh.KeyID); err != nil || len(k.SigningKey) == 0 {
			return fail("unknown key")
		}
		sigKey, err := auth.OpenSigningKey(s.o.SealKey, k.ID, k.SigningKey)
		if err != nil {
			return fail("unknown key")
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			return fail("body too large to verify")
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := auth.VerifySignature(r, body, sigKey, now, auth.DefaultWindow, s.nonces); err != nil {
			return fail("bad signature: " + err.Error())
		}
	} else {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			return fail("no key")
		}
		id, secret, err := auth.ParseKey(strings.TrimSpace(token))
		if err != nil {
			return fail("malformed key")
		}
		k, err = s.o.Store.Control().GetKey(r.Context(), id)
		if err != nil || !auth.CheckKey(secret, k.Hash) {
			return fail("unknown key")
		}
	}
	if !k.RevokedAt.IsZero() {
		return fail("revoked key")
	}
	if !k.ExpiresAt.IsZero() && now.After(k.ExpiresAt) {
		return fail("expired key")
	}
	p := &auth.Principal{KeyID: k.ID, Name: k.Name}
	if k.User != "" {
		// A login session acts as its user, who may have been disabled
		// after the key was minted.
		if u, err := s.o.Store.Control().GetUser(r.Context(), k.User); err != nil || !u.DisabledAt.IsZero() {
			return fail("disabled user")
		}
		p.Name, p.User = k.User, k.User
	}
	for _, g := range k.Grants {
		gr, err := auth.ParseGrant(g)
		if err == nil {
			p.Grants = append(p.Grants, gr)
		}
	}
	s.limiter.Success(addr)
	_ = s.o.Store.Control().TouchKey(context.WithoutCancel(r.Context()), k.ID, now)
	return p, true
}

func (s *Server) audit(ctx context.Context, actor, action, subject string, data map[string]string) {
	if err := s.o.Store.Audit().AppendAudit(context.WithoutCancel(ctx), &store.AuditRecord{Time: s.o.Now(), Actor: actor,
		Action: action, Subject: subject, Data: data}); err != nil {
		s.o.Logger.Error("audit", "action", action, "err", err)
	}
}

// clientAddr is the peer's address (proxies are not trusted here).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// apiError is every error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var e apiError
	e.Error.Code, e.Error.Message = code, msg
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// decode reads a JSON body: bounded, unknown fields refused.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", maxBody))
			return false
		}
		writeError(w, http.StatusBadRequest, "bad_json", "the body is not valid JSON for this route: "+err.Error())
		return false
	}
	return true
}

// decodeOptional is decode for a body that may be left out (or empty):
// then v keeps its zero value.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", maxBody))
			return false
		}
		writeError(w, http.StatusBadRequest, "bad_body", "the body cannot be read: "+err.Error())
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return decode(w, r, v)
}
