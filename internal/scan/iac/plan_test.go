package iac

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlanJSON scans `terraform show -json` output, pretty-printed under
// the .tfplan.json name and on one line under a neutral name: resources
// of the root and child modules, references from the configuration (the
// public access block of the bucket), providers and variables.
func TestPlanJSON(t *testing.T) {
	fs, h := runScanner(t, NewTerraform(Options{}), "testdata/terraform/plan")
	if h.Files != 2 || len(h.Errors) > 0 {
		t.Errorf("health %+v", h)
	}
	byFile := map[string][]string{}
	for _, f := range fs {
		byFile[f.Location.Path] = append(byFile[f.Location.Path], f.Location.Resource+" "+f.RuleID)
		if f.Location.Path == "app.tfplan.json" {
			// Pretty-printed: the finding is on the line naming the resource.
			data := readTestFile(t, "testdata/terraform/plan/app.tfplan.json")
			line := strings.Split(data, "\n")[f.Location.StartLine-1]
			name := f.Location.Resource
			name = strings.TrimPrefix(strings.TrimPrefix(name, "provider."), "var.")
			if !strings.Contains(line, fmt.Sprintf("%q", name)) {
				t.Errorf("%s %s at line %d: %q", f.Location.Resource, f.RuleID, f.Location.StartLine, line)
			}
		} else if f.Location.StartLine != 1 || f.Snippet != "" {
			t.Errorf("one-line plan: %s at line %d with snippet %q", f.RuleID, f.Location.StartLine, f.Snippet)
		}
	}
	want := []string{
		"aws_ebs_volume.data[0] tf-aws-ebs-unencrypted",
		"aws_iam_policy.admin tf-aws-iam-wildcard-policy",
		"aws_s3_bucket.logs tf-aws-s3-no-encryption",
		"aws_security_group.ssh tf-aws-sg-public-ingress",
		"data.aws_iam_policy_document.admin tf-aws-iam-wildcard-policy",
		"module.db.aws_db_instance.this tf-aws-rds-public",
		"provider.aws tf-provider-hardcoded-credentials",
		"var.db_password tf-variable-secret-default",
	}
	for _, file := range []string{"app.tfplan.json", "show.json"} {
		got := byFile[file]
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", file, diff)
		}
	}
}

func TestBaseAddress(t *testing.T) {
	for in, want := range map[string]string{
		"aws_x.y":                          "aws_x.y",
		"aws_x.y[0]":                       "aws_x.y",
		`module.m["a]b"].aws_x.y["k"]`:     "module.m.aws_x.y",
		`module.m[0].module.n[1].data.t.n`: "module.m.module.n.data.t.n",
	} {
		if got := baseAddress(in); got != want {
			t.Errorf("baseAddress(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"aws_s3_bucket.b.id": "aws_s3_bucket.b", "data.x.y.json": "data.x.y", "var.v": "var.v",
		"each.value": "", "count.index": "", "local": "",
	} {
		if got := referenceAddress(in); got != want {
			t.Errorf("referenceAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
