package sarif

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture is a representative scan: a finding of every category, one
// reported by two tools, two an inline marker turned off (one with a
// justification of its own), and a scanner that ran clean, one skipped,
// one failed and one that could not read some inputs.
func fixture() ([]findings.Finding, []scan.Health) {
	fs := findings.Merge([]findings.Finding{
		{Scanner: "secrets", RuleID: "aws-access-key-id", Category: findings.Secrets, Severity: findings.Critical,
			Title: "AWS access key ID", Message: "AWS access key ID AKIA************MPLE in deploy/app.env",
			Fix: "Revoke the key, then load it from the environment or a secret store.", CWE: []int{798},
			Location:   findings.Location{Path: "deploy/app.env", StartLine: 2, StartCol: 19, EndCol: 39},
			Snippet:    "AWS_ACCESS_KEY_ID=AKIA************MPLE",
			Properties: map[string]string{findings.PropSecretSHA256: "5c9ae1d2", "redacted": "AKIA************MPLE"}},
		{Scanner: "gitleaks", RuleID: "aws-access-token", Category: findings.Secrets, Severity: findings.High,
			Title: "AWS Access Token", Location: findings.Location{Path: "deploy/app.env", StartLine: 2},
			Properties: map[string]string{findings.PropSecretSHA256: "5c9ae1d2"}},
		{Scanner: "deps", RuleID: "GHSA-c3h9-896r-86jm", Aliases: []string{"CVE-2021-44906"}, Category: findings.Deps,
			Severity: findings.Critical, Title: "Prototype Pollution in minimist", FixedVersion: "1.2.6", CWE: []int{1321},
			Fix: "Upgrade minimist to 1.2.6 or later.", References: []string{"https://osv.example/vulnerability/GHSA-c3h9-896r-86jm"},
			Location: findings.Location{Path: "web/package-lock.json", StartLine: 812, Package: "minimist", Version: "1.2.5", Ecosystem: "npm"}},
		{Scanner: "deps", RuleID: "GO-2023-2102", Category: findings.Deps, Severity: findings.Medium,
			Title: "HTTP/2 rapid reset in golang.org/x/net", FixedVersion: "0.17.0",
			Location: findings.Location{Package: "golang.org/x/net", Version: "v0.7.0", Ecosystem: "Go"}},
		{Scanner: "gosec", RuleID: "G401", Category: findings.SAST, Severity: findings.Medium, RuleName: "WeakCrypto",
			Title: "Use of weak cryptographic primitive", CWE: []int{328}, Snippet: "h := md5.New()",
			Location: findings.Location{Path: "internal/hash.go", StartLine: 30, EndLine: 30, StartCol: 7}},
		{Scanner: "terraform", RuleID: "SLUICE-TF-001", Category: findings.IaC, Severity: findings.High,
			Title: "S3 bucket is publicly readable", Fix: "Set acl to private.", CWE: []int{284},
			References: []string{"CKV_AWS_20", "https://docs.example/checks/s3-public"},
			Location:   findings.Location{Path: "infra/main.tf", StartLine: 4, EndLine: 9, Resource: "aws_s3_bucket.logs"}},
		{Scanner: "zap", RuleID: "40012", Category: findings.DAST, Severity: findings.High,
			Title: "Cross Site Scripting (Reflected)", CWE: []int{79},
			Location:   findings.Location{URL: "http://127.0.0.1:8080/search?q=x", Method: "GET"},
			Properties: map[string]string{findings.PropParameter: "q"}},
		{Scanner: "image", RuleID: "CVE-2023-0286", Category: findings.Container, Severity: findings.Low,
			Title: "openssl: X.400 address type confusion", FixedVersion: "3.0.8-1",
			Location: findings.Location{Image: "ghcr.io/acme/app:1.4", Layer: "sha256:3f4e", Package: "openssl", Version: "3.0.7-1", Ecosystem: "Debian:12"}},
		{Scanner: "eslint", RuleID: "security/detect-eval-with-expression", Category: findings.SAST, Severity: findings.Info,
			Title: "eval with argument of type Identifier", Location: findings.Location{Path: "web/src/my file.js", StartLine: 3},
			Properties: map[string]string{findings.PropToolFingerprint + "primaryLocationLineHash": "7a3c2e1f:1"}},
		{Scanner: "gosec", RuleID: "G404", Category: findings.SAST, Severity: findings.Medium, RuleName: "WeakRandom",
			Title: "Use of weak random number generator", CWE: []int{338}, Snippet: "n := rand.Intn(6) // sluice:ignore G404 dice",
			Location: findings.Location{Path: "internal/game.go", StartLine: 12, EndLine: 12, StartCol: 7}, InlineIgnored: true},
		{Scanner: "eslint", RuleID: "security/detect-object-injection", Category: findings.SAST, Severity: findings.Medium,
			Title: "Generic Object Injection Sink", Location: findings.Location{Path: "web/src/pick.js", StartLine: 5},
			InlineIgnored: true, Properties: map[string]string{PropJustification: "keys come from a fixed list"}},
	})
	health := []scan.Health{
		{Scanner: "secrets", Status: scan.Ran, Files: 120, Findings: 1, Duration: 84 * time.Millisecond},
		{Scanner: "deps", Status: scan.Ran, Files: 2, Packages: 311, Findings: 2, Duration: 1200 * time.Millisecond,
			DBUpdated: time.Date(2025, 11, 20, 3, 0, 0, 0, time.UTC), Partial: true,
			Errors: []scan.InputError{{Path: "api/poetry.lock", Err: "line 3: expected '=' after key"}}},
		{Scanner: "kubernetes", Status: scan.Skipped, Reason: "no Kubernetes manifests in the tree"},
		{Scanner: "terraform", Status: scan.Ran, Files: 3, Findings: 1, Duration: 40 * time.Millisecond},
		{Scanner: "semgrep", Status: scan.Failed, Reason: "semgrep exited with status 2: invalid config"},
		{Scanner: "dockerfile", Status: scan.Ran, Files: 1, Duration: 2 * time.Millisecond},
	}
	return fs, health
}

