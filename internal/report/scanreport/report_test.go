package scanreport

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture is a scan with a finding per kind of location, a finding found
// by two tools, one an inline marker turned off, an imported report
// without health, and scanners that ran clean, were skipped, failed, or
// could not read an input.
func fixture() ([]findings.Finding, []scan.Health) {
	fs := findings.Merge([]findings.Finding{
		{Scanner: "secrets", RuleID: "aws-access-key-id", Category: findings.Secrets, Severity: findings.Critical,
			Title: "AWS access key ID", CWE: []int{798}, Fix: "Revoke the key.",
			Location:   findings.Location{Path: "deploy/app.env", StartLine: 2},
			Properties: map[string]string{findings.PropSecretSHA256: "5c9ae1d2"}},
		{Scanner: "gitleaks", RuleID: "aws-access-token", Category: findings.Secrets, Severity: findings.High,
			Title: "AWS Access Token", Location: findings.Location{Path: "deploy/app.env", StartLine: 2},
			Properties: map[string]string{findings.PropSecretSHA256: "5c9ae1d2"}},
		{Scanner: "deps", RuleID: "GHSA-c3h9-896r-86jm", Aliases: []string{"CVE-2021-44906"}, Category: findings.Deps,
			Severity: findings.Critical, Title: "Prototype Pollution in minimist", FixedVersion: "1.2.6",
			Location: findings.Location{Path: "web/package-lock.json", StartLine: 812, Package: "minimist", Version: "1.2.5", Ecosystem: "npm"}},
		{Scanner: "gosec", RuleID: "G401", Category: findings.SAST, Severity: findings.Medium,
			Title: "Use of weak cryptographic primitive", CWE: []int{328}, Snippet: "h := md5.New()",
			Location: findings.Location{Path: "internal/hash.go", StartLine: 30}},
		{Scanner: "gosec", RuleID: "G404", Category: findings.SAST, Severity: findings.High,
			Title: "Use of weak random number generator", CWE: []int{338}, Snippet: "n := rand.Intn(6) // sluice:ignore G404 dice",
			Location: findings.Location{Path: "internal/game.go", StartLine: 12}, InlineIgnored: true},
		{Scanner: "terraform", RuleID: "SLUICE-TF-001", Category: findings.IaC, Severity: findings.High,
			Title: "S3 bucket is publicly readable", CWE: []int{284},
			Location: findings.Location{Path: "infra/main.tf", StartLine: 4, Resource: "aws_s3_bucket.logs"}},
		{Scanner: "zap", RuleID: "40012", Category: findings.DAST, Severity: findings.Low,
			Title: "Cross Site Scripting (Reflected) <script>", CWE: []int{79},
			Location: findings.Location{URL: "http://127.0.0.1:8080/search?q=x&y=<b>", Method: "GET"}},
	})
	health := []scan.Health{
		{Scanner: "secrets", Status: scan.Ran, Files: 120, Findings: 1, Duration: 84 * time.Millisecond},
		{Scanner: "deps", Status: scan.Ran, Files: 2, Packages: 311, Findings: 1, Duration: 1234 * time.Millisecond,
			DBUpdated: time.Date(2025, 11, 20, 3, 0, 0, 0, time.UTC), Partial: true,
			Errors: []scan.InputError{{Path: "api/poetry.lock", Err: "line 3: expected '=' after key"}}},
		{Scanner: "kubernetes", Status: scan.Skipped, Reason: "no Kubernetes manifests in the tree"},
		{Scanner: "terraform", Status: scan.Ran, Files: 3, Findings: 1, Duration: 40 * time.Millisecond},
		{Scanner: "semgrep", Status: scan.Failed, Reason: "semgrep exited with status 2: invalid config"},
		{Scanner: "dockerfile", Status: scan.Ran, Files: 1, Duration: 450 * time.Microsecond},
		{Scanner: "gosec", Status: scan.Ran, Files: 40, Findings: 2, Ignored: 1, Duration: 2 * time.Second},
	}
	return fs, health
}

