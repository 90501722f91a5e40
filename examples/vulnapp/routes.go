package main

import (
	_ "embed"
	"fmt"
	"html"
	"net/http"
	"os"
	"path"
	"strings"
)

// Every handler here is vulnerable ON PURPOSE (see the package comment);
// the vulnerabilities are simulated and confined to the fixture folder
// and loopback.

//go:embed openapi.yaml
var openapiDoc []byte

// app holds what the handlers share.
type app struct {
	root   *os.Root // the fixture folder; every file read goes through it
	public string   // the fixture folder's public/ subfolder, listed by /files/
	apiKey string   // random per run: /api/account checks it, /api/admin/users forgets to
}

// routes returns the handler of every planted vulnerability, behind the
// banner headers.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.index)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /search", a.search)
	mux.HandleFunc("GET /product", a.product)
	mux.HandleFunc("GET /report", a.report)
	mux.HandleFunc("GET /download", a.download)
	mux.HandleFunc("GET /go", a.redirect)
	mux.HandleFunc("GET /ping", a.ping)
	mux.HandleFunc("GET /lookup", a.lookup)
	mux.HandleFunc("GET /fetch", a.fetch)
	mux.HandleFunc("GET /crash", a.crash)
	mux.HandleFunc("POST /subscribe", a.subscribe)
	mux.HandleFunc("GET /api/profile", a.profile)
	mux.HandleFunc("GET /api/admin/users", a.adminUsers)
	mux.HandleFunc("GET /api/account", a.account)
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openapiDoc)
	})
	mux.HandleFunc("GET /.env", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		// Fake values; the names avoid words that look like credentials.
		fmt.Fprint(w, "APP_ENV=staging\nDB_HOST=127.0.0.1\nDB_NAME=vulnapp_fixture\nFEATURE_BETA=true\n")
	})
	mux.HandleFunc("GET /.git/HEAD", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ref: refs/heads/main")
	})
	mux.Handle("GET /files/", http.StripPrefix("/files/", http.FileServer(http.Dir(a.public))))
	return banner(mux)
}

// banner adds version banners and, missing on purpose, no security
// headers at all.
func banner(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "Apache/2.4.49 (Unix)")
		w.Header().Set("X-Powered-By", "PHP/7.4.3")
		next.ServeHTTP(w, r)
	})
}

// page writes an HTML page with body (already HTML).
func page(w http.ResponseWriter, status int, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><title>%s</title></head><body>\n%s\n</body></html>\n", title, body)
}

func (a *app) index(w http.ResponseWriter, r *http.Request) {
	// Session cookie without HttpOnly and SameSite, on purpose.
	w.Header().Add("Set-Cookie", "session=fixture-session; Path=/")
	self := "http://" + r.Host + "/healthz"
	page(w, http.StatusOK, "vulnapp", `<h1>vulnapp: a deliberately vulnerable test fixture</h1>
<ul>
<li><a href="/search?q=books">Search</a></li>
<li><a href="/product?id=1">Product 1</a></li>
<li><a href="/report?id=1">Report 1</a></li>
<li><a href="/download?file=readme.txt">Download the readme</a></li>
<li><a href="/go?next=/healthz">Go to health</a></li>
<li><a href="/ping?host=127.0.0.1">Ping</a></li>
<li><a href="/lookup?host=localhost">Lookup</a></li>
<li><a href="/fetch?url=`+html.EscapeString(self)+`">Fetch health</a></li>
<li><a href="/files/">Files</a></li>
<li><a href="/crash">Crash</a></li>
<li><a href="/api/profile">Profile</a></li>
<li><a href="/openapi.yaml">API</a></li>
<li><a href="mailto:nobody@example.com">Mail</a></li>
<li><a href="https://example.com/elsewhere?x=1">Another site</a></li>
</ul>
<form action="/search" method="get"><input name="q" value=""><button type="submit">Search</button></form>
<form action="/subscribe" method="post"><input type="email" name="email"><input type="hidden" name="list" value="news"><input type="submit" value="Subscribe"></form>`)
}

// search reflects q without escaping: reflected XSS.
func (a *app) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	page(w, http.StatusOK, "Search", "<p>Results for "+q+": none.</p>")
}

// product pastes id into a (fake) SQL query and shows the database error
// a quote would cause: error-based SQL injection, without a database.
func (a *app) product(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	query := "SELECT name FROM products WHERE id = '" + id + "'"
	if strings.ContainsAny(id, `'"`) {
		page(w, http.StatusInternalServerError, "Error", "<p>You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '"+
			html.EscapeString(query[strings.Index(query, "'"):])+"' at line 1</p>")
		return
	}
	page(w, http.StatusOK, "Product", "<p>Product "+html.EscapeString(id)+": a fine widget.</p>")
}

// report sleeps when id holds SLEEP(n) or pg_sleep(n): time-based SQL
// injection, simulated.
func (a *app) report(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	simulateSleep(r, reSQLSleep, id)
	page(w, http.StatusOK, "Report", "<p>Report "+html.EscapeString(id)+" is empty.</p>")
}

// download serves a file named by file from public/, joined without any
// check: path traversal, confined by os.Root to the fixture folder (whose
// etc/passwd is a fake).
func (a *app) download(w http.ResponseWriter, r *http.Request) {
	name := path.Clean("/public/" + r.URL.Query().Get("file"))
	data, err := a.root.ReadFile(strings.TrimPrefix(name, "/"))
	if err != nil {
		http.Error(w, "no such file", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(data)
}

// redirect sends the browser wherever next says: open redirect.
func (a *app) redirect(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, r.URL.Query().Get("next"), http.StatusFound)
}

// ping pretends to run "ping -c1 host" in a shell: ";echo X" in host
// prints X (quotes removed, as a shell would), so command injection shows.
// Nothing is executed.
func (a *app) ping(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("host")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "PING 1 packet transmitted, 1 received\n")
	if m := reEcho.FindStringSubmatch(host); m != nil {
		fmt.Fprintln(w, strings.NewReplacer("'", "", `"`, "").Replace(firstNonEmpty(m[1:]...)))
	}
}

// lookup pretends to run "nslookup host" in a shell and prints nothing of
// it; ";sleep N" in host sleeps: blind, time-based command injection.
// Nothing is executed.
func (a *app) lookup(w http.ResponseWriter, r *http.Request) {
	simulateSleep(r, reShellSleep, r.URL.Query().Get("host"))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "lookup done")
}

// crash shows a Go stack trace (a fake one): verbose errors.
func (a *app) crash(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprint(w, "panic: runtime error: invalid memory address or nil pointer dereference\n\n"+
		"goroutine 42 [running]:\nmain.(*app).crash(0xc000010000)\n\t/srv/vulnapp/routes.go:99 +0x1d\n")
}

// subscribe escapes what it echoes: a form with nothing to find.
func (a *app) subscribe(w http.ResponseWriter, r *http.Request) {
	page(w, http.StatusOK, "Subscribed", "<p>Subscribed "+html.EscapeString(r.PostFormValue("email"))+".</p>")
}

// profile trusts any Origin with credentials: permissive CORS.
func (a *app) profile(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintln(w, `{"name":"fixture user"}`)
}

// adminUsers is declared secured by openapi.yaml but checks nothing:
// missing authentication.
func (a *app) adminUsers(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintln(w, `[{"name":"fixture admin"}]`)
}

// account checks the key openapi.yaml declares: nothing to find.
func (a *app) account(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-API-Key") != a.apiKey {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintln(w, `{"error":"missing or wrong X-API-Key"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintln(w, `{"name":"fixture account"}`)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
