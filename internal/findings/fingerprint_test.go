package findings

import (
	"regexp"
	"strings"
	"testing"
)

// weakHash is a toy SAST rule good enough to exercise fingerprints on real
// edits: it reports every line calling md5.New or sha1.New.
var weakHash = regexp.MustCompile(`\b(md5|sha1)\.New\(`)

func scanWeakHash(path, src string) []Finding {
	var out []Finding
	for i, line := range strings.Split(src, "\n") {
		if weakHash.MatchString(line) {
			out = append(out, Finding{Scanner: "toy", RuleID: "G401", Category: SAST,
				Location: Location{Path: path, StartLine: i + 1}, Snippet: line})
		}
	}
	return out
}

const original = `package main

import "crypto/md5"

func sum(b []byte) []byte {
	h := md5.New()
	h.Write(b)
	return h.Sum(nil)
}
`

func TestFingerprintSASTSurvivesUnrelatedEdits(t *testing.T) {
	base := scanWeakHash("cmd/app/hash.go", original)
	if len(base) != 1 {
		t.Fatalf("toy scanner found %d findings, want 1", len(base))
	}
	want := Fingerprint(&base[0])
	if len(want) != 32 || strings.Trim(want, "0123456789abcdef") != "" {
		t.Fatalf("fingerprint %q is not 32 hex digits", want)
	}

	same := map[string]string{
		"lines added above":  strings.Replace(original, "import", "// Package main hashes.\n\n// more\nimport", 1),
		"other code renamed": strings.ReplaceAll(strings.ReplaceAll(original, "sum(", "digest("), "b []byte", "data []byte"),
		"re-indented":        strings.Replace(original, "\th := md5.New()", "        h  :=   md5.New()   ", 1),
		"code added below":   original + "\nfunc other() int { return 42 }\n",
	}
	for name, src := range same {
		got := scanWeakHash("cmd/app/hash.go", src)
		if len(got) != 1 {
			t.Fatalf("%s: %d findings", name, len(got))
		}
		if got[0].Location.StartLine == base[0].Location.StartLine && name == "lines added above" {
			t.Fatalf("%s: the edit did not shift the line", name)
		}
		if fp := Fingerprint(&got[0]); fp != want {
			t.Errorf("%s: fingerprint changed: %s != %s", name, fp, want)
		}
	}

	changed := map[string]struct{ path, src string }{
		"offending code changed": {"cmd/app/hash.go", strings.Replace(original, "h := md5.New()", "hasher := md5.New()", 1)},
		"other algorithm":        {"cmd/app/hash.go", strings.Replace(original, "md5.New()", "sha1.New()", 1)},
		"other file":             {"cmd/tool/hash.go", original},
	}
	for name, c := range changed {
		got := scanWeakHash(c.path, c.src)
		if len(got) != 1 {
			t.Fatalf("%s: %d findings", name, len(got))
		}
		if fp := Fingerprint(&got[0]); fp == want {
			t.Errorf("%s: fingerprint did not change", name)
		}
	}
}