func TestWriteJSON(t *testing.T) {
	fs, health := fixture()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, fs, health); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.json", buf.Bytes())

	var doc Document
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// Every finding is in the document; the summary counts the one an
	// inline marker turned off apart, and the finding says so.
	if doc.Version != SchemaVersion || len(doc.Findings) != len(fs) || len(doc.Scanners) != len(health) ||
		doc.Summary.Total != len(fs)-1 || doc.Summary.Ignored != 1 || doc.Summary.BySeverity[findings.High] != 1 ||
		doc.Summary.Scanners[scan.Failed] != 1 || doc.Summary.BySeverity[findings.Critical] != 2 {
		t.Errorf("decoded document: %+v", doc.Summary)
	}
	var marked []string
	for _, f := range doc.Findings {
		if f.InlineIgnored {
			marked = append(marked, f.RuleID)
		}
	}
	if len(marked) != 1 || marked[0] != "G404" || !strings.Contains(buf.String(), `"inline_ignored": true`) {
		t.Errorf("inline-ignored findings in the document: %v", marked)
	}
	if doc.Scanners[0].Scanner != "deps" {
		t.Errorf("scanners not sorted: %s first", doc.Scanners[0].Scanner)
	}

	buf.Reset()
	if err := WriteJSON(&buf, nil, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"findings": []`) || !strings.Contains(buf.String(), `"scanners": []`) {
		t.Errorf("empty report has null lists:\n%s", buf.String())
	}
}

func TestWriteJUnit(t *testing.T) {
	fs, health := fixture()
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, fs, health); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.xml", buf.Bytes())

	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit output is not XML: %v", err)
	}
	got := map[string]string{}
	for _, s := range doc.Suites {
		var kinds []string
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				kinds = append(kinds, "failure:"+c.Failure.Type)
			case c.Error != nil:
				kinds = append(kinds, "error:"+c.Error.Type)
			case c.Skipped != nil:
				kinds = append(kinds, "skipped")
			default:
				kinds = append(kinds, "pass")
			}
		}
		got[s.Name] = strings.Join(kinds, ",")
	}
	want := map[string]string{
		"deps":       "error:input-error,failure:critical",
		"dockerfile": "pass",
		"gitleaks":   "",
		"gosec":      "skipped,failure:medium",
		"kubernetes": "skipped",
		"secrets":    "failure:critical",
		"semgrep":    "error:scanner-failed",
		"terraform":  "failure:high",
		"zap":        "failure:low",
	}
	// gitleaks only contributed a source to the secrets finding: no suite.
	delete(want, "gitleaks")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suites (-want +got):\n%s", diff)
	}
	if doc.Tests != 10 || doc.Failures != 5 || doc.Errors != 2 || doc.Skipped != 2 {
		t.Errorf("totals: tests %d failures %d errors %d skipped %d", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
}

func TestWriteTable(t *testing.T) {
	fs, health := fixture()
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := WriteTable(&buf, fs, health, color); err != nil {
			t.Fatal(err)
		}
		name := "report.golden.txt"
		if color {
			name = "report.golden.color.txt"
		}
		golden(t, name, buf.Bytes())
		if !color && strings.Contains(buf.String(), "\x1b") {
			t.Error("plain table contains escape sequences")
		}
		// The inline-ignored finding is counted, not listed.
		if strings.Contains(buf.String(), "G404") || !strings.Contains(buf.String(), "1 finding ignored inline (sluice:ignore); --show-ignored lists it") {
			t.Errorf("inline-ignored finding listed or not counted:\n%s", buf.String())
		}
	}
	var buf bytes.Buffer
	if err := WriteTableOptions(&buf, fs, health, TableOptions{ShowIgnored: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.ignored.txt", buf.Bytes())
	head, ignored, ok := strings.Cut(buf.String(), "1 finding ignored inline (sluice:ignore), not counted:\n")
	if !ok || strings.Contains(head, "G404") || !strings.Contains(ignored, "G404") || strings.Contains(ignored, "--show-ignored") {
		t.Errorf("--show-ignored table does not list the ignored finding apart:\n%s", buf.String())
	}
}

// A scan whose only findings are inline-ignored has no open finding.
func TestWriteTableOnlyIgnored(t *testing.T) {
	fs := []findings.Finding{
		{Scanner: "secrets", RuleID: "generic-secret", Severity: findings.High, Title: "Generic secret",
			Location: findings.Location{Path: "a.env", StartLine: 1}, InlineIgnored: true},
		{Scanner: "secrets", RuleID: "github-pat", Severity: findings.High, Title: "GitHub token",
			Location: findings.Location{Path: "b.env", StartLine: 2}, InlineIgnored: true},
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, fs, nil, false); err != nil {
		t.Fatal(err)
	}
	want := "No open findings.\n\n2 findings ignored inline (sluice:ignore); --show-ignored lists them\n\nno open findings; 2 ignored inline\n"
	if buf.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestWriteTableEdgeCases(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTable(&buf, nil, nil, false); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "No findings.\n\nno findings\n" {
		t.Errorf("empty table:\n%q", buf.String())
	}

	// A hostile imported report cannot move the cursor or clear the screen.
	buf.Reset()
	evil := []findings.Finding{{Scanner: "x", RuleID: "r\x1b[2J", Severity: findings.High,
		Title: "line one\nline two\x1b]0;pwned\x07" + strings.Repeat("x", 200), Location: findings.Location{Path: "a\tb.go", StartLine: 1}}}
	if err := WriteTable(&buf, evil, nil, true); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\x1b[2J", "\x1b]0", "\x07", "\t", "line one\n"} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("table output contains %q:\n%s", bad, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "…") {
		t.Errorf("long title not cut:\n%s", buf.String())
	}

	// Many input errors are capped.
	h := scan.Health{Scanner: "deps", Status: scan.Ran, Partial: true}
	for i := range maxInputErrors + 5 {
		h.Errors = append(h.Errors, scan.InputError{Path: "f" + string(rune('a'+i)), Err: "bad"})
	}
	buf.Reset()
	if err := WriteTable(&buf, nil, []scan.Health{h}, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "… and 5 more") || strings.Count(buf.String(), ": bad") != maxInputErrors {
		t.Errorf("input errors not capped:\n%s", buf.String())
	}
}

// A failing writer's error comes back, wrapped.
func TestWriteErrors(t *testing.T) {
	fs, health := fixture()
	for name, write := range map[string]func() error{
		"json":  func() error { return WriteJSON(failWriter{}, fs, health) },
		"junit": func() error { return WriteJUnit(failWriter{}, fs, health) },
		"table": func() error { return WriteTable(failWriter{}, fs, health, false) },
	} {
		if err := write(); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

var errDiskFull = &os.PathError{Op: "write", Path: "report", Err: os.ErrClosed}

func init() { errDiskFull.Err = errString("disk full") }

type errString string

func (e errString) Error() string { return string(e) }

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}
