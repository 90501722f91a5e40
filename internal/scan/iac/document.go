package iac

import (
	"bytes"

	"github.com/open-policy-agent/opa/v1/ast"
)

// span is a range of lines, 1-based and inclusive.
type span struct{ start, end int }

// document is one input of the policies: a Terraform block or planned
// resource, or one Kubernetes object.
type document struct {
	file *sourceFile
	// block, typ and kind are what check selectors match: the Terraform
	// block type (resource, data, provider, variable …) and resource type,
	// or the Kubernetes kind.
	block, typ, kind string
	// resource names it in findings: aws_s3_bucket.logs, Deployment/web.
	resource string
	span     span
	// text is the document's source, for check keywords; nil lets every
	// check run (plans, whose resources are not contiguous text).
	text  []byte
	input ast.Value
	// locs maps attribute path keys ("ingress.0.cidr_blocks") to lines.
	locs map[string]span
	// skip lists the checks turned off for the whole document by an
	// annotation (Kubernetes), by check id or alias; "*" turns all off.
	skip map[string]bool
}

// locate finds the lines of the attribute at path, or of its nearest
// ancestor that has a position, or else the whole document.
func (d *document) locate(path []any) span {
	for n := len(path); n > 0; n-- {
		if s, ok := d.locs[pathKey(path[:n])]; ok && s.start > 0 {
			return s
		}
	}
	return d.span
}

// commentStyle says how a file format writes comments.
type commentStyle int

const (
	hashComments commentStyle = iota // YAML
	hclComments                      // #, // and /* */
	noComments                       // JSON
)

// sourceFile is a scanned file: its path and lines, for snippets and
// inline ignore markers.
type sourceFile struct {
	path    string
	data    []byte
	style   commentStyle
	lineIdx []int // byte offset of each line's start; built on first use
	markers int   // 0 unknown, 1 the file has inline ignore markers, 2 none
}

// markerWords are the words every inline ignore marker contains.
var markerWords = [][]byte{[]byte("sluice:ignore"), []byte("checkov:skip"), []byte("tfsec:ignore"), []byte("trivy:ignore")}

// hasMarkers says whether the file holds any inline ignore marker, so
// that files without one (most) skip the line-by-line look.
func (f *sourceFile) hasMarkers() bool {
	if f.markers == 0 {
		f.markers = 2
		for _, w := range markerWords {
			if bytes.Contains(f.data, w) {
				f.markers = 1
				break
			}
		}
	}
	return f.markers == 1
}

// line returns line n (1-based) without its newline; nil when out of range.
func (f *sourceFile) line(n int) []byte {
	if f.lineIdx == nil {
		f.lineIdx = append(f.lineIdx, 0)
		for i, b := range f.data {
			if b == '\n' {
				f.lineIdx = append(f.lineIdx, i+1)
			}
		}
	}
	if n < 1 || n > len(f.lineIdx) {
		return nil
	}
	start := f.lineIdx[n-1]
	end := len(f.data)
	if n < len(f.lineIdx) {
		end = f.lineIdx[n] - 1
	}
	if start > end {
		return nil
	}
	return bytes.TrimRight(f.data[start:end], "\r")
}

// lineCount is the number of lines of the file.
func (f *sourceFile) lineCount() int {
	f.line(1)
	return len(f.lineIdx)
}

// isComment says whether line n holds only a comment.
func (f *sourceFile) isComment(n int) bool {
	t := bytes.TrimSpace(f.line(n))
	switch f.style {
	case hashComments:
		return bytes.HasPrefix(t, []byte("#"))
	case hclComments:
		return bytes.HasPrefix(t, []byte("#")) || bytes.HasPrefix(t, []byte("//")) ||
			bytes.HasPrefix(t, []byte("/*")) || bytes.HasPrefix(t, []byte("*"))
	}
	return false
}

// maxSnippetLines caps a finding's snippet.
const maxSnippetLines = 12

// maxSnippetLine caps one line of a snippet, in bytes.
const maxSnippetLine = 240

// snippet returns lines s.start..s.end, capped.
func (f *sourceFile) snippet(s span) string {
	if f.style == noComments && s.start == s.end && len(f.line(s.start)) > maxSnippetLine {
		return "" // a one-line JSON plan: no useful snippet
	}
	var b bytes.Buffer
	end := min(s.end, s.start+maxSnippetLines-1)
	for n := s.start; n <= end; n++ {
		l := f.line(n)
		if len(l) > maxSnippetLine {
			l = append([]byte(truncateUTF8(string(l), maxSnippetLine)), "…"...)
		}
		if n > s.start {
			b.WriteByte('\n')
		}
		b.Write(l)
	}
	if end < s.end {
		b.WriteString("\n…")
	}
	return b.String()
}

// objectOf builds an OPA object from string keys and values.
func objectOf(kv ...any) ast.Value {
	items := make([][2]*ast.Term, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		var v *ast.Term
		switch x := kv[i+1].(type) {
		case string:
			v = ast.StringTerm(x)
		case ast.Value:
			v = ast.NewTerm(x)
		case int:
			v = ast.IntNumberTerm(x)
		}
		items = append(items, [2]*ast.Term{ast.StringTerm(kv[i].(string)), v})
	}
	return ast.NewObject(items...)
}
