package findings

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sample is a scan of a small project by built-in scanners and imported
// tools, with the overlaps Merge must resolve.
func sample() []Finding {
	return []Finding{
		// The same secret found by the built-in scanner and by gitleaks.
		{Scanner: "secrets", RuleID: "aws-access-key-id", Category: Secrets, Severity: High, Title: "AWS access key ID",
			CWE: []int{798}, Location: Location{Path: "deploy/app.env", StartLine: 2, EndLine: 2}, Snippet: "AWS_ACCESS_KEY_ID=AKIA************MPLE",
			Properties: map[string]string{PropSecretSHA256: "5c9a…", "redacted": "AKIA************MPLE"}},
		{Scanner: "gitleaks", RuleID: "aws-access-token", Category: Secrets, Severity: Critical, Title: "AWS Access Token",
			Location: Location{Path: "deploy/app.env", StartLine: 2, StartCol: 19}, References: []string{"https://gitleaks.example/rules/aws"},
			Properties: map[string]string{PropSecretSHA256: "5c9a…", "entropy": "3.9"}},
		// One advisory: OSV id with aliases from the built-in scanner, CVE
		// from Trivy, GHSA without aliases from another tool.
		{Scanner: "deps", RuleID: "GHSA-c3h9-896r-86jm", Aliases: []string{"CVE-2021-44906"}, Category: Deps, Severity: Critical,
			Title: "Prototype Pollution in minimist", FixedVersion: "1.2.6",
			Location: Location{Path: "package-lock.json", Package: "minimist", Version: "1.2.5", Ecosystem: "npm"}},
		{Scanner: "trivy", RuleID: "CVE-2021-44906", Category: Deps, Severity: Critical, Title: "minimist: prototype pollution",
			CWE: []int{1321}, References: []string{"https://nvd.example/CVE-2021-44906"},
			Location: Location{Path: "package-lock.json", Package: "minimist", Version: "1.2.5", Ecosystem: "npm"}},
		{Scanner: "grype", RuleID: "GHSA-c3h9-896r-86jm", Category: Deps, Severity: High,
			Location: Location{Path: "package-lock.json", Package: "minimist", Version: "1.2.5", Ecosystem: "npm"}},
		// The same call on two lines of one file (one reported twice): two
		// occurrences.
		{Scanner: "gosec", RuleID: "G401", Category: SAST, Severity: Medium, Title: "Use of weak cryptographic primitive",
			CWE: []int{328}, Location: Location{Path: "internal/hash.go", StartLine: 30}, Snippet: "h := md5.New()"},
		{Scanner: "gosec", RuleID: "G401", Category: SAST, Severity: Medium, Title: "Use of weak cryptographic primitive",
			CWE: []int{328}, Location: Location{Path: "internal/hash.go", StartLine: 12}, Snippet: "\th := md5.New()"},
		{Scanner: "gosec", RuleID: "G401", Category: SAST, Severity: Medium, Title: "Use of weak cryptographic primitive",
			CWE: []int{328}, Location: Location{Path: "internal/hash.go", StartLine: 12}, Snippet: "\th := md5.New()"},
		// An IaC finding alone.
		{Scanner: "terraform", RuleID: "SLUICE-TF-001", Category: IaC, Severity: High, Title: "S3 bucket is public",
			CWE: []int{284}, Location: Location{Path: "infra/main.tf", StartLine: 4, Resource: "aws_s3_bucket.logs"}},
		// A low DAST finding.
		{Scanner: "zap", RuleID: "10038", Category: DAST, Severity: Low, Title: "Content Security Policy header not set",
			CWE: []int{693}, Location: Location{URL: "http://127.0.0.1:8080/?id=3", Method: "GET"}},
	}
}

