package iac

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/open-policy-agent/opa/v1/ast"
)

// tfBlock is one top-level block of a Terraform module, converted.
type tfBlock struct {
	file  *sourceFile
	block string // resource, data, provider, variable, module, output, locals
	typ   string // resource or data type, provider name
	name  string
	addr  string
	span  span
	text  []byte // the block's source; nil for plans
	attrs map[string]any
	locs  map[string]span
	refs  map[string]bool
}

// parseHCL parses one .tf file and converts its blocks. The error is a
// syntax error naming line and column.
func parseHCL(path string, data []byte) ([]*tfBlock, error) {
	if err := hugeNumbers(path, data); err != nil {
		return nil, err
	}
	file, diags := hclsyntax.ParseConfig(data, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return nil, fmt.Errorf("%s: not native HCL syntax", path)
	}
	src := &sourceFile{path: path, data: data, style: hclComments}
	var out []*tfBlock
	for _, blk := range body.Blocks {
		r := blk.Range()
		b := &tfBlock{file: src, block: blk.Type, span: spanOf(r), text: data[r.Start.Byte:r.End.Byte]}
		switch {
		case (blk.Type == "resource" || blk.Type == "data") && len(blk.Labels) == 2:
			b.typ, b.name = blk.Labels[0], blk.Labels[1]
			b.addr = b.typ + "." + b.name
			if blk.Type == "data" {
				b.addr = "data." + b.addr
			}
		case blk.Type == "provider" && len(blk.Labels) == 1:
			b.typ, b.name = blk.Labels[0], blk.Labels[0]
			b.addr = "provider." + b.typ
		case blk.Type == "variable" && len(blk.Labels) == 1:
			b.name, b.addr = blk.Labels[0], "var."+blk.Labels[0]
		case (blk.Type == "module" || blk.Type == "output") && len(blk.Labels) == 1:
			b.name, b.addr = blk.Labels[0], blk.Type+"."+blk.Labels[0]
		case blk.Type == "locals" && len(blk.Labels) == 0:
			b.addr = "locals"
		default:
			continue // terraform, moved, import, check … and malformed labels
		}
		c := converter{src: data, locs: map[string]span{}, refs: map[string]bool{}}
		b.attrs = c.body(blk.Body, "")
		b.locs, b.refs = c.locs, c.refs
		if b.block == "provider" {
			if alias, ok := b.attrs["alias"].(string); ok && alias != "" {
				b.addr += "." + alias
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// bigExponent finds what may be a number literal with a huge exponent.
var bigExponent = regexp.MustCompile(`[0-9][eE][+-]?[0-9]{5,}`)

// hugeNumbers refuses number literals with exponents of five digits or
// more: HCL computes such numbers exactly, which takes seconds or more
// (1e999999 has a million digits). Terraform would reject them as out of
// range anyway.
func hugeNumbers(path string, data []byte) error {
	if !bigExponent.Match(data) {
		return nil
	}
	tokens, _ := hclsyntax.LexConfig(data, path, hcl.InitialPos)
	for _, tk := range tokens {
		if tk.Type == hclsyntax.TokenNumberLit && bigExponent.Match(tk.Bytes) {
			return fmt.Errorf("malformed HCL: line %d, column %d: number %q is out of range",
				tk.Range.Start.Line, tk.Range.Start.Column, truncateUTF8(string(tk.Bytes), 40))
		}
	}
	return nil
}

// diagError turns HCL error diagnostics into one error: the first with
// its position, and how many more there are.
func diagError(diags hcl.Diagnostics) error {
	errs := diags.Errs()
	first := diags[0]
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			first = d
			break
		}
	}
	msg := first.Summary
	if first.Detail != "" {
		msg += ": " + first.Detail
	}
	if first.Subject != nil {
		msg = fmt.Sprintf("line %d, column %d: %s", first.Subject.Start.Line, first.Subject.Start.Column, msg)
	}
	if len(errs) > 1 {
		msg += fmt.Sprintf(" (and %d more errors)", len(errs)-1)
	}
	return fmt.Errorf("malformed HCL: %s", msg)
}

// moduleDocuments turns the blocks of one module (the .tf files of one
// folder) into policy inputs. Each input is
//
//	{"block": "resource", "type": "aws_s3_bucket", "name": "logs",
//	 "address": "aws_s3_bucket.logs", "file": "main.tf",
//	 "attributes": {…}, "referenced_by": [{block, type, name, address, attributes}, …]}
//
// where referenced_by lists the module's blocks whose expressions refer
// to this one (an aws_s3_bucket_public_access_block naming the bucket).
func moduleDocuments(blocks []*tfBlock) ([]*document, error) {
	attrs := make([]ast.Value, len(blocks))
	summaries := make([]ast.Value, len(blocks))
	byAddr := map[string][]int{}
	for i, b := range blocks {
		v, err := ast.InterfaceToValue(b.attrs)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", b.file.path, b.addr, err)
		}
		attrs[i] = v
		summaries[i] = objectOf("block", b.block, "type", b.typ, "name", b.name, "address", b.addr, "attributes", v)
		byAddr[b.addr] = append(byAddr[b.addr], i)
	}
	referrers := make([][]int, len(blocks))
	for i, b := range blocks {
		for ref := range b.refs {
			for _, j := range byAddr[ref] {
				if j != i {
					referrers[j] = append(referrers[j], i)
				}
			}
		}
	}
	docs := make([]*document, 0, len(blocks))
	for i, b := range blocks {
		if b.block == "locals" || b.block == "output" {
			continue // nothing to check there yet; kept for references
		}
		sort.Slice(referrers[i], func(x, y int) bool {
			return blocks[referrers[i][x]].addr < blocks[referrers[i][y]].addr
		})
		refs := make([]*ast.Term, len(referrers[i]))
		for k, j := range referrers[i] {
			refs[k] = ast.NewTerm(summaries[j])
		}
		input := objectOf("block", b.block, "type", b.typ, "name", b.name, "address", b.addr,
			"file", b.file.path, "attributes", attrs[i], "referenced_by", ast.NewArray(refs...))
		docs = append(docs, &document{
			file: b.file, block: b.block, typ: b.typ, resource: b.addr,
			span: b.span, text: b.text, input: input, locs: b.locs,
		})
	}
	return docs, nil
}

// isTerraformFile says whether a file name is Terraform (or OpenTofu)
// configuration in native syntax.
func isTerraformFile(name string) bool {
	return strings.HasSuffix(name, ".tf") || strings.HasSuffix(name, ".tofu")
}
