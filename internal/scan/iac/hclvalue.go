package iac

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// UnknownKey marks a value sluice cannot know without running Terraform:
// a variable, a reference to another resource, or a function of them.
// Such a value is the object {"__unknown__": "<the expression's source>"},
// so that a policy comparing it with a literal never matches it.
const UnknownKey = "__unknown__"

// maxUnknownText is how much of an expression's source an unknown marker
// keeps.
const maxUnknownText = 200

// evalFuncs are the pure Terraform functions a literal expression may
// call; a call of any other function is unknown.
var evalFuncs = map[string]function.Function{
	"jsonencode": stdlib.JSONEncodeFunc,
	"jsondecode": stdlib.JSONDecodeFunc,
	"lower":      stdlib.LowerFunc,
	"upper":      stdlib.UpperFunc,
	"concat":     stdlib.ConcatFunc,
	"merge":      stdlib.MergeFunc,
	"join":       stdlib.JoinFunc,
	"format":     stdlib.FormatFunc,
	"tostring":   stdlib.MakeToFunc(cty.String),
	"tonumber":   stdlib.MakeToFunc(cty.Number),
	"tobool":     stdlib.MakeToFunc(cty.Bool),
	"tolist":     stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"toset":      stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
	"tomap":      stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
}

// evalCtx has functions and no variables: any reference fails to evaluate.
var evalCtx = &hcl.EvalContext{Functions: evalFuncs}

// converter turns an HCL body into a JSON-like value, recording the
// line span of every attribute, block and element by path key, and the
// addresses the body refers to.
type converter struct {
	src  []byte
	locs map[string]span
	refs map[string]bool
}

func spanOf(r hcl.Range) span { return span{start: r.Start.Line, end: r.End.Line} }

// body converts a block's body: attributes by name, nested blocks as a
// list per block type (dynamic blocks contribute their content).
func (c *converter) body(b *hclsyntax.Body, prefix string) map[string]any {
	out := make(map[string]any, len(b.Attributes)+len(b.Blocks))
	for name, attr := range b.Attributes {
		key := joinKey(prefix, name)
		c.locs[key] = spanOf(attr.SrcRange)
		c.references(attr.Expr)
		out[name] = c.value(attr.Expr, key)
	}
	for _, blk := range b.Blocks {
		typ, content, iterator := blk.Type, blk.Body, ""
		if typ == "dynamic" && len(blk.Labels) == 1 {
			typ, content, iterator = blk.Labels[0], dynamicContent(blk.Body), c.iterator(blk)
			for _, a := range blk.Body.Attributes {
				c.references(a.Expr)
			}
			if content == nil {
				continue
			}
		}
		list, isList := out[typ].([]any)
		if _, taken := out[typ]; taken && !isList {
			continue // an attribute of the same name wins
		}
		key := joinKey(prefix, typ+"."+strconv.Itoa(len(list)))
		c.locs[key] = spanOf(blk.Range())
		before := c.refs
		if iterator != "" {
			c.refs = map[string]bool{}
		}
		m := c.body(content, key)
		if iterator != "" {
			// References to the iterator (rule.value) are not addresses.
			for r := range c.refs {
				if !strings.HasPrefix(r, iterator+".") {
					before[r] = true
				}
			}
			c.refs = before
		}
		if len(blk.Labels) > 0 && blk.Type != "dynamic" {
			m["__labels__"] = stringsToAny(blk.Labels)
		}
		out[typ] = append(list, m)
	}
	return out
}

// iterator is the name a dynamic block's content uses for the current
// element: the iterator attribute, else the block's label.
func (c *converter) iterator(blk *hclsyntax.Block) string {
	if a, ok := blk.Body.Attributes["iterator"]; ok {
		if tr, diags := hcl.AbsTraversalForExpr(a.Expr); !diags.HasErrors() {
			return tr.RootName()
		}
	}
	return blk.Labels[0]
}

// dynamicContent returns the content block of a dynamic block.
func dynamicContent(b *hclsyntax.Body) *hclsyntax.Body {
	for _, blk := range b.Blocks {
		if blk.Type == "content" {
			return blk.Body
		}
	}
	return nil
}

// references records the resources, data sources, variables, locals and
// modules an expression refers to, by address.
func (c *converter) references(e hclsyntax.Expression) {
	for _, tr := range e.Variables() {
		if addr := traversalAddress(tr); addr != "" {
			c.refs[addr] = true
		}
	}
}

