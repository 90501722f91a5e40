package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// view is what every page template gets.
type view struct {
	Title string
	// Nav names the active navigation item.
	Nav       string
	User      string
	CSRF      string
	Flash     string
	RequestID string
	// Now is the time the page is drawn at ("3m ago").
	Now time.Time
	// Page is the page's own data.
	Page any
}

// pages are the parsed templates: each page is the base layout with the
// page's own blocks ("bounce" stands alone).
type pages struct {
	t map[string]*template.Template
}

// pageNames are the templates/<name>.html files that are pages.
var pageNames = []string{"login", "overview", "run", "approvals", "environment", "findings", "audit", "runs", "events", "error"}

func loadPages(a *assets) *pages {
	funcs := template.FuncMap{
		"asset":       a.url,
		"statusClass": statusClass,
		"statusIcon":  statusIcon,
		"statusLabel": statusLabel,
		"when":        when,
		"ago":         ago,
		"dur":         duration,
		"short":       short,
		"domID":       domID,
		"iso":         iso,
		"ptr":         func(t time.Time) *time.Time { return &t },
		"span":        roundDuration,
		"relClass":    releaseClass,
		"outClass":    outcomeClass,
		"outIcon":     outcomeIcon,
		"plain":       plainText,
		"streamClass": streamClass,
		"pct":         func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
		"sevClass":    severityClass,
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"ms": func(f float64) string { return fmt.Sprintf("%.0f ms", f) },
		"plural64": func(n int64, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
	}
	p := &pages{t: map[string]*template.Template{}}
	for _, name := range pageNames {
		p.t[name] = template.Must(template.New("base.html").Funcs(funcs).ParseFS(templateFS, "templates/base.html", "templates/"+name+".html"))
	}
	p.t["bounce"] = template.Must(template.New("bounce.html").Funcs(funcs).ParseFS(templateFS, "templates/bounce.html"))
	return p
}

// render writes page name with status. It renders into a buffer first, so
// a template failure is a clean 500, not half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.RequestID = w.Header().Get("X-Request-Id")
	v.Now = u.o.Now()
	var buf bytes.Buffer
	if err := u.pages.t[name].Execute(&buf, v); err != nil {
		u.o.Logger.Error("web: render", "page", name, "path", r.URL.Path, "request_id", v.RequestID, "err", err)
		http.Error(w, "the page could not be drawn (request "+v.RequestID+")", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// page renders a logged-in page.
func (u *UI) page(w http.ResponseWriter, r *http.Request, s *session, status int, name, title, nav string, data any) {
	u.render(w, r, status, name, view{Title: title, Nav: nav, User: s.user, CSRF: s.csrf, Flash: s.flash, Page: data})
}

// errorView is the error page's data.
type errorView struct {
	Status     int
	Heading    string
	Message    string
	Permission string
	RetryAfter string
}

// errorPage answers with a readable error page; s is nil when nobody is
// logged in.
func (u *UI) errorPage(w http.ResponseWriter, r *http.Request, s *session, status int, heading, msg string) {
	u.errorView(w, r, s, errorView{Status: status, Heading: heading, Message: msg})
}

func (u *UI) errorView(w http.ResponseWriter, r *http.Request, s *session, ev errorView) {
	v := view{Title: ev.Heading, Page: ev}
	if s != nil {
		v.User, v.CSRF = s.user, s.csrf
	}
	u.render(w, r, ev.Status, "error", v)
}

// fail turns an error of the API (or of the UI) into the page's answer:
// 401 ends the session, 403 names the missing permission, 5xx is logged
// with the request id.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		u.o.Logger.Error("web: request failed", "path", r.URL.Path, "request_id", w.Header().Get("X-Request-Id"), "err", err)
		u.errorPage(w, r, s, http.StatusBadGateway, "Something went wrong",
			"The API's answer could not be read. The error is logged with this page's request id.")
		return
	}
	switch {
	case ae.Status == http.StatusUnauthorized:
		// The key was revoked or expired since login.
		if s != nil {
			u.sessions.delete(s.id)
		}
		setCookie(w, r, sessionCookie, "", "/", -1)
		u.errorPage(w, r, nil, http.StatusUnauthorized, "Logged out",
			"The API no longer accepts the key of this session ("+ae.Message+"). Log in again.")
	case ae.Status == http.StatusForbidden:
		u.errorView(w, r, s, errorView{Status: ae.Status, Heading: "Not allowed", Message: ae.Message, Permission: ae.missingPermission()})
	case ae.Status == http.StatusTooManyRequests:
		u.errorView(w, r, s, errorView{Status: ae.Status, Heading: "Too many attempts", Message: ae.Message, RetryAfter: ae.RetryAfter})
	case ae.Status >= 500:
		u.o.Logger.Error("web: the API failed", "path", r.URL.Path, "request_id", w.Header().Get("X-Request-Id"), "status", ae.Status, "err", ae.Message)
		u.errorPage(w, r, s, ae.Status, "The API failed", ae.Message)
	case ae.Status == http.StatusNotFound:
		u.errorPage(w, r, s, ae.Status, "Not found", ae.Message)
	default:
		u.errorPage(w, r, s, ae.Status, http.StatusText(ae.Status), ae.Message)
	}
}

// assets are the embedded static files, served under names that carry a
// hash of their content so browsers may cache them for good.
type assets struct {
	byName map[string]string // app.css -> /static/app.<hash>.css
	files  map[string][]byte // app.<hash>.css -> content
}

func loadAssets() *assets {
	a := &assets{byName: map[string]string{}, files: map[string][]byte{}}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return a
	}
	for _, e := range entries {
		data, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			continue
		}
		sum := sha256.Sum256(data)
		ext := path.Ext(e.Name())
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:6]) + ext
		a.byName[e.Name()] = "/static/" + hashed
		a.files[hashed] = data
	}
	return a
}