func TestFingerprintKinds(t *testing.T) {
	secret := func(scanner, rule string, line int, hash string) Finding {
		return Finding{Scanner: scanner, RuleID: rule, Category: Secrets, Location: Location{Path: "config/app.env", StartLine: line},
			Snippet: "AWS_KEY=AKIA****", Properties: map[string]string{PropSecretSHA256: hash}}
	}
	dep := func(rule string, aliases []string, eco, pkg, ver string) Finding {
		return Finding{RuleID: rule, Aliases: aliases, Category: Deps,
			Location: Location{Path: "go.sum", StartLine: 3, Package: pkg, Version: ver, Ecosystem: eco}}
	}
	iac := func(rule, resource string, line int) Finding {
		return Finding{RuleID: rule, Category: IaC, Location: Location{Path: "main.tf", StartLine: line, Resource: resource}}
	}
	dast := func(rule, method, u string) Finding {
		return Finding{RuleID: rule, Category: DAST, Location: Location{URL: u, Method: method}}
	}
	tests := []struct {
		name string
		a, b Finding
		same bool
	}{
		{"secret: other scanner, rule and line", secret("secrets", "aws-access-key", 3, "ab12"), secret("gitleaks", "aws-access-token", 9, "AB12"), true},
		{"secret: other value", secret("secrets", "aws-access-key", 3, "ab12"), secret("secrets", "aws-access-key", 3, "cd34"), false},
		{"dep: GHSA vs CVE with alias", dep("GHSA-c3h9-896r-86jm", []string{"CVE-2021-44906"}, "npm", "minimist", "1.2.5"),
			dep("CVE-2021-44906", nil, "npm", "minimist", "1.2.5"), true},
		{"dep: lowest CVE alias", dep("GHSA-aaaa-bbbb-cccc", []string{"CVE-2022-1000", "CVE-2021-99999"}, "npm", "x", "1.0.0"),
			dep("CVE-2021-99999", []string{"CVE-2022-1000"}, "npm", "x", "1.0.0"), true},
		{"dep: ecosystem and name spelling", dep("PYSEC-2021-1", nil, "PyPI", "Django_REST.framework", "3.0"),
			dep("PYSEC-2021-1", nil, "pip", "django-rest-framework", "3.0"), true},
		{"dep: v prefix", dep("GO-2022-0001", nil, "Go", "golang.org/x/net", "v0.7.0"), dep("GO-2022-0001", nil, "golang", "golang.org/x/net", "0.7.0"), true},
		{"dep: other version", dep("CVE-2021-44906", nil, "npm", "minimist", "1.2.5"), dep("CVE-2021-44906", nil, "npm", "minimist", "1.2.6"), false},
		{"dep: other advisory", dep("CVE-2021-44906", nil, "npm", "minimist", "1.2.5"), dep("CVE-2020-7598", nil, "npm", "minimist", "1.2.5"), false},
		{"iac: resource moved in file", iac("CKV_AWS_20", "aws_s3_bucket.logs", 4), iac("CKV_AWS_20", "aws_s3_bucket.logs", 40), true},
		{"iac: other resource", iac("CKV_AWS_20", "aws_s3_bucket.logs", 4), iac("CKV_AWS_20", "aws_s3_bucket.data", 4), false},
		{"iac: other check", iac("CKV_AWS_20", "aws_s3_bucket.logs", 4), iac("CKV_AWS_21", "aws_s3_bucket.logs", 4), false},
		{"dast: query values and host ignored", dast("40012", "get", "http://127.0.0.1:8080/search?q=%3Cscript%3E&page=2"),
			dast("40012", "GET", "https://staging.example/search?page=9&q=hello"), true},
		{"dast: other parameter names", dast("40012", "GET", "/search?q=1"), dast("40012", "GET", "/search?term=1"), false},
		{"dast: other method", dast("40012", "GET", "/search"), dast("40012", "POST", "/search"), false},
		{"dast: other path", dast("40012", "GET", "/search"), dast("40012", "GET", "/find"), false},
		{"sast: path spelling", Finding{RuleID: "G401", Category: SAST, Location: Location{Path: "./a/b.go"}, Snippet: "md5.New()"},
			Finding{RuleID: "G401", Category: SAST, Location: Location{Path: "a/b.go"}, Snippet: "md5.New()"}, true},
		{"sast: tool fingerprint used without a snippet",
			Finding{RuleID: "js/xss", Category: SAST, Location: Location{Path: "a.js", StartLine: 3}, Properties: map[string]string{"fingerprint:primaryLocationLineHash": "abc:1"}},
			Finding{RuleID: "js/xss", Category: SAST, Location: Location{Path: "a.js", StartLine: 9}, Properties: map[string]string{"fingerprint:primaryLocationLineHash": "abc:1"}}, true},
		{"sast: line as last resort", Finding{RuleID: "R", Category: SAST, Location: Location{Path: "a.js", StartLine: 3}},
			Finding{RuleID: "R", Category: SAST, Location: Location{Path: "a.js", StartLine: 4}}, false},
		{"container: image tag ignored",
			Finding{RuleID: "CVE-2023-0286", Category: Container, Location: Location{Image: "ghcr.io/acme/app:1.2", Package: "openssl", Version: "3.0.7", Ecosystem: "Debian:12"}},
			Finding{RuleID: "CVE-2023-0286", Category: Container, Location: Location{Image: "ghcr.io/acme/app:1.3@sha256:0123", Package: "openssl", Version: "3.0.7", Ecosystem: "Debian:12"}}, true},
		{"container: other image",
			Finding{RuleID: "CVE-2023-0286", Category: Container, Location: Location{Image: "acme/app:1", Package: "openssl", Version: "3.0.7"}},
			Finding{RuleID: "CVE-2023-0286", Category: Container, Location: Location{Image: "acme/worker:1", Package: "openssl", Version: "3.0.7"}}, false},
		{"iac without a resource is fingerprinted like code", Finding{RuleID: "R", Category: SAST, Snippet: "x"}, Finding{RuleID: "R", Category: IaC, Snippet: "x"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Fingerprint(&tt.a), Fingerprint(&tt.b)
			if (a == b) != tt.same {
				t.Errorf("fingerprints %s and %s: same = %v, want %v", a, b, a == b, tt.same)
			}
		})
	}
}

