package expr

import (
	"slices"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Refs returns the context paths an expression reads, such as
// [needs build outputs version] or [matrix go]. Only paths written with
// constant names are returned (needs.build.result, needs["my-job"].result);
// a path that is a prefix of another one is left out. A condition may be
// wrapped in ${{ }}.
func Refs(src string) ([][]string, error) {
	tree, err := parser.Parse(rewriteCalls(unwrap(src)))
	if err != nil {
		return nil, cleanError(err)
	}
	var all [][]string
	ast.Walk(&tree.Node, visitor(func(n ast.Node) {
		if chain, ok := memberChain(n); ok && !isFunc(chain) {
			all = append(all, chain)
		}
	}))
	var out [][]string
	for i, c := range all {
		prefix := false
		for j, o := range all {
			if i != j && len(o) > len(c) && slices.Equal(o[:len(c)], c) {
				prefix = true
				break
			}
		}
		if !prefix && !slices.ContainsFunc(out, func(x []string) bool { return slices.Equal(x, c) }) {
			out = append(out, c)
		}
	}
	return out, nil
}

// memberChain flattens a.b["c"].d into [a b c d].
func memberChain(n ast.Node) ([]string, bool) {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return []string{x.Value}, true
	case *ast.MemberNode:
		prop, ok := x.Property.(*ast.StringNode)
		if !ok {
			return nil, false
		}
		base, ok := memberChain(x.Node)
		if !ok {
			return nil, false
		}
		return append(base, prop.Value), true
	}
	return nil, false
}

// isFunc reports whether chain names one of the functions (a callee).
func isFunc(chain []string) bool {
	if len(chain) != 1 {
		return false
	}
	switch typeEnv[chain[0]].(type) {
	case string, map[string]string, map[string]Need:
		return false
	}
	return true
}
