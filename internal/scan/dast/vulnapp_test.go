package dast

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
)

func TestScanVulnapp(t *testing.T) {
	t.Parallel()
	base := startApp(t, "examples/vulnapp")
	res, err := Scan(scanCtx(t), Options{
		BaseURL:      base,
		OpenAPI:      "../../../examples/vulnapp/openapi.yaml",
		ActiveChecks: true,
		Concurrency:  4,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("vulnapp: %d findings, %d requests, %s", len(res.Findings), res.Requests, res.Duration)
	for _, f := range res.Findings {
		t.Logf("  %-36s %-8s %s %s [%s] %s", f.RuleID, f.Severity, f.Location.Method, f.Location.URL,
			f.Properties[findings.PropParameter], f.Properties[PropEvidence])
	}
	// Each planted vulnerability, where it is planted: rule, path and
	// parameter ("" for host-wide findings).
	want := []struct{ rule, path, param string }{
		{RuleXSS, "/search", "q"},
		{RuleSQLiError, "/product", "id"},
		{RuleSQLiTime, "/report", "id"},
		{RulePathTraversal, "/download", "file"},
		{RuleOpenRedirect, "/go", "next"},
		{RuleCommandInjection, "/ping", "host"},
		{RuleCommandTime, "/lookup", "host"},
		{RuleSSRF, "/fetch", "url"},
		{RuleAuthBypass, "/api/admin/users", ""},
		{RuleMissingCSP, "/", ""},
		{RuleMissingFrame, "/", ""},
		{RuleMissingNoSniff, "/", ""},
		{RuleCookieHTTPOnly, "/", "session"},
		{RuleCookieSameSite, "/", "session"},
		{RuleBanner, "/", "Server"},
		{RuleBanner, "/", "X-Powered-By"},
		{RuleVerboseError, "/crash", ""},
		{RuleCORS, "/api/profile", ""},
		{RuleDirectoryListing, "/files/", ""},
		{RuleExposedGit, "/.git/HEAD", ""},
		{RuleExposedEnv, "/.env", ""},
	}
	type key struct{ rule, path, param string }
	got := map[key]findings.Finding{}
	for _, f := range res.Findings {
		u, err := url.Parse(f.Location.URL)
		if err != nil {
			t.Errorf("%s: bad URL %q", f.RuleID, f.Location.URL)
			continue
		}
		got[key{f.RuleID, u.Path, f.Properties[findings.PropParameter]}] = f
	}
	var wantRules []string
	for _, w := range want {
		wantRules = append(wantRules, w.rule)
		if _, ok := got[key(w)]; !ok {
			t.Errorf("missing %s at %s (parameter %q)", w.rule, w.path, w.param)
		}
	}
	var gotRules []string
	for _, f := range res.Findings {
		gotRules = append(gotRules, f.RuleID)
	}
	slices.Sort(wantRules)
	slices.Sort(gotRules)
	if w, g := slices.Compact(wantRules), slices.Compact(gotRules); !slices.Equal(w, g) {
		t.Errorf("rule ids:\n got %v\nwant %v", g, w)
	}
	// Controls: the escaping form, the key-checking route, the unsafe
	// DELETE operation and HTTPS-only rules.
	for _, f := range res.Findings {
		switch {
		case strings.Contains(f.Location.URL, "/subscribe"),
			strings.Contains(f.Location.URL, "/api/account"),
			f.Location.Method != "GET",
			f.RuleID == RuleMissingHSTS, f.RuleID == RuleCookieSecure:
			t.Errorf("unexpected finding %s at %s %s", f.RuleID, f.Location.Method, f.Location.URL)
		}
	}
	checkFindings(t, res)
	if res.Health.Status != "ran" || res.Health.Partial {
		t.Errorf("health = %+v, want ran and complete", res.Health)
	}
}

// checkFindings checks what every finding must carry.
func checkFindings(t *testing.T, res Result) {
	t.Helper()
	fps := map[string]bool{}
	for _, f := range res.Findings {
		r := rules[f.RuleID]
		switch {
		case f.Category != findings.DAST || f.Scanner != ScannerName:
			t.Errorf("%s: category %s scanner %s", f.RuleID, f.Category, f.Scanner)
		case f.Fingerprint == "" || f.Fingerprint != findings.Fingerprint(&f):
			t.Errorf("%s: fingerprint %q is not findings.Fingerprint", f.RuleID, f.Fingerprint)
		case fps[f.Fingerprint]:
			t.Errorf("%s: duplicate fingerprint", f.RuleID)
		case !slices.Equal(f.CWE, r.cwe) || f.Fix == "" || f.Title == "":
			t.Errorf("%s: CWE %v fix %q title %q", f.RuleID, f.CWE, f.Fix, f.Title)
		case f.Properties[PropRequest] == "":
			t.Errorf("%s: no request line as evidence", f.RuleID)
		case f.Location.URL == "" || f.Location.Method == "":
			t.Errorf("%s: location %+v", f.RuleID, f.Location)
		}
		if r.active && (f.Properties[PropEvidence] == "" || (f.RuleID != RuleAuthBypass && f.Properties[PropPayload] == "")) {
			t.Errorf("%s: active finding without payload or evidence: %v", f.RuleID, f.Properties)
		}
		if len(f.OWASP2021)+len(f.OWASP2025) == 0 {
			t.Errorf("%s: CWE %v classified to no OWASP category", f.RuleID, f.CWE)
		}
		fps[f.Fingerprint] = true
	}
}
