package spec

import (
	"fmt"
	"slices"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/sluice-ci/sluice/internal/diag"
)

// Limits that keep hostile input (alias bombs, self-referencing anchors)
// from costing more than a large honest file would.
const (
	maxNodes      = 200_000 // resolved nodes visited in one document
	maxAliasChain = 64      // alias -> anchor -> alias ... hops
)

// decoder walks a YAML node tree into a Pipeline, collecting diagnostics.
type decoder struct {
	file    string
	p       *Pipeline
	diags   diag.Diagnostics
	anchors map[string][]anchorDef
	visited int
	tooBig  bool
}

// anchorDef is one &name in the document; an alias refers to the last
// anchor of that name defined before it.
type anchorDef struct {
	offset int
	node   ast.Node
}

// val is a resolved YAML value: anchors, aliases and tags are looked
// through. pos is where the value was written (for an alias, the alias).
type val struct {
	n    ast.Node
	pos  diag.Pos
	path string
}

// entry is one key of a mapping.
type entry struct {
	key    string
	keyPos diag.Pos
	val
}

// errorf records an error at pos for the field path.
func (d *decoder) errorf(pos diag.Pos, path, hint, format string, args ...any) {
	d.add(diag.Error, pos, path, hint, format, args...)
}

func (d *decoder) add(sev diag.Severity, pos diag.Pos, path, hint, format string, args ...any) {
	d.diags = append(d.diags, diag.Diagnostic{
		Severity: sev,
		Summary:  fmt.Sprintf(format, args...),
		Hint:     hint,
		Path:     path,
		File:     d.file,
		Line:     pos.Line,
		Col:      pos.Col,
	})
}

// nodePos is where n starts. It never calls GetToken on node kinds whose
// GetToken can dereference a nil child.
func nodePos(n ast.Node) diag.Pos {
	switch v := n.(type) {
	case nil:
		return diag.Pos{}
	case *ast.DocumentNode:
		if v.Body != nil {
			return nodePos(v.Body)
		}
		return diag.Pos{}
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 {
			return nodePos(v.Values[0])
		}
		return tokenPos(v.Start)
	case *ast.MappingValueNode:
		if v.Key != nil {
			return nodePos(v.Key)
		}
		return tokenPos(v.Start)
	case *ast.MappingKeyNode:
		return tokenPos(v.Start)
	case *ast.SequenceNode:
		return tokenPos(v.Start)
	case *ast.AnchorNode:
		return tokenPos(v.Start)
	case *ast.AliasNode:
		return tokenPos(v.Start)
	case *ast.TagNode:
		return tokenPos(v.Start)
	case *ast.LiteralNode:
		return tokenPos(v.Start)
	default:
		return tokenPos(n.GetToken())
	}
}

// resolve looks through anchors, aliases and tags. Unresolvable aliases and
// over-long chains become a null value after a diagnostic.
func (d *decoder) resolve(n ast.Node, path string) val {
	v := val{n: n, pos: nodePos(n), path: path}
	for hops := 0; ; hops++ {
		if hops > maxAliasChain {
			d.errorf(v.pos, path, "", "alias chain is too long")
			v.n = nil
			return v
		}
		switch x := v.n.(type) {
		case *ast.AnchorNode:
			v.n = x.Value
		case *ast.TagNode:
			v.n = x.Value
		case *ast.MappingKeyNode:
			v.n = x.Value
		case *ast.AliasNode:
			target := d.lookupAlias(x)
			if target == nil {
				d.errorf(v.pos, path, "define the anchor (&name) before using it", "unknown alias %s", aliasName(x))
			}
			v.n = target
		default:
			d.visited++
			if d.visited > maxNodes {
				if !d.tooBig {
					d.tooBig = true
					d.errorf(v.pos, path, "", "document is too large once aliases are expanded (more than %d values)", maxNodes)
				}
				v.n = nil
			}
			return v
		}
	}
}

func aliasName(a *ast.AliasNode) string {
	if s, ok := a.Value.(*ast.StringNode); ok {
		return "*" + s.Value
	}
	return "*?"
}

