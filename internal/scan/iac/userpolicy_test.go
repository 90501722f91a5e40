package iac

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// TestUserPolicies loads a team's own checks next to the built-in ones.
func TestUserPolicies(t *testing.T) {
	opts := Options{PolicyDirs: []string{"testdata/policies/custom"}}
	var got []string
	var all []findings.Finding
	for _, s := range []scan.Scanner{NewTerraform(opts), NewKubernetes(opts)} {
		fs, h := runScanner(t, s, "testdata/policytree")
		if len(h.Errors) > 0 {
			t.Errorf("%s: %+v", s.Name(), h.Errors)
		}
		all = append(all, fs...)
	}
	for _, f := range all {
		if strings.HasPrefix(f.RuleID, "acme-") {
			got = append(got, located([]findings.Finding{f})[0])
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(expectations(t, "testdata/policytree"), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, f := range all {
		if f.RuleID == "acme-aws-owner-tag" && (f.Severity != findings.Low || !slices.Equal(f.CWE, []int{1059}) || f.Fix == "") {
			t.Errorf("metadata not carried: %+v", f)
		}
	}
}

// writePolicy writes one policy file into a new folder.
func writePolicy(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBadPolicies checks that a policy folder that cannot be used fails
// the scanner with a reason naming the problem, never a silent skip.
func TestBadPolicies(t *testing.T) {
	const head = "package sluice.terraform.x\nimport rego.v1\n"
	const meta = `metadata := {"id": "x-check", "title": "X", "severity": "low"}` + "\n"
	cases := []struct{ name, src, want string }{
		{"syntax error", head + "deny contains msg if {\n", "rego_parse_error"},
		{"rego v0 syntax", "package sluice.terraform.x\n" + meta + "deny[msg] { msg := \"x\" }\n", "p.rego"},
		{"no metadata", head + "deny contains \"x\" if true\n", "no metadata rule"},
		{"bad id", head + `metadata := {"id": "X_1", "title": "X", "severity": "low"}` + "\ndeny contains \"x\" if true\n", "want lowercase words"},
		{"bad severity", head + `metadata := {"id": "x-check", "title": "X", "severity": "urgent"}` + "\ndeny contains \"x\" if true\n", "unknown severity"},
		{"bad cwe", head + `metadata := {"id": "x-check", "title": "X", "severity": "low", "cwe": "injection"}` + "\ndeny contains \"x\" if true\n", "cwe"},
		{"id taken by a built-in check", head + `metadata := {"id": "tf-aws-s3-public-acl", "title": "X", "severity": "low"}` + "\ndeny contains \"x\" if true\n", "already used"},
		{"network access", head + meta + "deny contains x if { x := http.send({\"method\": \"get\", \"url\": \"http://example.com\"}) }\n", "http.send"},
		{"environment access", head + meta + "deny contains x if { x := opa.runtime().env.HOME }\n", "opa.runtime"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewTerraform(Options{PolicyDirs: []string{writePolicy(t, tc.src)}})
			h, err := s.Scan(context.Background(), &scan.Target{Root: "testdata/terraform/clean"}, func(findings.Finding) {})
			if err == nil || h.Status != scan.Failed || !strings.Contains(h.Reason, tc.want) {
				t.Errorf("got %v, health %+v; want a failure naming %q", err, h, tc.want)
			}
		})
	}
	for _, dir := range []string{filepath.Join(t.TempDir(), "missing"), t.TempDir()} {
		s := NewKubernetes(Options{PolicyDirs: []string{dir}})
		if _, err := s.Scan(context.Background(), &scan.Target{Root: "testdata/kubernetes/clean"}, func(findings.Finding) {}); err == nil {
			t.Errorf("policy folder %s: no error", dir)
		}
	}
}

// TestPolicyRuntimeError checks that a check failing at run time on an
// input is an input error, and the other checks still report.
func TestPolicyRuntimeError(t *testing.T) {
	dir := writePolicy(t, `package sluice.terraform.conflict
import rego.v1
metadata := {"id": "x-conflict", "title": "X", "severity": "low"}
v := 1 if input.type
v := 2 if input.type
deny contains "never" if v == 3
`)
	fs, h := runScanner(t, NewTerraform(Options{PolicyDirs: []string{dir}}), "testdata/terraform/insecure")
	if len(fs) < 20 || len(h.Errors) == 0 || !h.Partial {
		t.Fatalf("%d findings, health %+v", len(fs), h)
	}
	for _, e := range h.Errors {
		if !strings.Contains(e.Err, "x-conflict") || !strings.HasSuffix(e.Path, ".tf") {
			t.Errorf("error %+v", e)
		}
	}
}
