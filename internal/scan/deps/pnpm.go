package deps

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// parsePnpmLock reads pnpm-lock.yaml's "packages" map. Its keys changed
// across lockfile versions: "/name/1.2.3_peer" (v5), "/name@1.2.3(peer)"
// (v6), "name@1.2.3(peer)" (v9). Entries installed from a tarball, git or
// a local folder carry explicit name and version fields instead; they are
// skipped with a note.
func parsePnpmLock(data []byte) (parsed, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		// The YAML error quotes the source over several lines; the first
		// says what and where.
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return parsed{}, errors.New(msg)
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return parsed{}, fmt.Errorf("empty document")
	}
	root, ok := file.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		return parsed{}, fmt.Errorf("top level is not a mapping")
	}
	lockVersion := scalar(mapGet(root, "lockfileVersion"))
	if lockVersion == "" {
		return parsed{}, fmt.Errorf("no lockfileVersion: not a pnpm lockfile")
	}
	major, _ := strconv.Atoi(strings.SplitN(lockVersion, ".", 2)[0])
	var out parsed
	pkgs, _ := mapGet(root, "packages").(*ast.MappingNode)
	if pkgs == nil {
		return out, nil // a project with no dependencies
	}
	for _, mv := range pkgs.Values {
		key := scalar(mv.Key)
		line := mv.Key.GetToken().Position.Line
		fields, _ := mv.Value.(*ast.MappingNode)
		if n := scalar(mapGet(fields, "name")); n != "" {
			// Registry packages are named by their key; an explicit name
			// marks a tarball, git or local install.
			out.skipped = append(out.skipped, fmt.Sprintf("%s (not from the registry: %s)", n, key))
			continue
		}
		name, version := pnpmKey(key, major)
		if name == "" {
			return parsed{}, fmt.Errorf("line %d: cannot read package %q", line, key)
		}
		addNpm(&out, name, version, line)
	}
	return out, nil
}

// pnpmKey reads a "packages" key into name and version.
func pnpmKey(key string, major int) (string, string) {
	key = strings.TrimPrefix(key, "/")
	if i := strings.IndexByte(key, '('); i >= 0 {
		key = key[:i]
	}
	if major < 6 {
		i := strings.LastIndexByte(key, '/')
		if i <= 0 {
			return "", ""
		}
		version := key[i+1:]
		if j := strings.IndexByte(version, '_'); j >= 0 {
			version = version[:j]
		}
		return key[:i], version
	}
	i := strings.LastIndexByte(key, '@')
	if i <= 0 {
		return "", ""
	}
	return key[:i], key[i+1:]
}

// mapGet returns the value of key in a mapping node; nil when absent or
// when m is not a mapping.
func mapGet(m *ast.MappingNode, key string) ast.Node {
	if m == nil {
		return nil
	}
	for _, mv := range m.Values {
		if scalar(mv.Key) == key {
			return mv.Value
		}
	}
	return nil
}

// scalar returns the text of a scalar node without quotes; "" for
// anything else.
func scalar(n ast.Node) string {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.LiteralNode:
		return v.GetToken().Value
	}
	return ""
}
