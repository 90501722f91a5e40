package iac

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// writeTree writes files (relative path -> content) under a new folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const openBucket = "resource \"aws_s3_bucket\" \"b\" {\n  acl = \"public-read\"\n}\n"

const privilegedPod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: a:1\n      securityContext: {privileged: true}\n"

// TestBadInputs scans a tree with broken, binary, huge and templated
// files: each is an input error (or counted as skipped), and the rest is
// still scanned.
func TestBadInputs(t *testing.T) {
	root := writeTree(t, map[string]string{
		"main.tf":                         openBucket,
		"broken/bad.tf":                   "resource \"aws_s3_bucket\" \"b\" {\n  acl = \n}\n",
		"broken/good.tf":                  openBucket,
		"binary/x.tf":                     "resource \x00\n",
		"huge/big.tf":                     openBucket + strings.Repeat("# padding\n", 2000),
		".terraform/modules/m/main.tf":    openBucket,
		"plans/bad.tfplan.json":           `{"planned_values": [`,
		"plans/package.json":              `{"name": "x"}`,
		"plans/other.json":                `{"resource_changes": 5}`,
		"k8s/pod.yaml":                    privilegedPod,
		"k8s/bad.yaml":                    privilegedPod + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: [\n",
		"k8s/chart/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
		"k8s/workflow.yml":                "name: ci\non: push\n",
		"k8s/binary.yaml":                 "apiVersion: v1\nkind: Pod\x00",
	})
	opts := Options{MaxFileSize: 4096}

	tfFound, h := runScanner(t, NewTerraform(opts), root)
	errs := map[string]string{}
	for _, e := range h.Errors {
		errs[e.Path] = e.Err
		if strings.Contains(e.Err, root) {
			t.Errorf("%s: error repeats the absolute path: %s", e.Path, e.Err)
		}
	}
	for path, want := range map[string]string{
		"broken/bad.tf":         "line 2, column",
		"binary/x.tf":           "binary",
		"huge/big.tf":           "too large",
		"plans/bad.tfplan.json": "malformed plan JSON",
		"plans/other.json":      "malformed plan JSON",
	} {
		if !strings.Contains(errs[path], want) {
			t.Errorf("%s: error %q, want one containing %q", path, errs[path], want)
		}
	}
	if len(errs) != 5 || !h.Partial || h.Status != scan.Ran {
		t.Errorf("health %+v", h)
	}
	if diff := cmp.Diff([]string{"broken/good.tf:2 tf-aws-s3-public-acl", "main.tf:2 tf-aws-s3-public-acl"}, only(tfFound, "tf-aws-s3-public-acl")); diff != "" {
		t.Errorf("terraform (-want +got):\n%s", diff)
	}

	k8sFound, h := runScanner(t, NewKubernetes(opts), root)
	if len(h.Errors) != 1 || h.Errors[0].Path != "k8s/bad.yaml" || !strings.Contains(h.Errors[0].Err, "line 12:") {
		t.Errorf("errors %+v", h.Errors)
	}
	if !strings.Contains(h.Reason, "skipped 1 templated") || h.Files != 2 {
		t.Errorf("health %+v", h)
	}
	want := []string{"k8s/bad.yaml:8 k8s-privileged-container", "k8s/pod.yaml:8 k8s-privileged-container"}
	if diff := cmp.Diff(want, only(k8sFound, "k8s-privileged-container")); diff != "" {
		t.Errorf("kubernetes (-want +got):\n%s", diff)
	}
}

// only keeps the findings of one rule, as "path:line rule".
func only(fs []findings.Finding, rule string) []string {
	var out []string
	for _, s := range located(fs) {
		if strings.HasSuffix(s, " "+rule) {
			out = append(out, s)
		}
	}
	return out
}

// TestTargetFiles uses the target's file list instead of walking.
func TestTargetFiles(t *testing.T) {
	root := writeTree(t, map[string]string{"a/main.tf": openBucket, "b/main.tf": openBucket, "p.yaml": privilegedPod})
	s := NewTerraform(Options{})
	var got []string
	h, err := s.Scan(context.Background(), &scan.Target{Root: root, Files: []string{"b/main.tf", "gone/main.tf"}},
		func(f findings.Finding) { got = append(got, f.Location.Path) })
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if p != "b/main.tf" {
			t.Errorf("finding in %s, not in the file list", p)
		}
	}
	if h.Files != 2 || len(h.Errors) != 1 || h.Errors[0].Path != "gone/main.tf" {
		t.Errorf("health %+v", h)
	}
}