func TestMergeGolden(t *testing.T) {
	in := sample()
	before := sample()
	got := Merge(in)
	if diff := cmp.Diff(before, in); diff != "" {
		t.Fatalf("Merge modified its input:\n%s", diff)
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "merge.golden.json", b)

	if len(got) != 6 {
		t.Fatalf("Merge gave %d findings, want 6 (secret, advisory, 2 occurrences, iac, dast)", len(got))
	}
	if diff := cmp.Diff(got, Merge(got)); diff != "" {
		t.Errorf("Merge is not idempotent (-once +twice):\n%s", diff)
	}
	// Input order does not matter.
	rev := sample()
	slices.Reverse(rev)
	if diff := cmp.Diff(got, Merge(rev)); diff != "" {
		t.Errorf("Merge depends on input order:\n%s", diff)
	}
}

func TestMergeFields(t *testing.T) {
	got := Merge(sample())
	byRule := map[string]Finding{}
	for _, f := range got {
		byRule[f.RuleID] = f
	}
	secret := byRule["aws-access-token"]
	if secret.Severity != Critical || len(secret.Sources) != 2 || secret.Sources[0].Scanner != "gitleaks" {
		t.Errorf("secret: severity %v sources %v; want critical from gitleaks and secrets", secret.Severity, secret.Sources)
	}
	if secret.Properties["redacted"] == "" || secret.Properties["entropy"] == "" || !slices.Equal(secret.CWE, []int{798}) {
		t.Errorf("secret: properties %v CWE %v not unioned", secret.Properties, secret.CWE)
	}
	dep := byRule["GHSA-c3h9-896r-86jm"]
	if len(dep.Sources) != 3 || dep.FixedVersion != "1.2.6" || !slices.Equal(dep.Aliases, []string{"CVE-2021-44906"}) {
		t.Errorf("advisory: sources %v fixed %q aliases %v", dep.Sources, dep.FixedVersion, dep.Aliases)
	}
	want := Finding{RuleID: "CVE-2021-44906", Category: Deps, Location: Location{Package: "minimist", Version: "1.2.5", Ecosystem: "npm"}}
	if dep.Fingerprint != Fingerprint(&want) {
		t.Errorf("advisory fingerprint %s is not the CVE-based one", dep.Fingerprint)
	}
	if !slices.Equal(dep.OWASP2021, []string{"A06:2021"}) || !slices.Equal(dep.CWE, []int{1321}) {
		t.Errorf("advisory OWASP2021 = %v CWE = %v, want A06:2021 (component) and CWE-1321 from trivy", dep.OWASP2021, dep.CWE)
	}
	var occ []Finding
	for _, f := range got {
		if f.RuleID == "G401" {
			occ = append(occ, f)
		}
	}
	if len(occ) != 2 || occ[0].Location.StartLine != 12 || occ[1].Location.StartLine != 30 || occ[0].Fingerprint == occ[1].Fingerprint {
		t.Fatalf("occurrences: %+v", occ)
	}
	if occ[0].Fingerprint != Fingerprint(&occ[0]) {
		t.Errorf("first occurrence lost its plain fingerprint")
	}
}

// A second tool reporting both occurrences agrees place by place, and
// shifting every line keeps the fingerprints.
func TestMergeOccurrencesAcrossTools(t *testing.T) {
	mk := func(scanner string, lines ...int) []Finding {
		var fs []Finding
		for _, l := range lines {
			fs = append(fs, Finding{Scanner: scanner, RuleID: "G401", Category: SAST, Severity: Medium,
				Location: Location{Path: "a.go", StartLine: l}, Snippet: "md5.New()"})
		}
		return fs
	}
	got := Merge(append(mk("gosec", 5, 9), mk("sast", 9, 5)...))
	if len(got) != 2 {
		t.Fatalf("got %d findings, want 2 occurrences", len(got))
	}
	for _, f := range got {
		if len(f.Sources) != 2 {
			t.Errorf("line %d: sources %v, want gosec and sast", f.Location.StartLine, f.Sources)
		}
	}
	shifted := Merge(append(mk("gosec", 15, 19), mk("sast", 19, 15)...))
	for i := range got {
		if got[i].Fingerprint != shifted[i].Fingerprint {
			t.Errorf("occurrence %d: fingerprint changed after a line shift", i)
		}
	}
}

