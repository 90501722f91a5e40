package external

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testRoot is the folder the hand-written reports say was scanned.
const testRoot = "/src/app"

// reports lists every hand-written report: the tool that wrote it and the
// file under testdata/.
var reports = []struct{ tool, file string }{
	{"bandit", "bandit/report.json"},
	{"semgrep", "semgrep/report.json"},
	{"trivy", "trivy/fs.json"},
	{"trivy", "trivy/image.json"},
	{"grype", "grype/dir.json"},
	{"grype", "grype/image.json"},
	{"hadolint", "hadolint/report.json"},
	{"checkov", "checkov/list.json"},
	{"checkov", "checkov/single.json"},
	{"checkov", "checkov/empty.json"},
	{"tfsec", "tfsec/report.json"},
	{"tfsec", "tfsec/empty.json"},
	{"kube-linter", "kube-linter/report.json"},
	{"kube-linter", "kube-linter/passed.json"},
	{"gitleaks", "gitleaks/report.json"},
	{"pip-audit", "pip-audit/report.json"},
	{"pip-audit", "pip-audit/legacy.json"},
	{"safety", "safety/v1.json"},
	{"safety", "safety/v2.json"},
	{"safety", "safety/v3.json"},
	{"snyk", "snyk/test.json"},
	{"snyk", "snyk/all-projects.json"},
	{"snyk", "snyk/container.json"},
	{"dependency-check", "dependency-check/report.json"},
	{"zap", "zap/report.json"},
	{"sarif", "sarif/eslint.sarif"},
}

// imported is what a golden file holds: the findings and the problems
// the tool reported with single inputs.
type imported struct {
	Findings []findings.Finding `json:"findings"`
	Notes    []scan.InputError  `json:"notes,omitempty"`
}

func TestImportGolden(t *testing.T) {
	for _, r := range reports {
		t.Run(r.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", r.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := parse(r.tool, data, testRoot)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got := imported{Findings: res.findings, Notes: res.notes}
			if got.Findings == nil {
				got.Findings = []findings.Finding{}
			}
			for _, f := range got.Findings {
				checkFinding(t, r.tool, f)
			}
			golden(t, strings.TrimSuffix(r.file, filepath.Ext(r.file))+".golden.json", got)

			fs, err := Import(r.tool, bytes.NewReader(data), testRoot)
			if err != nil || len(fs) != len(res.findings) {
				t.Errorf("Import: %d findings, %v; want %d", len(fs), err, len(res.findings))
			}
		})
	}
}

// checkFinding checks what every imported finding must have, and that
// no secret is kept in clear.
func checkFinding(t *testing.T, tool string, f findings.Finding) {
	t.Helper()
	if f.Scanner == "" || f.RuleID == "" || f.Title == "" || f.Category == "" {
		t.Errorf("%s: scanner %q, rule %q, title %q, category %q: all must be set", tool, f.Scanner, f.RuleID, f.Title, f.Category)
	}
	if !strings.HasPrefix(f.Scanner, tool) && tool != "sarif" {
		t.Errorf("scanner %q, want %q", f.Scanner, tool)
	}
	if f.Severity < findings.Info || f.Severity > findings.Critical {
		t.Errorf("%s: severity %d out of range", f.RuleID, f.Severity)
	}
	b, _ := json.Marshal(f)
	for _, secret := range plantedSecrets {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s %s keeps the secret %q in clear: %s", tool, f.RuleID, secret, b)
		}
	}
}

// plantedSecrets are the secrets of the hand-written reports.
var plantedSecrets = []string{"AKIAQ4EXAMPLE7XKZ2MN", "9f2c4e1a7b3d8f6e0c5a2b9d4e7f1a3c"}

// golden compares got, as indented JSON, with testdata/name, or rewrites
// the file with -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

func TestDetect(t *testing.T) {
	for _, r := range reports {
		data, err := os.ReadFile(filepath.Join("testdata", r.file))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := Detect(data); !ok || got != r.tool {
			t.Errorf("Detect(%s) = %q, %v; want %q", r.file, got, ok, r.tool)
		}
	}
	for _, in := range []string{``, `null`, `42`, `"x"`, `{}`, `{"a": 1}`, `[1, 2]`, `[{"x": 1}]`, `{"runs": []}`, `not json`} {
		if got, ok := Detect([]byte(in)); ok {
			t.Errorf("Detect(%q) = %q, true; want not recognized", in, got)
		}
	}
	if got, ok := Detect([]byte(" [ ] ")); !ok || got != None {
		t.Errorf("Detect([]) = %q, %v; want %q", got, ok, None)
	}
}