func (d *decoder) lookupAlias(a *ast.AliasNode) ast.Node {
	s, ok := a.Value.(*ast.StringNode)
	if !ok || a.Start == nil || a.Start.Position == nil {
		return nil
	}
	defs := d.anchors[s.Value]
	var found ast.Node
	for _, def := range defs {
		if def.offset < a.Start.Position.Offset {
			found = def.node
		}
	}
	return found
}

// collectAnchors records every anchor in the tree, in document order.
func (d *decoder) collectAnchors(n ast.Node, depth int) {
	if depth > 10_000 {
		return
	}
	switch x := n.(type) {
	case *ast.DocumentNode:
		d.collectAnchors(x.Body, depth+1)
	case *ast.MappingNode:
		for _, mv := range x.Values {
			d.collectAnchors(mv, depth+1)
		}
	case *ast.MappingValueNode:
		d.collectAnchors(x.Key, depth+1)
		d.collectAnchors(x.Value, depth+1)
	case *ast.MappingKeyNode:
		d.collectAnchors(x.Value, depth+1)
	case *ast.SequenceNode:
		for _, it := range x.Values {
			d.collectAnchors(it, depth+1)
		}
	case *ast.TagNode:
		d.collectAnchors(x.Value, depth+1)
	case *ast.AnchorNode:
		if name, ok := x.Name.(*ast.StringNode); ok && x.Start != nil && x.Start.Position != nil {
			if d.anchors == nil {
				d.anchors = map[string][]anchorDef{}
			}
			d.anchors[name.Value] = append(d.anchors[name.Value], anchorDef{offset: x.Start.Position.Offset, node: x.Value})
		}
		d.collectAnchors(x.Value, depth+1)
	}
}

// kindOf names the YAML type of a resolved node for messages.
func kindOf(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	default:
		return "an unsupported value"
	}
}

func isNull(n ast.Node) bool {
	switch n.(type) {
	case nil, *ast.NullNode:
		return true
	}
	return false
}

func isMapping(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

// scalarText returns a scalar as written (numbers and booleans keep their
// spelling, so PORT: 8080 is "8080"). ok is false for collections.
func scalarText(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case nil, *ast.NullNode:
		return "", true
	case *ast.StringNode:
		return x.Value, true
	case *ast.LiteralNode:
		if x.Value == nil {
			return "", true
		}
		return x.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := x.GetToken(); tk != nil {
			return tk.Value, true
		}
		return "", true
	}
	return "", false
}

// mappingValues returns the key/value pairs of a mapping node.
func mappingValues(n ast.Node) []*ast.MappingValueNode {
	switch x := n.(type) {
	case *ast.MappingNode:
		return x.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{x}
	}
	return nil
}

// entries reads a mapping: keys as strings, merge keys (<<) applied,
// duplicates reported (noun names what a key is: "key", "job id"), and the
// position of every entry recorded. A null value is an empty mapping. ok is
// false when v is not a mapping (already reported).
func (d *decoder) entries(v val, noun string) ([]entry, bool) {
	if isNull(v.n) {
		return nil, true
	}
	if !isMapping(v.n) {
		d.errorf(v.pos, v.path, "", "expected a mapping, got %s", kindOf(v.n))
		return nil, false
	}
	return d.mapEntries(v, noun, 0), true
}

func (d *decoder) mapEntries(v val, noun string, depth int) []entry {
	pairs := mappingValues(v.n)
	// Resolve every key once, so explicit keys are known before merging.
	keys := make([]string, len(pairs))
	keyOK := make([]bool, len(pairs))
	explicit := map[string]bool{}
	for i, mv := range pairs {
		if mv == nil || isMergeKey(mv.Key) {
			continue
		}
		kn := d.resolveKey(mv.Key)
		keys[i], keyOK[i] = scalarText(kn)
		if keyOK[i] {
			explicit[keys[i]] = true
		} else {
			d.errorf(nodePos(mv.Key), v.path, "", "keys must be strings, got %s", kindOf(kn))
		}
	}
	var out []entry
	seen := map[string]diag.Pos{}
	for i, mv := range pairs {
		if mv == nil {
			continue
		}
		if isMergeKey(mv.Key) {
			for _, e := range d.merged(mv, v.path, noun, depth) {
				if explicit[e.key] {
					continue
				}
				if _, dup := seen[e.key]; dup {
					continue // an earlier merged mapping wins
				}
				seen[e.key] = e.keyPos
				out = append(out, e)
			}
			continue
		}
		if !keyOK[i] {
			continue
		}
		keyPos, key := nodePos(mv.Key), keys[i]
		path := joinPath(v.path, key)
		if first, dup := seen[key]; dup {
			d.errorf(keyPos, path, fmt.Sprintf("first defined at line %d", first.Line), "duplicate %s %q", noun, key)
			continue
		}
		seen[key] = keyPos
		e := entry{key: key, keyPos: keyPos, val: d.resolve(mv.Value, path)}
		if mv.Value == nil {
			e.pos = keyPos
		}
		out = append(out, e)
	}
	for _, e := range out {
		pos := e.keyPos
		if _, scalar := scalarText(e.n); scalar && !isNull(e.n) {
			pos = e.pos
		}
		d.p.SetPos(e.path, pos)
	}
	return out
}