func TestApplies(t *testing.T) {
	cases := []struct {
		files      map[string]string
		tf, k8s    bool
		whyTF, why string
	}{
		{map[string]string{"main.tf": ""}, true, false, "", "no YAML files"},
		{map[string]string{"show.json": `{"planned_values": {}}`, "c.yaml": "a: 1\n"}, true, false, "", "no Kubernetes objects"},
		{map[string]string{"package.json": `{"planned_values": {}}`, "p.yaml": privilegedPod}, false, true, "no Terraform files", ""},
		{map[string]string{"README.md": "x"}, false, false, "no Terraform files", "no YAML files"},
	}
	for i, tc := range cases {
		root := writeTree(t, tc.files)
		target := &scan.Target{Root: root}
		ok, why := NewTerraform(Options{}).Applies(context.Background(), target)
		if ok != tc.tf || !strings.Contains(why, tc.whyTF) {
			t.Errorf("%d: terraform applies %v (%q)", i, ok, why)
		}
		ok, why = NewKubernetes(Options{}).Applies(context.Background(), target)
		if ok != tc.k8s || !strings.Contains(why, tc.why) {
			t.Errorf("%d: kubernetes applies %v (%q)", i, ok, why)
		}
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h, err := NewKubernetes(Options{}).Scan(ctx, &scan.Target{Root: "testdata/kubernetes/insecure"}, func(findings.Finding) {})
	if err == nil || h.Status != scan.Failed {
		t.Errorf("got %v, %+v", err, h)
	}
}

// TestFindingFields checks what a finding carries besides its line.
func TestFindingFields(t *testing.T) {
	fs, _ := runScanner(t, NewTerraform(Options{}), "testdata/terraform/insecure")
	var acl *findings.Finding
	for i := range fs {
		if fs[i].RuleID == "tf-aws-s3-public-acl" && fs[i].Location.Resource == "aws_s3_bucket.assets" {
			acl = &fs[i]
		}
	}
	if acl == nil {
		t.Fatal("no ACL finding on aws_s3_bucket.assets")
	}
	want := findings.Finding{
		Scanner: "terraform", RuleID: "tf-aws-s3-public-acl", RuleName: "S3 bucket ACL grants public access",
		Category: findings.IaC, Severity: findings.High, Title: "S3 bucket ACL grants public access",
		Message:    `aws_s3_bucket.assets has the "public-read" ACL: anyone on the internet can list and read its objects`,
		CWE:        []int{284},
		Location:   findings.Location{Path: "s3.tf", StartLine: 10, EndLine: 10, Resource: "aws_s3_bucket.assets"},
		Snippet:    `  acl = "public-read"`,
		Fix:        acl.Fix,
		Aliases:    []string{"CKV_AWS_20", "CKV_AWS_57", "AVD-AWS-0092", "aws-s3-no-public-access-with-acl"},
		References: []string{"https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl"},
		Sources:    []findings.Source{{Scanner: "terraform", RuleID: "tf-aws-s3-public-acl"}},
		Properties: map[string]string{"checkov": "CKV_AWS_20,CKV_AWS_57", "tfsec": "aws-s3-no-public-access-with-acl",
			"avd": "AVD-AWS-0092", "attribute": "acl"},
	}
	if diff := cmp.Diff(want, *acl); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A block-level finding spans the block.
	for _, f := range fs {
		if f.RuleID == "tf-aws-ebs-unencrypted" && f.Location.Resource == "aws_ebs_volume.data" {
			if f.Location.StartLine != 18 || f.Location.EndLine != 21 || !strings.HasPrefix(f.Snippet, `resource "aws_ebs_volume" "data" {`) {
				t.Errorf("block finding %+v", f.Location)
			}
		}
	}
}

// TestMarkerKeepsTheFinding checks that a marker turns a finding into the
// same finding marked InlineIgnored: same rule, place and fingerprint.
func TestMarkerKeepsTheFinding(t *testing.T) {
	for _, tc := range []struct {
		name           string
		scanner        scan.Scanner
		file           string
		plain, marked  string
		wantRule       string
		wantMarkedLine int
	}{
		{"terraform marker above the block", NewTerraform(Options{}), "main.tf",
			openBucket, "# sluice:ignore tf-aws-s3-public-acl\n" + openBucket, "tf-aws-s3-public-acl", 3},
		{"terraform marker on the line", NewTerraform(Options{}), "main.tf",
			openBucket, strings.Replace(openBucket, "\"public-read\"", "\"public-read\" # sluice:ignore", 1), "tf-aws-s3-public-acl", 2},
		{"kubernetes annotation", NewKubernetes(Options{}), "pod.yaml",
			privilegedPod, strings.Replace(privilegedPod, "{name: p}", "{name: p, annotations: {sluice.dev/ignore: k8s-privileged-container}}", 1),
			"k8s-privileged-container", 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pick := func(content string) findings.Finding {
				t.Helper()
				fs, _ := runScanner(t, tc.scanner, writeTree(t, map[string]string{tc.file: content}))
				for _, f := range fs {
					if f.RuleID == tc.wantRule {
						return f
					}
				}
				t.Fatalf("no %s finding in\n%s", tc.wantRule, content)
				return findings.Finding{}
			}
			p, m := pick(tc.plain), pick(tc.marked)
			if p.InlineIgnored || !m.InlineIgnored {
				t.Errorf("InlineIgnored %v without the marker, %v with it", p.InlineIgnored, m.InlineIgnored)
			}
			if m.Location.StartLine != tc.wantMarkedLine {
				t.Errorf("marked finding at line %d, want %d", m.Location.StartLine, tc.wantMarkedLine)
			}
			if findings.Fingerprint(&p) != findings.Fingerprint(&m) {
				t.Errorf("the marker changes the fingerprint:\nplain  %+v\nmarked %+v", p, m)
			}
			if p.Severity != m.Severity || p.Title != m.Title || p.Location.Resource != m.Location.Resource {
				t.Errorf("the marker changes the finding:\nplain  %+v\nmarked %+v", p, m)
			}
		})
	}
}