func TestAdvisoryID(t *testing.T) {
	tests := []struct {
		id      string
		aliases []string
		want    string
	}{
		{"GHSA-C3H9-896R-86JM", []string{"cve-2021-44906"}, "CVE-2021-44906"},
		{"CVE-2022-1", []string{"CVE-2021-99999", "CVE-2021-100000"}, "CVE-2021-99999"},
		{"GO-2022-0969", []string{"GHSA-69CG-P879-7622"}, "GHSA-69cg-p879-7622"},
		{"PYSEC-2021-9", []string{"OSV-2020-1"}, "OSV-2020-1"},
		{"", nil, ""},
	}
	for _, tt := range tests {
		if got := AdvisoryID(tt.id, tt.aliases); got != tt.want {
			t.Errorf("AdvisoryID(%q, %v) = %q, want %q", tt.id, tt.aliases, got, tt.want)
		}
	}
}

// A fingerprint is a pure function of the finding: pinned so that a
// change of scheme is a deliberate decision (baselines depend on it).
func TestFingerprintIsStable(t *testing.T) {
	f := Finding{RuleID: "G401", Category: SAST, Location: Location{Path: "a.go", StartLine: 7}, Snippet: "h := md5.New()"}
	const want = "e4f63f89face1149037b0071396bb6a6"
	if got := Fingerprint(&f); got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
}

func TestFingerprintIgnoresInlineMarker(t *testing.T) {
	base := Finding{Scanner: "gosec", RuleID: "G401", Category: SAST, Location: Location{Path: "a.go", StartLine: 3},
		Snippet: "\th := md5.New()"}
	want := Fingerprint(&base)
	for _, snippet := range []string{
		"\th := md5.New() // sluice:ignore G401 legacy checksum only",
		"\th := md5.New() //sluice:ignore",
		"\th := md5.New() # gitleaks:allow",
		"\th := md5.New() /* sluice:ignore */",
	} {
		f := base
		f.Snippet = snippet
		if got := Fingerprint(&f); got != want {
			t.Errorf("marker changed the fingerprint: %q", snippet)
		}
	}
	f := base
	f.Snippet = "\th := md5.New() // legacy checksum"
	if Fingerprint(&f) == want {
		t.Error("a plain comment is part of the code context and must count")
	}
}
