package iac

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHCLValues checks the conversion of expressions to policy input:
// literals and functions of literals are values, references are unknown
// markers, and tuples and objects keep their known parts.
func TestHCLValues(t *testing.T) {
	src := `resource "t" "n" {
  s      = "x"
  n      = 3
  f      = 1.5
  b      = true
  null   = null
  list   = ["a", var.b]
  obj    = { k = "v", "quoted key" = 1, (var.k) = 2 }
  tmpl   = "${var.env}-logs"
  lit    = "${"a"}b"
  heredoc = <<-EOT
    text
  EOT
  up     = upper("abc")
  json   = jsonencode({ Action = "*", Resource = aws_s3_bucket.b.arn })
  cond   = var.x ? "a" : "b"
  big    = 1e400
  nested {
    inner = "i"
  }
  nested {
    inner = local.l
  }
  dynamic "rule" {
    for_each = var.rules
    content {
      port = rule.value
    }
  }
}
`
	blocks, err := parseHCL("m.tf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := blocks[0].attrs
	unknown := func(s string) map[string]any { return map[string]any{UnknownKey: s} }
	want := map[string]any{
		"s": "x", "n": int64(3), "f": 1.5, "b": true, "null": nil,
		"list":    []any{"a", unknown("var.b")},
		"obj":     map[string]any{"k": "v", "quoted key": int64(1)},
		"tmpl":    unknown(`"${var.env}-logs"`),
		"lit":     "ab",
		"heredoc": "text\n",
		"up":      "ABC",
		"json":    `{"Action":"*","Resource":{"__unknown__":"aws_s3_bucket.b.arn"}}`,
		"cond":    unknown(`var.x ? "a" : "b"`),
		"big":     "1e+400",
		"nested":  []any{map[string]any{"inner": "i"}, map[string]any{"inner": unknown("local.l")}},
		"rule":    []any{map[string]any{"port": unknown("rule.value")}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	refs := blocks[0].refs
	for _, r := range []string{"var.b", "var.env", "var.x", "var.rules", "local.l", "aws_s3_bucket.b", "var.k"} {
		if !refs[r] {
			t.Errorf("reference %s not recorded: %v", r, refs)
		}
	}
	if len(refs) != 7 {
		t.Errorf("references %v", refs)
	}
	for key, line := range map[string]int{"list.1": 7, "nested.1": 21, "nested.1.inner": 22, "rule.0": 24, "rule.0.port": 27, "obj.quoted key": 8} {
		if got := blocks[0].locs[key].start; got != line {
			t.Errorf("line of %s: %d, want %d", key, got, line)
		}
	}
}

func TestTopLevelBlocks(t *testing.T) {
	src := `terraform {
  required_version = ">= 1.5"
}
provider "aws" {
  alias = "west"
}
variable "v" {}
module "m" {
  source = "./m"
}
locals {
  a = 1
}
output "o" {
  value = local.a
}
data "aws_caller_identity" "me" {}
resource "only_one_label" {}
`
	blocks, err := parseHCL("m.tf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range blocks {
		got = append(got, b.block+" "+b.addr)
	}
	want := []string{"provider provider.aws.west", "variable var.v", "module module.m", "locals locals", "output output.o", "data data.aws_caller_identity.me"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	docs, err := moduleDocuments(blocks)
	if err != nil || len(docs) != 4 {
		t.Errorf("%d documents, %v; want 4 (locals and outputs are not checked)", len(docs), err)
	}
}

// TestSplitDocuments checks the cut of a YAML stream into documents.
func TestSplitDocuments(t *testing.T) {
	src := "# head comment\n---\na: 1\n--- # c\nb: 2\n...\n---\n\n# only a comment\n--- c: 3\nd: |\n  --- not a marker (indented)\n----\ne: 4\n"
	var got []string
	for _, c := range splitDocuments([]byte(src)) {
		got = append(got, string(c.data)+"@"+string(rune('0'+c.line)))
	}
	want := []string{"a: 1\n@3", "b: 2\n@5", " c: 3\nd: |\n  --- not a marker (indented)\n----\ne: 4\n@:"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestManifestValues checks YAML conversion: anchors, merge keys, tags,
// number and boolean keys, and lines of nested fields.
func TestManifestValues(t *testing.T) {
	src := `apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: &labels
    app: web
  annotations:
    <<: *labels
    extra: !!str 1
spec:
  containers:
    - name: c
      ports:
        - containerPort: 80
      env: [{name: A, value: "1"}]
  nodeSelector:
    1: yes
    true: x
`
	docs, err := manifestDocuments("p.yaml", []byte(src))
	if err != nil || len(docs) != 1 {
		t.Fatalf("%d documents, %v", len(docs), err)
	}
	d := docs[0]
	if d.resource != "Pod/p" || d.span != (span{1, 18}) {
		t.Errorf("resource %s, span %+v", d.resource, d.span)
	}
	for key, line := range map[string]int{
		"metadata.annotations.extra": 9, "spec.containers.0": 12, "spec.containers.0.ports.0.containerPort": 14,
		"spec.containers.0.env.0.value": 15, "spec.nodeSelector.1": 17,
	} {
		if got := d.locs[key].start; got != line {
			t.Errorf("line of %s: %d, want %d", key, got, line)
		}
	}
	got := d.input.String()
	for _, want := range []string{`"annotations": {"app": "web", "extra": "1"}`, `"nodeSelector": {"1": true, "true": "x"}`} {
		if !strings.Contains(got, want) {
			t.Errorf("input lacks %s:\n%s", want, got)
		}
	}
}

// TestAliasBomb checks that a "billion laughs" document is refused
// instead of expanded.
func TestAliasBomb(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h"} {
		src += n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = n
	}
	_, err := manifestDocuments("bomb.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "alias expansion") {
		t.Errorf("got %v", err)
	}
}

// TestHugeNumber checks that a number HCL would take seconds to compute
// is refused, and that such text in a string is not.
func TestHugeNumber(t *testing.T) {
	if _, err := parseHCL("m.tf", []byte("resource \"a\" \"b\" {\n  n = jsonencode(1e999999)\n}\n")); err == nil ||
		!strings.Contains(err.Error(), "line 2, column 18") {
		t.Errorf("got %v", err)
	}
	if _, err := parseHCL("m.tf", []byte("resource \"a\" \"b\" {\n  s = \"1e999999\"\n}\n")); err != nil {
		t.Errorf("string: %v", err)
	}
}
