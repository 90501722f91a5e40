package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/report/scanreport"
)

// fakeAWSKey is assembled here, so this file holds no credential-shaped
// literal.
var fakeAWSKey = "AKIA" + "Z7Q3M5X2R6T4W6Y3"

// scanTree writes files (relative path -> content) under a new folder.
func scanTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runSluice runs the command line and returns its exit code and output.
func runSluice(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errw bytes.Buffer
	code = Main(args, strings.NewReader(""), &out, &errw)
	return code, out.String(), errw.String()
}

// TestScanInlineIgnored runs sluice scan on a secret turned off by a
// marker: it is reported, marked, in every format, and fails no
// --fail-on; the same secret without the marker does.
func TestScanInlineIgnored(t *testing.T) {
	marked := scanTree(t, map[string]string{
		"deploy/app.env": "REGION=eu-west-1\nAWS_ACCESS_KEY_ID=" + fakeAWSKey + " # sluice:ignore test fixture\n",
	})
	base := []string{"scan", "-q", "--scanners", "secrets", "--fail-on", "low"}

	code, out, errOut := runSluice(t, append(base, marked)...)
	if code != ExitOK {
		t.Fatalf("exit %d with only an inline-ignored finding, want 0\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "No open findings.") ||
		!strings.Contains(out, "1 finding ignored inline (sluice:ignore); --show-ignored lists it") ||
		strings.Contains(out, "aws-access-key-id") {
		t.Errorf("table should count the ignored finding, not list it:\n%s", out)
	}
	if strings.Contains(out+errOut, fakeAWSKey) {
		t.Error("the secret is printed in clear")
	}

	code, out, _ = runSluice(t, append(base, "--show-ignored", marked)...)
	head, listed, ok := strings.Cut(out, "1 finding ignored inline (sluice:ignore), not counted:")
	if code != ExitOK || !ok || strings.Contains(head, "aws-access-key-id") || !strings.Contains(listed, "aws-access-key-id  deploy/app.env:2") {
		t.Errorf("--show-ignored: exit %d, want the finding listed apart:\n%s", code, out)
	}

	code, out, _ = runSluice(t, append(base, "--format", "json", marked)...)
	var doc scanreport.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--format json: %v\n%s", err, out)
	}
	if code != ExitOK || len(doc.Findings) != 1 || !doc.Findings[0].InlineIgnored || doc.Findings[0].Fingerprint == "" ||
		doc.Summary.Total != 0 || doc.Summary.Ignored != 1 {
		t.Errorf("json: exit %d, findings %+v, summary %+v", code, doc.Findings, doc.Summary)
	}
	if len(doc.Scanners) != 1 || doc.Scanners[0].Findings != 1 || doc.Scanners[0].Ignored != 1 {
		t.Errorf("json: scanners %+v", doc.Scanners)
	}

	code, out, _ = runSluice(t, append(base, "--format", "sarif", marked)...)
	if code != ExitOK || !strings.Contains(out, `"kind": "inSource"`) || !strings.Contains(out, `"justification": "sluice:ignore marker"`) {
		t.Errorf("sarif: exit %d, no inSource suppression:\n%s", code, out)
	}

	// The marker is the only difference: without it the scan fails, and
	// the finding has the same fingerprint.
	open := scanTree(t, map[string]string{
		"deploy/app.env": "REGION=eu-west-1\nAWS_ACCESS_KEY_ID=" + fakeAWSKey + "\n",
	})
	code, _, errOut = runSluice(t, append(base, open)...)
	if code != ExitFailed || !strings.Contains(errOut, "1 open finding at or above low") {
		t.Errorf("unmarked secret: exit %d, stderr %q; want 1 and the count", code, errOut)
	}
	_, out, _ = runSluice(t, append(base, "--format", "json", open)...)
	var plain scanreport.Document
	if err := json.Unmarshal([]byte(out), &plain); err != nil {
		t.Fatal(err)
	}
	if len(plain.Findings) != 1 || plain.Findings[0].InlineIgnored || plain.Findings[0].Fingerprint != doc.Findings[0].Fingerprint {
		t.Errorf("unmarked: %+v; want one open finding with the marked one's fingerprint", plain.Findings)
	}
}

func TestCountFailing(t *testing.T) {
	fs := []findings.Finding{
		{Severity: findings.Critical, InlineIgnored: true},
		{Severity: findings.High},
		{Severity: findings.Medium},
		{Severity: findings.High, InlineIgnored: true},
	}
	for s, want := range map[findings.Severity]int{findings.Critical: 0, findings.High: 1, findings.Medium: 2, findings.Low: 2} {
		if got := countFailing(fs, s); got != want {
			t.Errorf("countFailing(%s) = %d, want %d", s, got, want)
		}
	}
}
