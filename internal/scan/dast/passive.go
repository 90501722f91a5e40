package dast

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// passive runs the checks that only look at a response. Responses to
// attack payloads are not passed here: the attack's own check reports
// what they show.
func (s *state) passive(r *response) {
	s.headerChecks(r)
	s.cookieChecks(r)
	s.bannerChecks(r)
	s.errorChecks(r)
	s.corsCheck(r)
	s.listingCheck(r)
}

// root is the URL host-wide findings are located at.
func (s *state) root() string { return s.origin + "/" }

// headerChecks reports missing security headers, once per host: CSP and
// frame protection on HTML pages, nosniff on any successful response,
// HSTS on HTTPS.
func (s *state) headerChecks(r *response) {
	ok := r.Status >= 200 && r.Status < 300
	if !ok {
		return
	}
	seen := map[string]string{"seen_at": r.URL.String()}
	miss := func(id, header string) {
		if s.once("host:" + id) {
			s.report(hit{rule: id, url: s.root(), request: r.Request, extra: seen,
				message: "Responses from " + s.origin + " do not send " + header + "."})
		}
	}
	csp := r.Header.Values("Content-Security-Policy")
	if r.isHTML() {
		if len(csp) == 0 {
			miss(RuleMissingCSP, "Content-Security-Policy")
		}
		if r.Header.Get("X-Frame-Options") == "" && !strings.Contains(strings.ToLower(strings.Join(csp, ";")), "frame-ancestors") {
			miss(RuleMissingFrame, "X-Frame-Options or a CSP frame-ancestors directive")
		}
	}
	if !strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Content-Type-Options")), "nosniff") {
		miss(RuleMissingNoSniff, "X-Content-Type-Options: nosniff")
	}
	if r.URL.Scheme == "https" && r.Header.Get("Strict-Transport-Security") == "" {
		miss(RuleMissingHSTS, "Strict-Transport-Security")
	}
}

// cookieChecks reports cookies set without Secure (on HTTPS), HttpOnly or
// SameSite, once per cookie name and host. Values are never reported.
func (s *state) cookieChecks(r *response) {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		ev := "Set-Cookie: " + c.Name + "=…" + cookieAttrs(c)
		check := func(id string, bad bool, what string) {
			if bad && s.once("cookie:"+id+":"+c.Name) {
				s.report(hit{rule: id, url: s.root(), param: c.Name, request: r.Request, evidence: ev,
					message: "Cookie " + c.Name + " is set " + what + ".",
					extra:   map[string]string{"seen_at": r.URL.String()}})
			}
		}
		check(RuleCookieSecure, r.URL.Scheme == "https" && !c.Secure, "over HTTPS without Secure")
		check(RuleCookieHTTPOnly, !c.HttpOnly, "without HttpOnly")
		check(RuleCookieSameSite, c.SameSite == 0, "without SameSite")
	}
}

// cookieAttrs renders a cookie's attributes, never its value.
func cookieAttrs(c *http.Cookie) string {
	var b strings.Builder
	if c.Path != "" {
		b.WriteString("; Path=" + c.Path)
	}
	if c.Secure {
		b.WriteString("; Secure")
	}
	if c.HttpOnly {
		b.WriteString("; HttpOnly")
	}
	switch c.SameSite {
	case http.SameSiteLaxMode:
		b.WriteString("; SameSite=Lax")
	case http.SameSiteStrictMode:
		b.WriteString("; SameSite=Strict")
	case http.SameSiteNoneMode:
		b.WriteString("; SameSite=None")
	}
	return b.String()
}

// bannerHeaders name software; reported when their value has a version.
var bannerHeaders = []string{"Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Generator"}

var reVersion = regexp.MustCompile(`\d+\.\d+`)

// bannerChecks reports headers naming software with a version, once per
// header and host.
func (s *state) bannerChecks(r *response) {
	for _, h := range bannerHeaders {
		v := r.Header.Get(h)
		if v == "" || !reVersion.MatchString(v) || !s.once("banner:"+h) {
			continue
		}
		s.report(hit{rule: RuleBanner, url: s.root(), param: h, request: r.Request,
			evidence: clip(h+": "+v, 200), message: "The " + h + " header names software and its version: " + clip(v, 100) + ".",
			extra: map[string]string{"seen_at": r.URL.String()}})
	}
}

