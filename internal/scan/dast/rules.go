package dast

import (
	"slices"

	"github.com/sluice-ci/sluice/internal/findings"
)

// Rule ids, one per check.
const (
	RuleXSS              = "dast-xss-reflected"
	RuleSQLiError        = "dast-sqli-error"
	RuleSQLiTime         = "dast-sqli-time"
	RulePathTraversal    = "dast-path-traversal"
	RuleOpenRedirect     = "dast-open-redirect"
	RuleCommandInjection = "dast-command-injection"
	RuleCommandTime      = "dast-command-injection-time"
	RuleSSRF             = "dast-ssrf"
	RuleAuthBypass       = "dast-auth-missing"

	RuleMissingCSP       = "dast-missing-csp"
	RuleMissingHSTS      = "dast-missing-hsts"
	RuleMissingNoSniff   = "dast-missing-content-type-options"
	RuleMissingFrame     = "dast-missing-frame-protection"
	RuleCookieSecure     = "dast-cookie-no-secure"
	RuleCookieHTTPOnly   = "dast-cookie-no-httponly"
	RuleCookieSameSite   = "dast-cookie-no-samesite"
	RuleBanner           = "dast-version-banner"
	RuleVerboseError     = "dast-verbose-error"
	RuleCORS             = "dast-cors-permissive"
	RuleDirectoryListing = "dast-directory-listing"
	RuleExposedGit       = "dast-exposed-git"
	RuleExposedEnv       = "dast-exposed-env"
)

// rule describes one check.
type rule struct {
	severity findings.Severity
	cwe      []int
	title    string
	fix      string
	// active is true for checks that send attack payloads.
	active bool
}

// rules holds every check by id.
var rules = map[string]rule{
	RuleXSS: {findings.High, []int{79}, "Reflected cross-site scripting",
		"Encode output for its context (HTML-escape by default, as html/template does) and add a Content-Security-Policy that forbids inline script.", true},
	RuleSQLiError: {findings.Critical, []int{89}, "SQL injection (database error)",
		"Pass input as bound parameters of prepared statements; never build SQL by concatenating strings. Do not show database errors to clients.", true},
	RuleSQLiTime: {findings.Critical, []int{89}, "SQL injection (time based)",
		"Pass input as bound parameters of prepared statements; never build SQL by concatenating strings.", true},
	RulePathTraversal: {findings.High, []int{22}, "Path traversal",
		"Map user input to an allow-list of files, or resolve it under a fixed root with os.Root (or filepath.IsLocal) and reject anything that escapes.", true},
	RuleOpenRedirect: {findings.Medium, []int{601}, "Open redirect",
		"Redirect only to relative paths or to an allow-list of hosts; reject absolute and scheme-relative (//host) URLs from input.", true},
	RuleCommandInjection: {findings.Critical, []int{78}, "OS command injection",
		"Do not pass input to a shell: run the program directly with exec.Command and separate arguments, and validate input against an allow-list.", true},
	RuleCommandTime: {findings.Critical, []int{78}, "OS command injection (time based)",
		"Do not pass input to a shell: run the program directly with exec.Command and separate arguments, and validate input against an allow-list.", true},
	RuleSSRF: {findings.High, []int{918}, "Server-side request forgery",
		"Fetch only URLs on an allow-list of hosts; resolve the host and refuse loopback, private and link-local addresses, on every redirect too.", true},
	RuleAuthBypass: {findings.High, []int{306}, "Operation declared secured answers without credentials",
		"Enforce the security the API document declares: check the credential in a middleware every secured route goes through, and answer 401 without it.", true},

	RuleMissingCSP: {findings.Low, []int{693}, "Content-Security-Policy header missing",
		"Send a Content-Security-Policy on HTML responses, at least default-src 'self'; object-src 'none'; frame-ancestors 'self'.", false},
	RuleMissingHSTS: {findings.Low, []int{319}, "Strict-Transport-Security header missing",
		"Send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS response.", false},
	RuleMissingNoSniff: {findings.Low, []int{693}, "X-Content-Type-Options header missing",
		"Send X-Content-Type-Options: nosniff on every response.", false},
	RuleMissingFrame: {findings.Low, []int{1021}, "No protection against framing (clickjacking)",
		"Send Content-Security-Policy: frame-ancestors 'self' (or X-Frame-Options: DENY) on HTML responses.", false},
	RuleCookieSecure: {findings.Low, []int{614}, "Cookie without the Secure attribute over HTTPS",
		"Set the Secure attribute on every cookie served over HTTPS.", false},
	RuleCookieHTTPOnly: {findings.Low, []int{1004}, "Cookie without the HttpOnly attribute",
		"Set HttpOnly on cookies scripts do not need to read, above all session cookies.", false},
	RuleCookieSameSite: {findings.Info, []int{1275}, "Cookie without the SameSite attribute",
		"Set SameSite=Lax (or Strict) on cookies so browsers do not send them with cross-site requests.", false},
	RuleBanner: {findings.Low, []int{200}, "Server software and version disclosed",
		"Remove the version from Server and X-Powered-By headers (or drop the headers); it tells attackers which exploits to try.", false},
	RuleVerboseError: {findings.Medium, []int{209}, "Stack trace or internal error shown to clients",
		"Log errors on the server and answer clients with a generic message; never send stack traces or database errors.", false},
	RuleCORS: {findings.Medium, []int{942}, "Permissive cross-origin resource sharing",
		"Allow only an explicit list of trusted origins; never reflect the Origin header, and never combine a wildcard with credentials.", false},
	RuleDirectoryListing: {findings.Medium, []int{548}, "Directory listing enabled",
		"Turn directory listings off, or serve an index page, so the files of a folder are not enumerable.", false},
	RuleExposedGit: {findings.High, []int{538}, "Git repository exposed",
		"Do not deploy the .git folder, or deny every path under /.git in the web server.", false},
	RuleExposedEnv: {findings.High, []int{538}, "Environment file (.env) exposed",
		"Do not deploy .env files into the web root, deny dotfiles in the web server, and rotate every secret the file held.", false},
}

// RuleIDs returns every rule id the scanner reports, sorted.
func RuleIDs() []string {
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
