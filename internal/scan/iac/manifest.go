package iac

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// chunk is one YAML document of a multi-document file.
type chunk struct {
	data []byte
	// line is the file line of the chunk's first line.
	line int
}

// splitDocuments cuts a YAML stream at its document markers: a line that
// is "---" or "..." (alone or followed by a space or tab). A marker at the
// start of a line always ends a document in YAML, even inside a block
// scalar, so the cut is exact. Chunks with nothing but blank lines and
// comments are dropped.
func splitDocuments(data []byte) []chunk {
	var out []chunk
	start, startLine := 0, 1
	line := 1
	emit := func(end int) {
		if hasContent(data[start:end]) {
			out = append(out, chunk{data: data[start:end], line: startLine})
		}
	}
	for i := 0; i <= len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data) + 1
		if end >= 0 {
			end += i
			next = end + 1
		} else {
			end = len(data)
		}
		l := data[i:end]
		if isMarker(l, "---") || isMarker(l, "...") {
			emit(i)
			// Content after "--- " on the marker line belongs to the next document.
			if rest := bytes.TrimSpace(l[3:]); isMarker(l, "---") && len(rest) > 0 && rest[0] != '#' {
				start, startLine = i+3, line
			} else {
				start, startLine = next, line+1
			}
			if start > len(data) {
				start = len(data)
			}
		}
		i = next
		line++
	}
	emit(len(data))
	return out
}

func isMarker(l []byte, m string) bool {
	l = bytes.TrimRight(l, "\r")
	if !bytes.HasPrefix(l, []byte(m)) {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t'
}

// hasContent says whether a chunk holds anything but blank lines,
// comments and directives.
func hasContent(b []byte) bool {
	for len(b) > 0 {
		var l []byte
		l, b, _ = bytes.Cut(b, []byte("\n"))
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' && t[0] != '%' {
			return true
		}
	}
	return false
}

// yaml11Bools are the plain scalars YAML 1.1 reads as booleans. Kubernetes
// reads manifests with YAML 1.1 rules, so "privileged: yes" is true there
// and must be here.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// yamlLine matches the "line N" of the parser's errors.
var yamlLine = regexp.MustCompile(`line (\d+)`)

// maxAliasExpansion caps the number of nodes aliases may expand to in one
// document, against "billion laughs" inputs.
const maxAliasExpansion = 100_000

// yamlValue converts one parsed document into Go values (map[string]any,
// []any, string, bool, int64, uint64, float64, nil) and records the line
// of every mapping value and sequence element by path key. Lines are
// offset by off (the chunk's first line minus one).
type yamlValue struct {
	locs map[string]span
	off  int
	// anchors holds the converted value of each anchored node and the
	// number of nodes it stands for, aliases expanded.
	anchors map[*yaml.Node]anchored
	budget  int
}

type anchored struct {
	value any
	size  int
}

// parseChunk parses one document of a manifest file; its value is nil
// when the document is empty.
func parseChunk(c chunk) (any, map[string]span, span, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(c.data, &doc); err != nil {
		return nil, nil, span{}, yamlError(c, err)
	}
	conv := &yamlValue{locs: map[string]span{}, off: c.line - 1, anchors: map[*yaml.Node]anchored{}, budget: maxAliasExpansion}
	end := c.line + bytes.Count(bytes.TrimRight(c.data, " \t\r\n"), []byte("\n"))
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil, span{c.line, max(end, c.line)}, nil
	}
	body := doc.Content[0]
	val, err := conv.node(body, "")
	if err != nil {
		return nil, nil, span{}, err
	}
	first := body.Line + conv.off
	if body.Line == 0 || first > end {
		first = c.line
	}
	return val, conv.locs, span{first, max(end, first)}, nil
}

// yamlError names the file line in a parse error.
func yamlError(c chunk, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = yamlLine.ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(m[len("line "):])
		return "line " + strconv.Itoa(n+c.line-1)
	})
	return fmt.Errorf("malformed YAML: %s", msg)
}

