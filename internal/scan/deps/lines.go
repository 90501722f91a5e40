package deps

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Lockfile formats say nothing about lines once decoded; these helpers
// find where each package is declared with a cheap pass over the text.

// keyLines returns the 1-based line of each object key in a JSON document
// whose path from the root (object keys and array indexes) is accepted by
// want, keyed by joinPath of that path. It does not validate: decode the
// document with encoding/json first.
func keyLines(data []byte, want func(path []string) bool) map[string]int {
	type frame struct {
		obj       bool
		key       string
		idx       int
		expectKey bool
	}
	out := map[string]int{}
	var stack []frame
	path := func(key string) []string {
		p := make([]string, 0, len(stack))
		for _, f := range stack[:len(stack)-1] {
			if f.obj {
				p = append(p, f.key)
			} else {
				p = append(p, strconv.Itoa(f.idx))
			}
		}
		return append(p, key)
	}
	line := 1
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line++
		case '"':
			end := i + 1
			escaped := false
			for end < len(data) && data[end] != '"' {
				if data[end] == '\\' {
					escaped = true
					end++
				}
				end++
			}
			if end >= len(data) {
				return out
			}
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
				key := string(data[i+1 : end])
				if escaped {
					_ = json.Unmarshal(data[i:end+1], &key)
				}
				stack[n-1].key = key
				stack[n-1].expectKey = false
				if p := path(key); want(p) {
					out[joinPath(p...)] = line
				}
			}
			i = end
		case '{', '[':
			stack = append(stack, frame{obj: c == '{', expectKey: c == '{'})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].obj {
					stack[n-1].expectKey = true
				} else {
					stack[n-1].idx++
				}
			}
		}
	}
	return out
}

// joinPath makes the map key of a JSON path.
func joinPath(p ...string) string { return strings.Join(p, "\x00") }

// tomlPackageLines returns, for each [[package]] table of a TOML lockfile
// in order, the line of its name key (or of the header when the name
// comes later than expected).
func tomlPackageLines(data []byte) []int {
	var out []int
	inPackage := false
	for n, raw := range bytes.Split(data, []byte("\n")) {
		text := strings.TrimSpace(string(raw))
		if strings.HasPrefix(text, "[") {
			inPackage = text == "[[package]]"
			if inPackage {
				out = append(out, n+1)
			}
			continue
		}
		if inPackage && strings.HasPrefix(text, "name") {
			rest := strings.TrimSpace(strings.TrimPrefix(text, "name"))
			if strings.HasPrefix(rest, "=") {
				out[len(out)-1] = n + 1
				inPackage = false
			}
		}
	}
	return out
}

// lineAt returns lines[i], or 0 when the line scan and the decoder
// disagree about how many entries there are.
func lineAt(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