// url is the hashed URL of an asset.
func (a *assets) url(name string) string { return a.byName[name] }

func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	data, ok := a.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(data)
}

// favicon answers the browsers' request for /favicon.ico with the icon
// the pages link (an SVG; a 404 would be a console error on every first
// visit).
func (a *assets) favicon(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(a.url("favicon.svg"), "/static/")
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(a.files[name])
}

// statuses the UI knows; anything else is drawn as "unknown".
var statusIcons = map[string]string{
	"pending": "○", "running": "◐", "succeeded": "✓", "failed": "✗", "skipped": "–",
	"cancelled": "⊘", "interrupted": "!", "waiting": "‖",
}

// statusLabel is how a status reads.
func statusLabel(st string) string {
	if st == waitStatus {
		return "waiting for approval"
	}
	return st
}

func statusClass(st string) string {
	if _, ok := statusIcons[st]; ok {
		return "st-" + st
	}
	return "st-unknown"
}

// statusIcon is a shape for a status, so status is never told by colour
// alone.
func statusIcon(st string) string {
	if i, ok := statusIcons[st]; ok {
		return i
	}
	return "?"
}

func when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func ago(now time.Time, t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return roundDuration(now.Sub(*t)) + " ago"
}

// duration is how long something took (or has been taking, until now).
func duration(now time.Time, start, end *time.Time) string {
	if start == nil || start.IsZero() {
		return "—"
	}
	stop := now
	if end != nil && !end.IsZero() {
		stop = *end
	}
	return roundDuration(stop.Sub(*start))
}

// roundDuration writes d to two units at most: 45s, 12m 5s, 5h 12m, 3d.
func roundDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d <= 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// short is a commit's first 12 characters.
func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// domID makes a job id usable in an HTML id: characters other than
// letters, digits, '-', '_' and '.' become '_'.
func domID(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// iso is t for a <time datetime> attribute.
func iso(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// releaseClass groups a release's state for colour: ok, busy, wait, bad
// or old (the state's name is always shown beside it).
func releaseClass(state string) string {
	switch state {
	case "live":
		return "rel-ok"
	case "pending", "starting", "verifying", "progressing", "monitoring", "rolling_back":
		return "rel-busy"
	case "paused":
		return "rel-wait"
	case "failed", "aborted", "rolled_back":
		return "rel-bad"
	}
	return "rel-old"
}

func outcomeClass(o string) string {
	switch o {
	case "pass", "warn", "block":
		return "out-" + o
	}
	return "out-unknown"
}

func outcomeIcon(o string) string {
	switch o {
	case "pass":
		return "✓"
	case "warn":
		return "!"
	case "block":
		return "✗"
	}
	return "?"
}

func streamClass(s string) string {
	switch s {
	case "stderr", "system":
		return "s-" + s
	}
	return "s-stdout"
}

// plainText drops terminal escape sequences (colours, cursor moves) and
// other control characters but tabs from a log line.
func plainText(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0x1b {
			// ESC [ parameters final-byte (CSI), ESC ( x, or ESC and one
			// more byte.
			switch {
			case i+1 < len(s) && s[i+1] == '[':
				i += 2
				for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
					i++
				}
			case i+1 < len(s) && strings.IndexByte("()*+", s[i+1]) >= 0:
				i += 2 // a character set: ESC ( B
			default:
				i++
			}
			continue
		}
		if c < 0x20 && c != '\t' || c == 0x7f {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
