package external

import (
	"errors"
	"strings"
	"testing"
)

func TestImportMalformed(t *testing.T) {
	for _, c := range []struct {
		tool, in string
		// want are substrings of the error; n is how many findings still
		// come back.
		want []string
		n    int
	}{
		{"bandit", `{"results": [`, []string{"bandit report", "not valid JSON at line 1, column 13"}, 0},
		{"bandit", "{\n  \"results\": [\n    {,}\n  ]\n}", []string{"bandit report", "line 3, column 6"}, 0},
		{"bandit", `[]`, []string{"bandit report", "top level: got JSON array, want an object"}, 0},
		{"bandit", `{"foo": 1}`, []string{"bandit report", `no "results"`}, 0},
		{"bandit", `{"results": 7}`, []string{"bandit report", "results: got JSON number, want an array"}, 0},
		{"bandit", `{"results": [{"test_id": "B101", "filename": "a.py", "line_number": 3}, {"test_id": "B102", "line_number": "x"}, {"filename": "b.py"}]}`,
			[]string{"bandit report: 2 malformed entries", "results[1]: line_number: got JSON string, want an integer", "results[2]: no test_id"}, 1},
		{"semgrep", `{"results": [{"check_id": 5}]}`, []string{"semgrep report", "results[0]: check_id: got JSON number, want a string"}, 0},
		{"trivy", `{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": [{"VulnerabilityID": "CVE-1"}]}]}`,
			[]string{"trivy report", "Results[0].Vulnerabilities[0]: no VulnerabilityID or PkgName"}, 0},
		{"trivy", `{"Results": "x"}`, []string{"trivy report", "Results: got JSON string, want an array"}, 0},
		{"grype", `{"matches": [{"vulnerability": {"id": "CVE-1"}, "artifact": {"name": ""}}], "descriptor": {}}`,
			[]string{"grype report", "matches[0]: no vulnerability.id or artifact.name"}, 0},
		{"hadolint", `{"code": "DL3007"}`, []string{"hadolint report", "top level: got JSON object, want an array"}, 0},
		{"hadolint", `[{"code": "DL3007", "line": 1, "level": "warning", "file": "Dockerfile"}, {"foo": 1}]`, []string{"hadolint report", "[1]: no code"}, 1},
		{"checkov", `"checkov"`, []string{"checkov report", "got JSON string, want an array"}, 0},
		{"checkov", `[{"check_type": "terraform", "results": {"failed_checks": [{"check_name": "x"}]}}]`, []string{"checkov report", "[0].results.failed_checks[0]: no check_id"}, 0},
		{"tfsec", `{}`, []string{"tfsec report", `no "results"`}, 0},
		{"kube-linter", `{"Reports": [{"Diagnostic": {}}]}`, []string{"kube-linter report", "Reports[0]: no Check"}, 0},
		{"gitleaks", `[{"RuleID": "x"}]`, []string{"gitleaks report", "[0]: no File or Commit"}, 0},
		{"pip-audit", `{"dependencies": [{"name": "a", "version": "1", "vulns": [{"id": ""}]}]}`, []string{"pip-audit report", "dependencies[0].vulns[0]: no id"}, 0},
		{"safety", `[["django", "<1"]]`, []string{"safety report", "[0]: want [name, spec, version, advisory, id]"}, 0},
		{"safety", `{"x": 1}`, []string{"safety report", `no "vulnerabilities" or "scan_results"`}, 0},
		{"snyk", `{"vulnerabilities": [{"id": "SNYK-1"}], "ok": false}`, []string{"snyk report", "[0].vulnerabilities[0]: no id or packageName"}, 0},
		{"dependency-check", `{"reportSchema": "1.1", "dependencies": [{"vulnerabilities": [{"name": "CVE-1"}]}]}`,
			[]string{"dependency-check report", "dependencies[0].vulnerabilities[0]"}, 0},
		{"zap", `{"@programName": "ZAP", "site": [{"alerts": [{"pluginid": "1", "riskcode": "9"}]}]}`, []string{"zap report", `site[0].alerts[0]: riskcode "9"`}, 0},
		{"zap", `{"@programName": "ZAP"}`, []string{"zap report", `no "site"`}, 0},
		{"eslint", `{"results": []}`, []string{"eslint report: not a SARIF 2.1.0 log"}, 0},
		{"sarif", `{"version": "1.0.0", "runs": []}`, []string{"sarif report", "version"}, 0},
		{"nessus", `{}`, []string{`import "nessus": unknown report format`}, 0},
		{"none", `[{"a": 1}]`, []string{`want an empty JSON list`}, 0},
	} {
		fs, err := Import(c.tool, strings.NewReader(c.in), "/src")
		if err == nil {
			t.Errorf("Import(%s, %q): no error", c.tool, c.in)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Import(%s, %q):\n error %q\n does not say %q", c.tool, c.in, err, w)
			}
		}
		if len(fs) != c.n {
			t.Errorf("Import(%s, %q): %d findings, want %d", c.tool, c.in, len(fs), c.n)
		}
		var me *MalformedError
		if c.n > 0 && !errors.As(err, &me) {
			t.Errorf("Import(%s, %q): error %T, want *MalformedError with the other findings", c.tool, c.in, err)
		}
	}
}