func (d *decoder) resolveKey(k ast.MapKeyNode) ast.Node {
	if k == nil {
		return nil
	}
	return d.resolve(k, "").n
}

func isMergeKey(k ast.MapKeyNode) bool {
	_, ok := k.(*ast.MergeKeyNode)
	return ok
}

// merged returns the entries a merge key (<<) brings in: one mapping or a
// list of mappings, earlier ones winning.
func (d *decoder) merged(mv *ast.MappingValueNode, path, noun string, depth int) []entry {
	if depth > maxAliasChain {
		d.errorf(nodePos(mv.Key), path, "", "merge keys are nested too deeply")
		return nil
	}
	src := d.resolve(mv.Value, path)
	var maps []val
	switch {
	case isMapping(src.n):
		maps = []val{src}
	case isSequence(src.n):
		for _, it := range src.n.(*ast.SequenceNode).Values {
			maps = append(maps, d.resolve(it, path))
		}
	default:
		d.errorf(src.pos, path, "", "merge key (<<) expects a mapping or a list of mappings, got %s", kindOf(src.n))
		return nil
	}
	var out []entry
	for _, m := range maps {
		if !isMapping(m.n) {
			d.errorf(m.pos, path, "", "merge key (<<) expects a mapping, got %s", kindOf(m.n))
			continue
		}
		out = append(out, d.mapEntries(m, noun, depth+1)...)
	}
	return out
}

func isSequence(n ast.Node) bool {
	_, ok := n.(*ast.SequenceNode)
	return ok
}

// object reads a mapping of a known kind (see knownKeys), reporting unknown
// keys with a did-you-mean hint and leaving them out of the result.
func (d *decoder) object(v val, kind string) ([]entry, bool) {
	es, ok := d.entries(v, "key")
	if !ok {
		return nil, false
	}
	return d.known(es, kind), true
}

// known reports entries whose keys are not known for kind, with a
// did-you-mean hint, and returns the others.
func (d *decoder) known(es []entry, kind string) []entry {
	known := knownKeys[kind]
	out := es[:0]
	for _, e := range es {
		if !slices.Contains(known, e.key) {
			d.errorf(e.keyPos, e.path, DidYouMean(e.key, known), "unknown key %q", e.key)
			continue
		}
		out = append(out, e)
	}
	return out
}

// list reads a sequence; null is an empty list. Each item's position is
// recorded under path[i].
func (d *decoder) list(v val) ([]val, bool) {
	if isNull(v.n) {
		return nil, true
	}
	seq, ok := v.n.(*ast.SequenceNode)
	if !ok {
		d.errorf(v.pos, v.path, "", "expected a list, got %s", kindOf(v.n))
		return nil, false
	}
	out := make([]val, 0, len(seq.Values))
	for i, it := range seq.Values {
		item := d.resolve(it, fmt.Sprintf("%s[%d]", v.path, i))
		d.p.SetPos(item.path, item.pos)
		out = append(out, item)
	}
	return out, true
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

func tokenPos(tk *token.Token) diag.Pos {
	if tk == nil || tk.Position == nil {
		return diag.Pos{}
	}
	return diag.Pos{Line: tk.Position.Line, Col: tk.Position.Column}
}
