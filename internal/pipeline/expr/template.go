package expr

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	exprlang "github.com/expr-lang/expr"
)

// part is a piece of a template: literal text or an expression.
type part struct {
	text   string
	expr   bool
	offset int // byte offset of the part in the template
}

// split cuts a template into literal text and ${{ }} expressions. An
// expression ends at the first }} outside a string literal.
func split(s string) ([]part, error) {
	var parts []part
	rest, off := s, 0
	for {
		i := strings.Index(rest, "${{")
		if i < 0 {
			if rest != "" {
				parts = append(parts, part{text: rest, offset: off})
			}
			return parts, nil
		}
		if i > 0 {
			parts = append(parts, part{text: rest[:i], offset: off})
		}
		body := []byte(rest[i+3:])
		end := -1
		for j := 0; j < len(body); {
			switch c := body[j]; {
			case c == '"' || c == '\'' || c == '`':
				j = skipString(body, j)
			case c == '}' && j+1 < len(body) && body[j+1] == '}':
				end = j
				j = len(body)
			default:
				j++
			}
		}
		if end < 0 {
			return nil, fmt.Errorf("unterminated ${{ at offset %d", off+i)
		}
		src := strings.TrimSpace(string(body[:end]))
		if src == "" {
			return nil, fmt.Errorf("empty ${{ }} at offset %d", off+i)
		}
		parts = append(parts, part{text: src, expr: true, offset: off + i})
		consumed := i + 3 + end + 2
		rest, off = rest[consumed:], off+consumed
	}
}

// Expressions returns the sources of the ${{ }} expressions in s, in order.
func Expressions(s string) ([]string, error) {
	parts, err := split(s)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range parts {
		if p.expr {
			out = append(out, p.text)
		}
	}
	return out, nil
}

// CheckTemplate reports whether every ${{ }} in s compiles.
func CheckTemplate(s string) error {
	parts, err := split(s)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if !p.expr {
			continue
		}
		if err := compile(p.text, false).err; err != nil {
			return fmt.Errorf("${{ %s }}: %w", p.text, err)
		}
	}
	return nil
}

// Interpolate replaces every ${{ }} in s with its value: strings as they
// are, null as "", numbers and booleans as written by Go, lists and maps
// as JSON.
func Interpolate(s string, c Context) (string, error) {
	if !strings.Contains(s, "${{") {
		return s, nil
	}
	parts, err := split(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	env := buildEnv(c)
	for _, p := range parts {
		if !p.expr {
			b.WriteString(p.text)
			continue
		}
		prog := compile(p.text, false)
		if prog.err != nil {
			return "", fmt.Errorf("${{ %s }}: %w", p.text, prog.err)
		}
		out, err := exprlang.Run(prog.prog, env)
		if err != nil {
			return "", fmt.Errorf("${{ %s }}: %w", p.text, cleanError(err))
		}
		str, err := format(out)
		if err != nil {
			return "", fmt.Errorf("${{ %s }}: %w", p.text, err)
		}
		b.WriteString(str)
	}
	return b.String(), nil
}

func format(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool, int, int64, float64, uint64:
		return fmt.Sprint(x), nil
	default:
		js, err := json.Marshal(x)
		if err != nil {
			return "", errors.New("value cannot be written as text")
		}
		return string(js), nil
	}
}