// errorSignature is a pattern of a stack trace or an internal error.
type errorSignature struct {
	name string
	re   *regexp.Regexp
}

// stackTraces are the traces of common runtimes.
var stackTraces = []errorSignature{
	{"Go panic", regexp.MustCompile(`goroutine \d+ \[[a-z ]+\]:\n`)},
	{"Go panic", regexp.MustCompile(`panic: .+\n+goroutine `)},
	{"Java stack trace", regexp.MustCompile(`(?m)^\s*at [\w$]+(?:\.[\w$<>]+)+\([\w$]+\.java:\d+\)`)},
	{"Java exception", regexp.MustCompile(`Exception in thread "[^"]*" [\w.]+(?:Exception|Error)`)},
	{"Python traceback", regexp.MustCompile(`Traceback \(most recent call last\):`)},
	{"PHP error", regexp.MustCompile(`(?:<b>)?(?:Fatal error|Parse error|Warning)(?:</b>)?:\s.{1,300}? in (?:<b>)?/[^\s<]+\.php(?:</b>)? on line`)},
	{"PHP stack trace", regexp.MustCompile(`Stack trace:\s*\n?#0 `)},
	{".NET exception", regexp.MustCompile(`(?s)System\.[\w.]+Exception.{0,500}\bat [\w.]+\(`)},
	{"ASP.NET error page", regexp.MustCompile(`Server Error in '[^']*' Application`)},
	{"Node.js stack trace", regexp.MustCompile(`(?m)^\s+at .{1,200}\((?:/|[A-Z]:\\)[^()]+\.[cm]?js:\d+:\d+\)`)},
	{"Ruby backtrace", regexp.MustCompile(`(?m)\.rb:\d+:in ` + "[`']")},
}

// sqlErrors are error messages of SQL databases and their drivers.
var sqlErrors = []errorSignature{
	{"MySQL", regexp.MustCompile(`You have an error in your SQL syntax|check the manual that (?:corresponds|fits) to your (?:MySQL|MariaDB) server version|com\.mysql\.jdbc|mysqli?_(?:fetch|query|num_rows)\(`)},
	{"PostgreSQL", regexp.MustCompile(`unterminated quoted string at or near|syntax error at or near "|PSQLException|pg_query\(\)|PG::SyntaxError`)},
	{"SQL Server", regexp.MustCompile(`Unclosed quotation mark after the character string|Incorrect syntax near|Microsoft OLE DB Provider for SQL Server|SqlException`)},
	{"Oracle", regexp.MustCompile(`ORA-0(?:0933|1756|0921)|quoted string not properly terminated`)},
	{"SQLite", regexp.MustCompile(`SQLITE_ERROR|sqlite3\.OperationalError|near "[^"]{0,40}": syntax error|unrecognized token: "`)},
	{"SQL", regexp.MustCompile(`SQLSTATE\[\w+\]`)},
}

// findSignature returns the first signature matching body and the match.
func findSignature(sigs []errorSignature, body []byte) (string, string) {
	for _, sig := range sigs {
		if m := sig.re.Find(body); m != nil {
			return sig.name, string(m)
		}
	}
	return "", ""
}

// errorChecks reports stack traces and database errors in a response.
func (s *state) errorChecks(r *response) {
	name, m := findSignature(stackTraces, r.Body)
	if name == "" {
		name, m = findSignature(sqlErrors, r.Body)
		if name != "" {
			name += " error message"
		}
	}
	if name == "" {
		return
	}
	s.report(hit{rule: RuleVerboseError, method: r.Method, url: shapeURL(r.URL), request: r.Request,
		status: r.Status, evidence: excerpt(r.Body, m),
		message: "The response shows a " + name + "; it tells attackers about the code, its paths and its libraries."})
}