// node converts n, recording its children's positions under key.
func (y *yamlValue) node(n *yaml.Node, key string) (any, error) {
	if y.budget--; y.budget < 0 {
		return nil, errors.New("document too large after alias expansion")
	}
	switch n.Kind {
	case yaml.ScalarNode:
		v := scalar(n)
		if n.Anchor != "" {
			y.anchors[n] = anchored{v, 1}
		}
		return v, nil
	case yaml.AliasNode:
		a, ok := y.anchors[n.Alias]
		if !ok || n.Alias == nil {
			return nil, fmt.Errorf("line %d: alias *%s used before its anchor is complete", n.Line+y.off, n.Value)
		}
		if y.budget -= a.size; y.budget < 0 {
			return nil, errors.New("document too large after alias expansion")
		}
		return a.value, nil
	case yaml.MappingNode, yaml.SequenceNode:
		before := y.budget
		var v any
		var err error
		if n.Kind == yaml.MappingNode {
			v, err = y.mapping(n, key)
		} else {
			v, err = y.sequence(n, key)
		}
		if err != nil {
			return nil, err
		}
		if n.Anchor != "" {
			y.anchors[n] = anchored{v, before - y.budget}
		}
		return v, nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return y.node(n.Content[0], key)
	}
	return nil, nil
}

func (y *yamlValue) sequence(n *yaml.Node, key string) (any, error) {
	out := make([]any, 0, len(n.Content))
	for i, e := range n.Content {
		k := joinKey(key, strconv.Itoa(i))
		y.record(k, e.Line)
		v, err := y.node(e, k)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// mapping converts mapping entries; a merge key (<<) adds the entries of
// the mapping it names without overriding explicit ones.
func (y *yamlValue) mapping(n *yaml.Node, key string) (any, error) {
	out := make(map[string]any, len(n.Content)/2)
	var merged []map[string]any
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind == yaml.ScalarNode && kn.Tag == "!!merge" {
			v, err := y.node(vn, key)
			if err != nil {
				return nil, err
			}
			switch v := v.(type) {
			case map[string]any:
				merged = append(merged, v)
			case []any:
				for _, e := range v {
					if m, ok := e.(map[string]any); ok {
						merged = append(merged, m)
					}
				}
			}
			continue
		}
		if kn.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: a mapping key must be a scalar", kn.Line+y.off)
		}
		name := kn.Value
		k := joinKey(key, name)
		y.record(k, kn.Line)
		v, err := y.node(vn, k)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	for _, m := range merged {
		for k, v := range m {
			if _, ok := out[k]; !ok {
				out[k] = v
			}
		}
	}
	return out, nil
}

// scalar resolves a scalar the way Kubernetes reads it: numbers and
// booleans by their resolved tag (plus YAML 1.1's yes/no/on/off for plain
// scalars), values JSON cannot hold (.inf, .nan, timestamps, binary) as
// their text.
func scalar(n *yaml.Node) any {
	plain := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle|yaml.TaggedStyle) == 0
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		return strings.EqualFold(n.Value, "true")
	case "!!int":
		v := strings.ReplaceAll(n.Value, "_", "")
		if strings.HasPrefix(v, "0o") || strings.HasPrefix(v, "-0o") || strings.HasPrefix(v, "+0o") {
			v = strings.Replace(v, "0o", "0", 1)
		}
		if i, err := strconv.ParseInt(v, 0, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(v, 0, 64); err == nil {
			return u
		}
		return n.Value
	case "!!float":
		if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
		return n.Value
	case "!!str":
		if plain {
			if b, ok := yaml11Bools[n.Value]; ok {
				return b
			}
		}
	}
	return n.Value
}

func (y *yamlValue) record(key string, line int) {
	if _, ok := y.locs[key]; !ok && line > 0 {
		y.locs[key] = span{line + y.off, line + y.off}
	}
}
