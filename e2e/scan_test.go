package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// plantedTree writes a project with one planted issue of each built-in
// scanner's kind. The fake credentials are assembled here, so this file
// itself holds no credential-shaped literal.
func plantedTree(t *testing.T) (dir string, awsKey, ghToken string) {
	t.Helper()
	dir = t.TempDir()
	awsKey = "AKIA" + "Z7Q3M5X2R6T4W6Y3"
	ghToken = "ghp_" + "r8Xc2LmQ7vB4nT9kW3pZ6yH1sD5fJ0aGeU2i"
	writeFile(t, dir, "deploy/settings.env", "REGION=eu-west-1\nAWS_ACCESS_KEY_ID="+awsKey+"\n")
	writeFile(t, dir, "scripts/release.sh", "#!/bin/sh\n\nexport GITHUB_TOKEN="+ghToken+"\ngh release create v1\n")
	writeFile(t, dir, "requirements.txt", "flask==2.3.3\nrequests==2.25.1\n")
	writeFile(t, dir, "Dockerfile", "FROM ubuntu:latest\nRUN curl -fsSL https://example.com/install.sh | sh\nCMD python3 app.py\n")
	writeFile(t, dir, "infra/main.tf", `resource "aws_security_group" "ssh" {
  name = "ssh"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
`)
	writeFile(t, dir, "k8s/web.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          securityContext:
            privileged: true
`)
	writeFile(t, dir, "app/go.mod", "module app\n\ngo 1.22\n")
	writeFile(t, dir, "app/main.go", "package main\n\nimport (\n\t\"crypto/md5\"\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Printf(\"%x\\n\", md5.Sum([]byte(os.Args[0])))\n}\n")
	return dir, awsKey, ghToken
}

// cleanTree is the planted tree's clean twin.
func cleanTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "deploy/settings.env", "REGION=eu-west-1\nAWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID}\n")
	writeFile(t, dir, "scripts/release.sh", "#!/bin/sh\n\nexport GITHUB_TOKEN=\"$(cat /run/secrets/github_token)\"\ngh release create v1\n")
	writeFile(t, dir, "requirements.txt", "flask==2.3.3\nrequests==2.31.0\n")
	writeFile(t, dir, "app/go.mod", "module app\n\ngo 1.22\n")
	writeFile(t, dir, "app/main.go", "package main\n\nimport (\n\t\"crypto/sha256\"\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Printf(\"%x\\n\", sha256.Sum256([]byte(os.Args[0])))\n}\n")
	return dir
}

func vulnDB(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "examples", "goodbooks", "vulndb")
}

type scanDoc struct {
	Findings []struct {
		RuleID       string   `json:"rule_id"`
		Scanner      string   `json:"scanner"`
		Severity     string   `json:"severity"`
		Fingerprint  string   `json:"fingerprint"`
		FixedVersion string   `json:"fixed_version"`
		OWASP2021    []string `json:"owasp_2021"`
		Location     struct {
			Path      string `json:"path"`
			StartLine int    `json:"start_line"`
			Package   string `json:"package"`
		} `json:"location"`
	} `json:"findings"`
	Scanners []struct {
		Scanner string `json:"scanner"`
		Status  string `json:"status"`
		Reason  string `json:"reason"`
	} `json:"scanners"`
}

func scanJSON(t *testing.T, dir string, args ...string) (*scanDoc, *result) {
	t.Helper()
	r := sluice(t, dir, append([]string{"scan", "-q", "--format", "json"}, args...)...)
	var doc scanDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("scan --format json is not JSON: %v\n%s", err, r)
	}
	return &doc, r
}

func TestScanFindsPlantedIssuesAndNothingOnCleanTwin(t *testing.T) {
	t.Parallel()
	dir, awsKey, ghToken := plantedTree(t)
	doc, r := scanJSON(t, dir, "--vuln-db", vulnDB(t))
	expectCode(t, r, 0)
	type key struct{ rule, path string }
	got := map[key]int{}
	for _, f := range doc.Findings {
		got[key{f.RuleID, f.Location.Path}] = f.Location.StartLine
		if f.Fingerprint == "" {
			t.Errorf("finding %s has no fingerprint", f.RuleID)
		}
	}
	for _, want := range []struct {
		rule, path string
		line       int
	}{
		{"aws-access-key-id", "deploy/settings.env", 2},
		{"github-pat", "scripts/release.sh", 3},
		{"GHSA-j8r2-6x86-q33q", "requirements.txt", 2},
		{"dockerfile-latest-tag", "Dockerfile", 1},
		{"dockerfile-curl-pipe-shell", "Dockerfile", 2},
		{"dockerfile-shell-form-cmd", "Dockerfile", 3},
		{"tf-aws-sg-public-ingress", "infra/main.tf", 7},
		{"k8s-privileged-container", "k8s/web.yaml", 12},
		{"G501", "app/main.go", 4},
		{"G401", "app/main.go", 10},
	} {
		line, ok := got[key{want.rule, want.path}]
		if !ok || line != want.line {
			t.Errorf("want %s at %s:%d, got line %d (found: %v)", want.rule, want.path, want.line, line, ok)
		}
	}
	for _, f := range doc.Findings {
		if f.RuleID == "GHSA-j8r2-6x86-q33q" && (f.FixedVersion != "2.31.0" || len(f.OWASP2021) == 0) {
			t.Errorf("requests advisory: fixed %q, owasp %v", f.FixedVersion, f.OWASP2021)
		}
		if f.Location.Package == "flask" {
			t.Errorf("flask 2.3.3 has no advisory in the database but was reported: %+v", f)
		}
	}
	ran := map[string]bool{}
	for _, s := range doc.Scanners {
		ran[s.Scanner] = s.Status == "ran"
		if s.Status == "failed" {
			t.Errorf("scanner %s failed: %s", s.Scanner, s.Reason)
		}
	}
	for _, name := range []string{"secrets", "deps", "dockerfile", "terraform", "kubernetes", "gosec"} {
		if !ran[name] {
			t.Errorf("built-in scanner %s did not run: %+v", name, doc.Scanners)
		}
	}
	// The secrets never appear in clear, in any format.
	for _, format := range []string{"table", "json", "sarif", "junit"} {
		r := sluice(t, dir, "scan", "--format", format, "--vuln-db", vulnDB(t))
		for _, secret := range []string{awsKey, ghToken} {
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("--format %s prints the secret %s…", format, secret[:6])
			}
		}
	}

	clean := cleanTree(t)
	cdoc, cr := scanJSON(t, clean, "--vuln-db", vulnDB(t), "--scanners", "secrets,deps,gosec")
	expectCode(t, cr, 0)
	if len(cdoc.Findings) != 0 {
		t.Errorf("clean twin has findings: %+v", cdoc.Findings)
	}
}

func TestScanExitCodesAndHealth(t *testing.T) {
	t.Parallel()
	dir, _, _ := plantedTree(t)
	expectCode(t, sluice(t, dir, "scan", "-q", "--vuln-db", vulnDB(t), "--fail-on", "high"), 1)
	expectCode(t, sluice(t, dir, "scan", "-q", "--vuln-db", vulnDB(t), "--fail-on", "critical", "--scanners", "deps"), 0)
	expectCode(t, sluice(t, dir, "scan", "--scanners", "secretz"), 2)
	expectCode(t, sluice(t, dir, "scan", "--fail-on", "severe"), 2)
	expectCode(t, sluice(t, dir, "scan", "no/such/dir"), 2)

	// Without a database the deps scanner says it was skipped, and why:
	// never "0 findings".
	doc, r := scanJSON(t, dir, "--scanners", "deps", "--vuln-db", filepath.Join(dir, "missing-db"))
	expectCode(t, r, 0)
	if len(doc.Scanners) != 1 || doc.Scanners[0].Status != "skipped" || !strings.Contains(doc.Scanners[0].Reason, "vulnerability database") {
		t.Errorf("deps without a database: %+v", doc.Scanners)
	}
}

func TestScanSARIFValidatesAgainstSchema(t *testing.T) {
	t.Parallel()
	dir, _, _ := plantedTree(t)
	out := filepath.Join(t.TempDir(), "out.sarif")
	r := sluice(t, dir, "scan", "-q", "--vuln-db", vulnDB(t), "--format", "sarif", "--output", out)
	expectCode(t, r, 0)
	root, _ := moduleRoot()
	c := jsonschema.NewCompiler()
	schema, err := c.Compile(filepath.Join(root, "internal", "report", "sarif", "testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inst, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("SARIF output does not validate: %v", err)
	}
	// Importing our own SARIF merges into the same findings: no duplicates.
	doc1, _ := scanJSON(t, dir, "--vuln-db", vulnDB(t))
	doc2, _ := scanJSON(t, dir, "--vuln-db", vulnDB(t), "--import", out)
	if len(doc1.Findings) != len(doc2.Findings) {
		t.Errorf("re-importing our own SARIF changed the finding count: %d -> %d", len(doc1.Findings), len(doc2.Findings))
	}
}

func TestDBImportAndStatus(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	r := sluice(t, dir, "db", "import", vulnDB(t), "--vuln-db", db)
	expectCode(t, r, 0)
	r = sluice(t, dir, "db", "status", "--vuln-db", db)
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, "PyPI")
	expectCode(t, sluice(t, dir, "db", "status", "--vuln-db", filepath.Join(dir, "none")), 2)
	expectCode(t, sluice(t, dir, "db", "import", filepath.Join(dir, "nothing-here"), "--vuln-db", db), 2)
}

func TestScanJobInPipeline(t *testing.T) {
	t.Parallel()
	dir, _, ghToken := plantedTree(t)
	writeFile(t, dir, "sluice.yaml", "version: 1\njobs:\n  security:\n    scan: [secrets, dockerfile]\n")
	r := sluice(t, dir, "run", "--plain")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, "github-pat")
	if strings.Contains(r.stdout, ghToken) {
		t.Fatalf("the scan job's log shows the token in clear\n%s", r)
	}
	reports, err := filepath.Glob(filepath.Join(dir, ".sluice", "reports", "*", "security.sarif"))
	if err != nil || len(reports) != 1 {
		t.Fatalf("want one SARIF report of the security job, got %v (%v)", reports, err)
	}
	data, err := os.ReadFile(reports[0])
	if err != nil || !strings.Contains(string(data), "aws-access-key-id") {
		t.Fatalf("SARIF report lacks the AWS key finding: %v", err)
	}
}

func TestScanImportsOtherToolsReports(t *testing.T) {
	t.Parallel()
	root, _ := moduleRoot()
	dir := t.TempDir()
	reports := filepath.Join(root, "internal", "scan", "external", "testdata")
	doc, r := scanJSON(t, dir, "--scanners", "secrets",
		"--import", filepath.Join(reports, "bandit", "report.json"),
		"--import", filepath.Join(reports, "zap", "report.json"))
	expectCode(t, r, 0)
	seen := map[string]bool{}
	for _, f := range doc.Findings {
		seen[f.Scanner] = true
	}
	if !seen["bandit"] || !seen["zap"] {
		t.Fatalf("imported findings by scanner: %v\n%s", seen, r)
	}
	imported := 0
	for _, s := range doc.Scanners {
		if strings.HasPrefix(s.Scanner, "import:") && s.Status == "ran" {
			imported++
		}
	}
	if imported != 2 {
		t.Fatalf("want two ran import entries in the health, got %+v", doc.Scanners)
	}
	// A report that is not one gives a failed import and exit 1, not a crash.
	writeFile(t, dir, "junk.json", "{\"not\": \"a report\"}")
	r = sluice(t, dir, "scan", "-q", "--scanners", "secrets", "--import", filepath.Join(dir, "junk.json"))
	expectCode(t, r, 1)
}

func TestSBOMOfAFolder(t *testing.T) {
	t.Parallel()
	dir, _, _ := plantedTree(t)
	r := sluice(t, dir, "sbom")
	expectCode(t, r, 0)
	var bom struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		Components  []struct {
			Name, Version, PURL string
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &bom); err != nil {
		t.Fatalf("sbom is not JSON: %v\n%s", err, r)
	}
	purls := map[string]bool{}
	for _, c := range bom.Components {
		purls[c.PURL] = true
	}
	if bom.BOMFormat != "CycloneDX" || !purls["pkg:pypi/requests@2.25.1"] || !purls["pkg:pypi/flask@2.3.3"] {
		t.Fatalf("sbom: format %q spec %q purls %v", bom.BOMFormat, bom.SpecVersion, purls)
	}
	expectCode(t, sluice(t, dir, "sbom", "--format", "spdx"), 2)
}

func TestGatePerEnvironment(t *testing.T) {
	t.Parallel()
	dir, _, _ := plantedTree(t)
	writeFile(t, dir, "sluice.yaml", `version: 1
jobs:
  security: { scan: [deps] }
environments:
  dev: { gates: { mode: warn, block: high } }
  production: { gates: { mode: block, block: medium, require: [deps, secrets] } }
`)
	report := filepath.Join(dir, "scan.json")
	r := sluice(t, dir, "scan", "-q", "--scanners", "deps", "--vuln-db", vulnDB(t), "--json", report)
	expectCode(t, r, 0)
	// The same findings: dev warns, production blocks and names the
	// finding, the threshold and the scanner that did not run.
	r = sluice(t, dir, "gate", "--env", "dev", "--findings", report)
	expectCode(t, r, 0)
	r = sluice(t, dir, "gate", "--env", "production", "--findings", report)
	expectCode(t, r, 1)
	for _, want := range []string{"BLOCK", "GHSA-j8r2-6x86-q33q", "at or above medium", "secrets"} {
		expectContains(t, r, "stdout", r.stdout, want)
	}
	var doc struct {
		Blocking []struct {
			Finding struct {
				Fingerprint string `json:"fingerprint"`
			} `json:"finding"`
		} `json:"blocking"`
	}
	r = sluice(t, dir, "gate", "--env", "production", "--findings", report, "--format", "json")
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Blocking) == 0 {
		t.Fatalf("gate --format json: %v\n%s", err, r)
	}
	expectCode(t, sluice(t, dir, "gate", "--env", "nope"), 2)
}