// traversalAddress names what a reference points at: var.x, local.x,
// module.x, data.t.n or t.n; "" for each.key, count.index, self, path …
func traversalAddress(tr hcl.Traversal) string {
	root := tr.RootName()
	names := []string{root}
	for _, step := range tr[1:] {
		a, ok := step.(hcl.TraverseAttr)
		if !ok {
			break
		}
		names = append(names, a.Name)
	}
	need := 2
	switch root {
	case "count", "each", "self", "path", "terraform":
		return ""
	case "data":
		need = 3
	}
	if len(names) < need {
		return ""
	}
	return strings.Join(names[:need], ".")
}

// value converts an expression: literals, and what can be computed from
// literals with evalFuncs, become plain values; tuples and objects are
// converted element by element, so one reference inside does not hide
// the rest; anything else is an unknown marker.
func (c *converter) value(e hclsyntax.Expression, key string) any {
	switch e := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		return ctyToGo(e.Val, e)
	case *hclsyntax.TemplateWrapExpr:
		return c.value(e.Wrapped, key)
	case *hclsyntax.TupleConsExpr:
		out := make([]any, len(e.Exprs))
		for i, x := range e.Exprs {
			k := joinKey(key, strconv.Itoa(i))
			c.locs[k] = spanOf(x.Range())
			out[i] = c.value(x, k)
		}
		return out
	case *hclsyntax.ObjectConsExpr:
		out := make(map[string]any, len(e.Items))
		for _, item := range e.Items {
			kv, diags := item.KeyExpr.Value(nil)
			if diags.HasErrors() || !kv.IsKnown() || kv.IsNull() || kv.Type() != cty.String {
				continue
			}
			name := kv.AsString()
			k := joinKey(key, name)
			c.locs[k] = spanOf(hcl.RangeBetween(item.KeyExpr.Range(), item.ValueExpr.Range()))
			out[name] = c.value(item.ValueExpr, k)
		}
		return out
	case *hclsyntax.FunctionCallExpr:
		if e.Name == "jsonencode" && len(e.Args) == 1 && !e.ExpandFinal {
			if v, ok := c.literal(e); ok {
				return v
			}
			// Keep the known parts: a policy document naming Action "*"
			// is a finding even when its Resource is a reference.
			b, err := json.Marshal(c.value(e.Args[0], key))
			if err == nil {
				return string(b)
			}
		}
	}
	if v, ok := c.literal(e); ok {
		return v
	}
	return c.unknown(e)
}

// literal evaluates e without variables.
func (c *converter) literal(e hclsyntax.Expression) (v any, ok bool) {
	defer func() {
		if recover() != nil { // a function given odd literals: treat as unknown
			v, ok = nil, false
		}
	}()
	val, diags := e.Value(evalCtx)
	if diags.HasErrors() || !val.IsWhollyKnown() {
		return nil, false
	}
	return ctyToGo(val, e), true
}

// unknown is the marker for e.
func (c *converter) unknown(e hclsyntax.Expression) map[string]any {
	r := e.Range()
	text := ""
	if r.Start.Byte >= 0 && r.End.Byte <= len(c.src) && r.Start.Byte <= r.End.Byte {
		text = string(c.src[r.Start.Byte:r.End.Byte])
	}
	if len(text) > maxUnknownText {
		text = truncateUTF8(text, maxUnknownText) + "…"
	}
	return map[string]any{UnknownKey: text}
}

// ctyToGo converts a cty value to the Go values OPA reads: nil, bool,
// string, int64 or float64, []any and map[string]any. An unknown part
// becomes an unknown marker naming e.
func ctyToGo(v cty.Value, e hclsyntax.Expression) any {
	v, _ = v.Unmark()
	if !v.IsKnown() {
		return map[string]any{UnknownKey: "(known after apply)"}
	}
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		return bigToGo(v.AsBigFloat())
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			out = append(out, ctyToGo(ev, e))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			out[k.AsString()] = ctyToGo(ev, e)
		}
		return out
	}
	return map[string]any{UnknownKey: "(value of type " + t.FriendlyName() + ")"}
}

// bigToGo returns an int64 when the number is a whole one that fits,
// else a float64.
func bigToGo(f *big.Float) any {
	if f.IsInf() {
		return f.String()
	}
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return i
		}
	}
	x, _ := f.Float64()
	if math.IsInf(x, 0) {
		return f.Text('g', 10) // too large for JSON numbers: keep the text
	}
	return x
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// truncateUTF8 cuts s to at most n bytes on a character boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
