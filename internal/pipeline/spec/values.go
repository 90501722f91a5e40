package spec

import (
	"slices"
	"strconv"

	"github.com/goccy/go-yaml/ast"

	"github.com/sluice-ci/sluice/internal/diag"
)

// str reads a scalar as a string; numbers and booleans keep their spelling.
func (d *decoder) str(v val) string {
	s, ok := scalarText(v.n)
	if !ok {
		d.errorf(v.pos, v.path, "", "expected a string, got %s", kindOf(v.n))
	}
	return s
}

// strItem is one string of a list, with where it was written.
type strItem struct {
	s    string
	idx  int // index in the list
	pos  diag.Pos
	path string
}

// strItems reads a list of strings, leaving out (and reporting) items that
// are not strings. When single is true, one string is accepted as a list of
// one (needs: build), recorded as path[0] too.
func (d *decoder) strItems(v val, single bool) []strItem {
	items, _ := d.strItemsN(v, single)
	return items
}

// strItemsN is strItems plus the length of the list as written.
func (d *decoder) strItemsN(v val, single bool) ([]strItem, int) {
	if single && !isNull(v.n) {
		if s, ok := scalarText(v.n); ok {
			path := v.path + "[0]"
			d.p.SetPos(path, v.pos)
			return []strItem{{s: s, pos: v.pos, path: path}}, 1
		}
	}
	if !isSequence(v.n) && !isNull(v.n) {
		d.errorf(v.pos, v.path, "", "expected a list of strings, got %s", kindOf(v.n))
		return nil, 0
	}
	items, _ := d.list(v)
	out := make([]strItem, 0, len(items))
	for i, it := range items {
		if s, ok := scalarText(it.n); ok && !isNull(it.n) {
			out = append(out, strItem{s: s, idx: i, pos: it.pos, path: it.path})
			continue
		}
		d.errorf(it.pos, it.path, "", "expected a string, got %s", kindOf(it.n))
	}
	return out, len(items)
}

// strList reads a list of strings like strItems. An item that is not a
// string (already reported) becomes "", so indexes still match the
// positions recorded under path[i].
func (d *decoder) strList(v val, single bool) []string {
	items, n := d.strItemsN(v, single)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for _, it := range items {
		out[it.idx] = it.s
	}
	return out
}

// boolean reads true or false.
func (d *decoder) boolean(v val) bool {
	if b, ok := v.n.(*ast.BoolNode); ok {
		return b.Value
	}
	d.errorf(v.pos, v.path, "", "expected true or false, got %s", kindOf(v.n))
	return false
}

// integer reads a whole number within [lo, hi].
func (d *decoder) integer(v val, lo, hi int) int {
	n, ok := v.n.(*ast.IntegerNode)
	if !ok {
		d.errorf(v.pos, v.path, "", "expected a whole number, got %s", kindOf(v.n))
		return 0
	}
	var i int64
	switch x := n.Value.(type) {
	case int64:
		i = x
	case uint64:
		if x > uint64(hi) { // #nosec G115 -- x <= hi, checked above
			i = int64(hi) + 1
		} else {
			i = int64(x) // #nosec G115 -- a YAML int64 kept as written; range checked by the caller
		}
	default:
		d.errorf(v.pos, v.path, "", "expected a whole number")
		return 0
	}
	if i < int64(lo) {
		d.errorf(v.pos, v.path, "", "%s is too small (at least %d)", n.GetToken().Value, lo)
		return 0
	}
	if i > int64(hi) {
		d.errorf(v.pos, v.path, "", "%s is too large (at most %d)", n.GetToken().Value, hi)
		return 0
	}
	return int(i)
}

// intHint reads a whole number within [lo, hi] like integer, and gives
// hint to the diagnostic it reports, saying what the number means.
func (d *decoder) intHint(v val, lo, hi int, hint string) int {
	n := len(d.diags)
	i := d.integer(v, lo, hi)
	for j := n; j < len(d.diags); j++ {
		if d.diags[j].Hint == "" {
			d.diags[j].Hint = hint
		}
	}
	return i
}

// number reads an integer or decimal number.
func (d *decoder) number(v val) float64 {
	switch x := v.n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		f, err := strconv.ParseFloat(x.GetToken().Value, 64)
		if err == nil {
			return f
		}
		switch n := x.(type) {
		case *ast.IntegerNode:
			if i, ok := n.Value.(int64); ok {
				return float64(i)
			}
		case *ast.FloatNode:
			return n.Value
		}
	}
	d.errorf(v.pos, v.path, "", "expected a number, got %s", kindOf(v.n))
	return 0
}

// duration reads a duration such as 90s, 1h30m or 2d.
func (d *decoder) duration(v val) Duration {
	s, ok := scalarText(v.n)
	if !ok || isNull(v.n) {
		d.errorf(v.pos, v.path, `write it like "90s", "10m", "1h30m" or "2d"`, "expected a duration, got %s", kindOf(v.n))
		return 0
	}
	dur, err := ParseDuration(s)
	if err != nil {
		d.errorf(v.pos, v.path, `write it like "90s", "10m", "1h30m" or "2d"`, "invalid duration %q: %v", s, err)
		return 0
	}
	return Duration(dur)
}

// enum reads a string that must be one of choices.
func (d *decoder) enum(v val, what string, choices []string) string {
	s := d.str(v)
	if _, ok := scalarText(v.n); !ok {
		return ""
	}
	if !slices.Contains(choices, s) {
		d.errorf(v.pos, v.path, DidYouMean(s, choices), "unknown %s %q", what, s)
		return ""
	}
	return s
}

// generic converts any YAML value to plain Go values (map[string]any,
// []any, string, int64, float64, bool, nil) for sections that are not
// typed yet.
func (d *decoder) generic(v val, depth int) any {
	if depth > 64 {
		d.errorf(v.pos, v.path, "", "value is nested too deeply")
		return nil
	}
	switch x := v.n.(type) {
	case nil, *ast.NullNode:
		return nil
	case *ast.MappingNode, *ast.MappingValueNode:
		es, _ := d.entries(v, "key")
		m := make(map[string]any, len(es))
		for _, e := range es {
			m[e.key] = d.generic(e.val, depth+1)
		}
		return m
	case *ast.SequenceNode:
		items, _ := d.list(v)
		out := make([]any, 0, len(items))
		for _, it := range items {
			out = append(out, d.generic(it, depth+1))
		}
		return out
	case *ast.IntegerNode:
		return x.Value
	case *ast.FloatNode:
		return x.Value
	case *ast.BoolNode:
		return x.Value
	default:
		s, ok := scalarText(v.n)
		if !ok {
			d.errorf(v.pos, v.path, "", "unsupported value %s", kindOf(v.n))
		}
		return s
	}
}
