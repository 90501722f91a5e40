// Package web is sluice's web UI: server-rendered pages with a little plain
// JavaScript for the live parts, embedded in the binary and served by
// `sluice up` beside the API.
//
// The API is the UI's only door: the UI never reads the store. Every piece
// of data and every action is an in-process call of the API's handler,
// made with the logged-in person's API key, so what a person may see and
// do in the browser is exactly what their key may do through the API.
package web

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Options configure a UI.
type Options struct {
	// API is the control plane's handler (a *server.Server). The UI calls
	// it in-process for everything it shows and does.
	API http.Handler
	// Logger receives server-side failures (with the request id).
	Logger *slog.Logger
	// Now is the clock (sessions' timeouts, "3m ago"); time.Now when nil.
	Now func() time.Time
	// IdleTimeout and MaxAge bound a session: it ends after IdleTimeout
	// without a request and MaxAge after login (1h and 12h when zero).
	IdleTimeout, MaxAge time.Duration
}

// UI is the web UI's handler. It is safe for concurrent use.
type UI struct {
	o        Options
	mux      *http.ServeMux
	sessions *sessions
	pages    *pages
	assets   *assets
}

// cspHeader allows nothing inline: scripts, styles, fonts and images come
// from this origin only, and no page may be framed.
const cspHeader = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// New builds the UI over the API handler in o.API.
func New(o Options) *UI {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = time.Hour
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 12 * time.Hour
	}
	u := &UI{o: o, mux: http.NewServeMux(), sessions: newSessions(o.Now, o.IdleTimeout, o.MaxAge), assets: loadAssets()}
	u.pages = loadPages(u.assets)
	u.routes()
	return u
}

func (u *UI) routes() {
	u.mux.HandleFunc("GET /static/{file}", u.assets.serve)
	u.mux.HandleFunc("GET /favicon.ico", u.assets.favicon)
	u.mux.HandleFunc("GET /login", u.loginPage)
	u.mux.HandleFunc("POST /login", u.login)
	u.mux.HandleFunc("POST /logout", u.withSession(u.logout))
	u.mux.HandleFunc("GET /{$}", u.withSession(u.overview))
	u.mux.HandleFunc("GET /runs/{ref}", u.withSession(u.runPage))
	u.mux.HandleFunc("GET /runs/{ref}/findings", u.withSession(u.findingsPage))
	u.mux.HandleFunc("POST /runs/{ref}/findings/suppress", u.withSession(u.suppress))
	u.mux.HandleFunc("POST /runs/{ref}/findings/suppressions/{id}/revoke", u.withSession(u.revokeSuppression))
	u.mux.HandleFunc("GET /runs/{ref}/report", u.withSession(u.reportPage("html")))
	u.mux.HandleFunc("GET /runs/{ref}/report.json", u.withSession(u.reportPage("json")))
	u.mux.HandleFunc("GET /runs/{ref}/report.md", u.withSession(u.reportPage("md")))
	u.mux.HandleFunc("GET /runs/{ref}/artifacts/{job}/{path...}", u.withSession(u.downloadArtifact))
	u.mux.HandleFunc("POST /runs/{ref}/cancel", u.withSession(u.cancelRun))
	u.mux.HandleFunc("POST /runs/{ref}/rerun", u.withSession(u.rerunRun))
	u.mux.HandleFunc("GET /approvals", u.withSession(u.approvalsPage))
	u.mux.HandleFunc("GET /audit", u.withSession(u.auditPage))
	u.mux.HandleFunc("GET /events", u.withSession(u.eventsPage))
	u.mux.HandleFunc("GET /runs", u.withSession(u.runsPage))
	u.mux.HandleFunc("POST /approvals/{ref}/{env}", u.withSession(u.decide))
	u.mux.HandleFunc("GET /ui/api/runs/{ref}", u.withAPISession(u.proxyRun))
	u.mux.HandleFunc("GET /ui/api/runs/{ref}/logs/stream", u.withAPISession(u.proxyStream))
	u.mux.HandleFunc("GET /ui/api/environments/{env}/traffic", u.withAPISession(u.proxyTraffic))
	u.mux.HandleFunc("GET /ui/api/environments/{env}/charts", u.withAPISession(u.envCharts))
	u.mux.HandleFunc("GET /environments/{env}", u.withSession(u.envPage))
	u.mux.HandleFunc("POST /environments/{env}/{action}", u.withSession(u.envAction))
	u.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u.errorPage(w, r, nil, http.StatusNotFound, "Not found", "There is no page at "+r.URL.Path+".")
	})
}

// ServeHTTP serves the UI with its security headers on every response.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", cspHeader)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Request-Id", newRequestID())
	if r.Method == http.MethodPost && !sameOrigin(r) {
		u.errorPage(w, r, nil, http.StatusForbidden, "Refused",
			"This form was not sent from this site (its Origin or Referer is another host), so it was not acted on.")
		return
	}
	u.mux.ServeHTTP(w, r)
}

// Mount serves api and ui from one listener: the API keeps /api/,
// /hooks/, /metrics, /healthz and /readyz; every other path is the UI's.
func Mount(api http.Handler, ui *UI) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsAPIPath(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		ui.ServeHTTP(w, r)
	})
}

// IsAPIPath reports whether path belongs to the API rather than the UI.
func IsAPIPath(path string) bool {
	switch path {
	case "/metrics", "/healthz", "/readyz", "/api", "/hooks":
		return true
	}
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/hooks/")
}

// sameOrigin reports whether a state-changing request came from a page of
// this host: its Origin header, or its Referer when a browser sent no
// Origin, must name r.Host. A request with neither is refused. Only the
// host is compared, so a TLS-terminating proxy in front does not break it.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" || src == "null" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return false
	}
	scheme, rest, ok := strings.Cut(src, "://")
	if !ok || scheme != "http" && scheme != "https" {
		return false
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	host, _, _ = strings.Cut(host, "#")
	return host != "" && strings.EqualFold(host, r.Host)
}

// newRequestID names one UI request in logs and on error pages.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
