package web

import (
	"net/http"
)

// The live parts of the pages (app.js) read the API through these routes
// with the session's key: the browser never holds the key, and the API
// decides what it may read. Only reads are proxied.

// proxyRun answers GET /ui/api/runs/{ref} with the API's run and jobs.
func (u *UI) proxyRun(w http.ResponseWriter, r *http.Request, s *session) {
	ref := r.PathValue("ref")
	if !refRE.MatchString(ref) {
		http.NotFound(w, r)
		return
	}
	u.proxyGET(w, r, s, apiPath("/api/v1/runs", ref))
}

// proxyTraffic answers GET /ui/api/environments/{env}/traffic with the
// environment's routing weights and counters (the environment page polls
// it while a rollout goes on).
func (u *UI) proxyTraffic(w http.ResponseWriter, r *http.Request, s *session) {
	env := r.PathValue("env")
	if !refRE.MatchString(env) {
		http.NotFound(w, r)
		return
	}
	u.proxyGET(w, r, s, apiPath("/api/v1/environments", env)+"/traffic")
}

// proxyGET passes the API's JSON answer to a GET of path through.
func (u *UI) proxyGET(w http.ResponseWriter, r *http.Request, s *session, path string) {
	req, err := apiRequest(r, s.key, http.MethodGet, path, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rec := newRecorder()
	u.o.API.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusBadGateway
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rec.status)
	_, _ = rec.body.WriteTo(w)
}

// proxyStream answers GET /ui/api/runs/{ref}/logs/stream with the API's
// server-sent events, passed through as they come.
func (u *UI) proxyStream(w http.ResponseWriter, r *http.Request, s *session) {
	ref := r.PathValue("ref")
	if !refRE.MatchString(ref) {
		http.NotFound(w, r)
		return
	}
	if err := u.stream(w, r, s, apiPath("/api/v1/runs", ref)+"/logs/stream"); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
	}
}
