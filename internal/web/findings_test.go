package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// seedFindings stores a scan report of three findings for the running
// run: a critical SQL injection, a high vulnerable dependency, and a
// secret a marker suppressed.
func (fx *fixture) seedFindings() {
	doc := map[string]any{"version": 1, "findings": []map[string]any{
		{"fingerprint": "fp-sqli", "scanner": "semgrep", "rule_id": "go.sqli", "category": "sast", "severity": "critical",
			"title": "SQL built from user input", "message": "the query concatenates the request's name",
			"cwe": []int{89}, "owasp_2021": []string{"A03:2021"}, "location": map[string]any{"path": "db/users.go", "start_line": 42},
			"snippet": `db.Query("SELECT * FROM users WHERE name='" + name + "'")`, "fix": "Use a parameterised query.",
			"sources": []map[string]string{{"scanner": "semgrep", "rule_id": "go.sqli"}}},
		{"fingerprint": "fp-dep", "scanner": "osv", "rule_id": "GHSA-xxxx", "category": "deps", "severity": "high",
			"title": "minimist prototype pollution", "location": map[string]any{"package": "minimist", "version": "1.2.5", "path": "package-lock.json"},
			"fixed_version": "1.2.6", "sources": []map[string]string{{"scanner": "osv", "rule_id": "GHSA-xxxx"}}},
		{"fingerprint": "fp-secret", "scanner": "gitleaks", "rule_id": "aws-key", "category": "secrets", "severity": "high",
			"title": "AWS access key", "location": map[string]any{"path": "test/fixture.env", "start_line": 3}, "inline_ignored": true,
			"sources": []map[string]string{{"scanner": "gitleaks", "rule_id": "aws-key"}}},
	}, "scanners": []map[string]any{{"scanner": "semgrep", "status": "ok", "files": 12, "findings": 1}}}
	body, err := json.Marshal(doc)
	fx.must(err)
	fx.must(fx.st.Evidence().PutEvidence(fx.t.Context(), &store.Evidence{RunID: fx.run.ID, JobID: "lint", Kind: "scan",
		Digest: "sha256:" + strings.Repeat("d", 64), Body: body, CreatedAt: time.Now()}))
}

func TestFindingsPage(t *testing.T) {
	fx := newFixture(t)
	fx.seedFindings()
	b := fx.browser()
	b.mustLogin(fx.key("ana", "developer"))
	if p := b.get("/runs/2"); !strings.Contains(p.body, `href="/runs/`+fx.run.ID+`/findings"`) {
		t.Error("the run page does not link its findings")
	}
	p := b.get("/runs/2/findings")
	wantStatus(t, "findings", p, http.StatusOK)
	wantContains(t, "the findings page", p.body, "3 of 3 findings shown.",
		`data-testid="finding" data-severity="critical" data-category="sast" data-scanner="semgrep"`,
		"SQL built from user input", "db/users.go:42", "CWE-89", "A03:2021", "Use a parameterised query.",
		"db.Query(&#34;SELECT * FROM users WHERE name=&#39;&#34; &#43; name &#43; &#34;&#39;&#34;)",
		"minimist@1.2.5", "Fixed in 1.2.6.", `data-suppressed="1"`, "<details>", `<option value="semgrep">semgrep</option>`)
	if strings.Index(p.body, "SQL built") > strings.Index(p.body, "minimist prototype") {
		t.Error("the critical finding is not first")
	}
	for q, want := range map[string][]string{
		"?severity=high":               {"2 of 3", "minimist", "AWS access key"},
		"?category=sast":               {"1 of 3", "SQL built"},
		"?scanner=osv":                 {"1 of 3", "minimist"},
		"?suppressed=yes":              {"1 of 3", "AWS access key"},
		"?suppressed=no&severity=high": {"1 of 3", "minimist"},
		"?severity=low":                {"0 of 3", `data-testid="no-findings"`, "No finding matches these filters."},
		"?severity=high&category=sast": {"0 of 3"},
	} {
		p := b.get("/runs/2/findings" + q)
		wantStatus(t, q, p, http.StatusOK)
		wantContains(t, "findings"+q, p.body, want...)
		if n := strings.Count(p.body, `data-testid="finding"`); !strings.Contains(p.body, want[0]+" findings shown") || n != int(want[0][0]-'0') {
			t.Errorf("%s: %d findings drawn", q, n)
		}
	}
	// The selected filter stays selected.
	wantContains(t, "a filtered page", b.get("/runs/2/findings?scanner=osv").body, `<option value="osv" selected>osv</option>`)
	// A run without evidence says so; a key of another project is refused.
	wantContains(t, "no findings", b.get("/runs/1/findings").body, "0 of 0 findings shown.", "No finding.")
	o := fx.browser()
	o.mustLogin(fx.key("outsider", "viewer@other"))
	wantStatus(t, "the outsider's findings", o.get("/runs/2/findings"), http.StatusForbidden)
}

// TestReport: the compliance report is the API's, with the API's headers:
// its own CSP (inline styles, no script) replaces the UI's for the HTML,
// and it is shown inline.
func TestReport(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("admin", "admin"))
	wantContains(t, "the run page", b.get("/runs/2").body, `href="/runs/`+fx.run.ID+`/report"`, `/report.json" download`, `/report.md" download`)
	p := b.get("/runs/2/report")
	wantStatus(t, "the HTML report", p, http.StatusOK)
	csp := p.header.Get("Content-Security-Policy")
	if csp == "" || csp == cspHeader || strings.Contains(csp, "script-src") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("the report's CSP: %q", csp)
	}
	if cd := p.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline") || !strings.Contains(cd, "sluice-run-2-report.html") {
		t.Errorf("the report's Content-Disposition: %q", cd)
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(p.body, "<html") {
		t.Errorf("the report: %s\n%.300s", ct, p.body)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if got := p.header.Get(h); got != want {
			t.Errorf("the report's %s: %q", h, got)
		}
	}
	if p.header.Get("X-Sluice-Audit-Verified") == "" {
		t.Error("the report does not say whether the audit chain holds")
	}
	for ext, ctype := range map[string]string{"json": "application/json", "md": "text/markdown"} {
		p := b.get("/runs/2/report." + ext)
		wantStatus(t, "the report as "+ext, p, http.StatusOK)
		if !strings.HasPrefix(p.header.Get("Content-Type"), ctype) || !strings.Contains(p.header.Get("Content-Disposition"), "report."+ext) {
			t.Errorf("report.%s: %s %s", ext, p.header.Get("Content-Type"), p.header.Get("Content-Disposition"))
		}
		if p.header.Get("Content-Security-Policy") != cspHeader {
			t.Errorf("report.%s: CSP %q", ext, p.header.Get("Content-Security-Policy"))
		}
	}
	// A key without audit:read is refused with the permission named.
	v := fx.browser()
	v.mustLogin(fx.key("dev", "developer"))
	if p := v.get("/runs/2/report"); p.status != http.StatusForbidden || p.header.Get("Content-Security-Policy") != cspHeader {
		t.Errorf("the report for a developer: %d %q", p.status, p.header.Get("Content-Security-Policy"))
	}
}
