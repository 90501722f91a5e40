package external

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
)

// TestSecretsNotKept checks that a secret a tool reports in clear is kept
// only as its hash, and that two tools reporting the same secret give the
// same hash (so findings.Merge makes them one finding).
func TestSecretsNotKept(t *testing.T) {
	const secret = "AKIAQ4EXAMPLE7XKZ2MN"
	want := sha256Hex(secret)
	for _, c := range []struct{ tool, report string }{
		{"gitleaks", `[{"RuleID": "aws-access-token", "File": "env.sh", "StartLine": 3, "Match": "KEY=` + secret + `", "Secret": "` + secret + `"}]`},
		{"semgrep", `{"results": [{"check_id": "generic.secrets.security.aws-key", "path": "env.sh",
			"start": {"line": 3, "col": 5}, "end": {"line": 3, "col": 25}, "extra": {"lines": "KEY=` + secret + `", "severity": "ERROR"}}]}`},
		{"trivy", `{"SchemaVersion": 2, "Results": [{"Target": "env.sh", "Class": "secret", "Secrets": [
			{"RuleID": "aws-access-key-id", "Severity": "CRITICAL", "StartLine": 3, "Match": "` + secret + `"}]}]}`},
	} {
		fs, err := Import(c.tool, strings.NewReader(c.report), "")
		if err != nil || len(fs) != 1 {
			t.Fatalf("%s: %d findings, %v", c.tool, len(fs), err)
		}
		f := fs[0]
		b, _ := json.Marshal(f)
		if strings.Contains(string(b), secret) {
			t.Errorf("%s keeps the secret in clear: %s", c.tool, b)
		}
		if f.Category != findings.Secrets || f.Properties[findings.PropSecretSHA256] != want {
			t.Errorf("%s: category %s, secret hash %q; want secrets, %q", c.tool, f.Category, f.Properties[findings.PropSecretSHA256], want)
		}
		if f.Snippet == "" || !strings.Contains(f.Snippet, "AKIA…") {
			t.Errorf("%s: snippet %q, want the secret redacted", c.tool, f.Snippet)
		}
	}
}

func TestImportFile(t *testing.T) {
	tool, fs, err := ImportFile(filepath.Join("testdata", "zap", "report.json"), "")
	if err != nil || tool != "zap" || len(fs) != 4 {
		t.Errorf("ImportFile(zap) = %q, %d findings, %v", tool, len(fs), err)
	}
	_, _, err = ImportFile(filepath.Join("testdata", "bandit", "corpus", "insecure.py"), "")
	if err == nil || !strings.Contains(err.Error(), "not a report sluice can tell the tool of") {
		t.Errorf("ImportFile(python file) error = %v", err)
	}
	if _, _, err := ImportFile(filepath.Join("testdata", "missing.json"), ""); err == nil {
		t.Error("ImportFile(missing file): no error")
	}
}