// A marker on a line turns the problem off for every tool reporting it
// there, and for no other occurrence; marking changes no fingerprint.
func TestMergeInlineIgnored(t *testing.T) {
	secret := func(scanner, rule string, ignored bool) Finding {
		return Finding{Scanner: scanner, RuleID: rule, Category: Secrets, Severity: High,
			Location: Location{Path: "app.env", StartLine: 3}, InlineIgnored: ignored,
			Properties: map[string]string{PropSecretSHA256: "9f86d081"}}
	}
	call := func(line int, ignored bool) Finding {
		return Finding{Scanner: "gosec", RuleID: "G401", Category: SAST, Severity: Medium,
			Location: Location{Path: "a.go", StartLine: line}, Snippet: "md5.New()", InlineIgnored: ignored}
	}
	tests := []struct {
		name string
		in   []Finding
		want map[string]bool // "path:line" -> InlineIgnored
	}{
		{"one tool marked, the other not", []Finding{secret("secrets", "generic-secret", true), secret("gitleaks", "generic-api-key", false)},
			map[string]bool{"app.env:3": true}},
		{"both marked", []Finding{secret("secrets", "generic-secret", true), secret("gitleaks", "generic-api-key", true)},
			map[string]bool{"app.env:3": true}},
		{"none marked", []Finding{secret("secrets", "generic-secret", false), secret("gitleaks", "generic-api-key", false)},
			map[string]bool{"app.env:3": false}},
		{"a marker stays on its occurrence", []Finding{call(5, false), call(9, true)},
			map[string]bool{"a.go:5": false, "a.go:9": true}},
		{"two tools, one occurrence marked", []Finding{call(5, false), call(9, true),
			{Scanner: "semgrep", RuleID: "G401", Category: SAST, Severity: Medium, Location: Location{Path: "a.go", StartLine: 9}, Snippet: "md5.New()"},
			{Scanner: "semgrep", RuleID: "G401", Category: SAST, Severity: Medium, Location: Location{Path: "a.go", StartLine: 5}, Snippet: "md5.New()"}},
			map[string]bool{"a.go:5": false, "a.go:9": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Merge(tt.in)
			have := map[string]bool{}
			for _, f := range got {
				have[f.Location.String()] = f.InlineIgnored
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("InlineIgnored by place (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(got, Merge(got)); diff != "" {
				t.Errorf("not idempotent (-once +twice):\n%s", diff)
			}
			rev := slices.Clone(tt.in)
			slices.Reverse(rev)
			if diff := cmp.Diff(got, Merge(rev)); diff != "" {
				t.Errorf("depends on input order:\n%s", diff)
			}
			// The same findings, none marked, merge to the same fingerprints.
			plain := slices.Clone(tt.in)
			for i := range plain {
				plain[i].InlineIgnored = false
			}
			unmarked := Merge(plain)
			if len(unmarked) != len(got) {
				t.Fatalf("%d findings unmarked, %d marked", len(unmarked), len(got))
			}
			for i := range got {
				if got[i].Fingerprint != unmarked[i].Fingerprint {
					t.Errorf("%s: marking changes the fingerprint", got[i].Location)
				}
			}
		})
	}
}

func TestMergeOrder(t *testing.T) {
	in := []Finding{
		{RuleID: "b", Category: SAST, Severity: Low, Location: Location{Path: "a.go", StartLine: 1}, Snippet: "1"},
		{RuleID: "a", Category: SAST, Severity: High, Location: Location{Path: "b.go", StartLine: 9}, Snippet: "2"},
		{RuleID: "a", Category: SAST, Severity: High, Location: Location{Path: "b.go", StartLine: 3}, Snippet: "3"},
		{RuleID: "a", Category: IaC, Severity: High, Location: Location{Path: "z.tf", StartLine: 1}, Snippet: "4"},
		{RuleID: "z", Category: Deps, Severity: Critical, Location: Location{Package: "p"}},
	}
	var got []string
	for _, f := range Merge(in) {
		got = append(got, f.Snippet+f.Location.Package)
	}
	if want := []string{"p", "4", "3", "2", "1"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if Merge(nil) == nil || len(Merge(nil)) != 0 {
		t.Errorf("Merge(nil) should be an empty, non-nil slice")
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