// corsCheck reports a response that trusts any origin.
func (s *state) corsCheck(r *response) {
	acao := strings.TrimSpace(r.Header.Get("Access-Control-Allow-Origin"))
	creds := strings.EqualFold(strings.TrimSpace(r.Header.Get("Access-Control-Allow-Credentials")), "true")
	var msg string
	sev := findings.Medium
	switch {
	case acao == probeOrigin && creds:
		msg = "The response allows any origin it is sent (it reflects the Origin header) and allows credentials: any site can read it with the user's cookies."
	case acao == probeOrigin:
		msg = "The response reflects any Origin header into Access-Control-Allow-Origin."
		sev = findings.Low
	case acao == "*" && creds:
		msg = "The response allows every origin (*) together with credentials."
	default:
		return
	}
	ev := "Access-Control-Allow-Origin: " + acao
	if creds {
		ev += "; Access-Control-Allow-Credentials: true"
	}
	s.report(hit{rule: RuleCORS, method: r.Method, url: shapeURL(r.URL), request: r.Request + " (Origin: " + probeOrigin + ")",
		status: r.Status, evidence: clip(ev, 300), message: msg, severity: &sev})
}

// listingMarks are the openings of directory listings of common servers;
// goListing is Go's http.FileServer's.
var (
	listingMarks = []string{"<title>Index of /", "<h1>Index of /", "Directory listing for /", "<title>Directory Listing For"}
	goListing    = "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n<a href="
)

// listingCheck reports a directory listing.
func (s *state) listingCheck(r *response) {
	if r.Status != http.StatusOK || !r.isHTML() {
		return
	}
	mark := ""
	for _, m := range listingMarks {
		if bytes.Contains(r.Body, []byte(m)) {
			mark = m
			break
		}
	}
	if mark == "" && bytes.HasPrefix(r.Body, []byte(goListing)) {
		mark = "<pre>\n<a href="
	}
	if mark == "" {
		return
	}
	s.report(hit{rule: RuleDirectoryListing, method: r.Method, url: shapeURL(r.URL), request: r.Request,
		status: r.Status, evidence: excerpt(r.Body, mark), message: "The server lists the files of " + r.URL.Path + "."})
}

var (
	reGitHead = regexp.MustCompile(`^(?:ref: refs/\S+|[0-9a-f]{40})\s*$`)
	reEnvLine = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=`)
)

// probeFiles fetches /.git/HEAD and /.env, which must never be served.
func (s *state) probeFiles(ctx context.Context) {
	for _, p := range []string{"/.git/HEAD", "/.env"} {
		u := &url.URL{Scheme: s.base.Scheme, Host: s.base.Host, Path: p}
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			continue
		}
		r, err := s.client.send(ctx, req, true)
		if err != nil {
			s.fail(u.String(), err)
			continue
		}
		s.passive(r)
		if r.Status != http.StatusOK || r.isHTML() {
			continue
		}
		switch p {
		case "/.git/HEAD":
			if reGitHead.Match(bytes.TrimSpace(r.Body)) {
				s.report(hit{rule: RuleExposedGit, url: u.String(), request: r.Request, status: r.Status,
					evidence: clip(strings.TrimSpace(string(r.Body)), 100),
					message:  "/.git/HEAD is served: the whole repository, history and all, can likely be downloaded."})
			}
		case "/.env":
			if names := envNames(r.Body); len(names) > 0 {
				s.report(hit{rule: RuleExposedEnv, url: u.String(), request: r.Request, status: r.Status,
					evidence: clip("variables: "+strings.Join(names, ", "), 300),
					message:  "/.env is served; it defines " + strconv.Itoa(len(names)) + " variables (values not recorded)."})
			}
		}
	}
}

// envNames returns the variable names of a dotenv file, nil unless every
// non-empty, non-comment line is an assignment.
func envNames(body []byte) []string {
	var names []string
	for _, line := range strings.Split(string(body), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		m := reEnvLine.FindStringSubmatch(t)
		if m == nil {
			return nil
		}
		names = append(names, m[1])
	}
	return names
}

// shapeURL is u with query values dropped: the endpoint, not the request.
func shapeURL(u *url.URL) string {
	c := *u
	q := c.Query()
	for k := range q {
		q[k] = []string{""}
	}
	c.RawQuery = q.Encode()
	c.Fragment = ""
	return c.String()
}