func writeFixture(t *testing.T) []byte {
	t.Helper()
	fs, health := fixture()
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, fs, health, ToolInfo{Name: "sluice", Version: "0.3.0",
		InformationURI: "https://sluice.example/docs", SourceRoot: "/src/goodbooks"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteSARIFGolden(t *testing.T) {
	golden(t, "write.golden.sarif", writeFixture(t))
}

// The output validates against the official SARIF 2.1.0 schema, formats
// (URIs, dates) included.
func TestWriteSARIFValidatesAgainstSchema(t *testing.T) {
	sch := compileSchema(t)
	out := writeFixture(t)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("SARIF output does not validate:\n%v", err)
	}
	// The empty log too.
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, nil, nil, ToolInfo{}); err != nil {
		t.Fatal(err)
	}
	doc, _ = jsonschema.UnmarshalJSON(&buf)
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("empty SARIF log does not validate:\n%v", err)
	}
	// And the schema is strict enough to catch a broken log.
	var broken map[string]any
	_ = json.Unmarshal(out, &broken)
	run := broken["runs"].([]any)[0].(map[string]any)
	run["results"].([]any)[0].(map[string]any)["level"] = "fatal"
	if err := sch.Validate(broken); err == nil {
		t.Fatal("the schema accepted an invalid level: the validation test proves nothing")
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const loc = "sarif-schema-2.1.0.json"
	if err := c.AddResource(loc, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// What GitHub code scanning reads: rule metadata with a numeric
// security-severity and security tags, one run per tool and category,
// fingerprints on every result.
func TestWriteSARIFForCodeScanning(t *testing.T) {
	var lg struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct {
						ID                   string
						ShortDescription     *struct{ Text string }
						FullDescription      *struct{ Text string }
						Help                 *struct{ Text, Markdown string }
						DefaultConfiguration struct{ Level string }
						Properties           struct {
							Tags             []string
							SecuritySeverity string `json:"security-severity"`
						}
					}
				}
			}
			AutomationDetails struct{ ID string }
			Invocations       []struct {
				ExecutionSuccessful        bool
				ToolExecutionNotifications []struct{ Level string }
			}
			Results []struct {
				RuleID              string
				RuleIndex           int
				Level               string
				PartialFingerprints map[string]string
			}
		}
	}
	if err := json.Unmarshal(writeFixture(t), &lg); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var results, failed, skipped int
	for _, r := range lg.Runs {
		key := r.Tool.Driver.Name + "|" + r.AutomationDetails.ID
		if seen[key] {
			t.Errorf("two runs with tool and category %s", key)
		}
		seen[key] = true
		for _, ru := range r.Tool.Driver.Rules {
			if ru.ShortDescription == nil || ru.FullDescription == nil || ru.Help == nil || ru.DefaultConfiguration.Level == "" {
				t.Errorf("rule %s lacks descriptions, help or level", ru.ID)
			}
			if _, err := strconv.ParseFloat(ru.Properties.SecuritySeverity, 64); err != nil && ru.ID != "security/detect-eval-with-expression" {
				t.Errorf("rule %s: security-severity %q is not a number", ru.ID, ru.Properties.SecuritySeverity)
			}
			if !slices.Contains(ru.Properties.Tags, "security") {
				t.Errorf("rule %s: tags %v lack security", ru.ID, ru.Properties.Tags)
			}
		}
		for _, res := range r.Results {
			results++
			if r.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
				t.Errorf("result %s points at rule %d", res.RuleID, res.RuleIndex)
			}
			if len(res.PartialFingerprints[findings.FingerprintKey]) != 32 {
				t.Errorf("result %s: partialFingerprints %v", res.RuleID, res.PartialFingerprints)
			}
		}
		for _, inv := range r.Invocations {
			if !inv.ExecutionSuccessful {
				failed++
			}
			for _, n := range inv.ToolExecutionNotifications {
				if n.Level == "note" {
					skipped++
				}
			}
		}
	}
	fs, _ := fixture()
	if results != len(fs) || failed != 1 || skipped != 1 {
		t.Errorf("results %d (want %d), failed invocations %d (want 1), skipped %d (want 1)", results, len(fs), failed, skipped)
	}
}

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
