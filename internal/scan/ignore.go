package scan

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Patterns is a compiled list of gitignore-style patterns, as read from a
// .sluiceignore file. It supports the common subset of gitignore: `*`, `?`
// and `[...]` globs that never match a slash, `**` for any number of
// folders, a leading `/` (or any slash but a trailing one) to anchor a
// pattern to the root, a trailing `/` to match folders only, `!` to
// re-include, `#` comments and `\` escapes. The last pattern that matches
// a path decides.
//
// A Patterns is immutable and safe for concurrent use.
type Patterns struct {
	rules []patternRule
}

type patternRule struct {
	re      *regexp.Regexp
	negate  bool
	dirOnly bool
	source  string
}

// ParsePatterns compiles gitignore-style lines. name is used in error
// messages (a file name, say).
func ParsePatterns(name string, data []byte) (*Patterns, error) {
	p := &Patterns{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if err := p.add(sc.Text()); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return p, nil
}

// CompilePatterns compiles patterns given one per string, as from a
// configuration list.
func CompilePatterns(patterns []string) (*Patterns, error) {
	p := &Patterns{}
	for _, s := range patterns {
		if err := p.add(s); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Len returns the number of patterns.
func (p *Patterns) Len() int {
	if p == nil {
		return 0
	}
	return len(p.rules)
}

// Match reports whether the path (relative to the root, forward slashes)
// is ignored by the patterns. isDir says whether the path is a folder.
// Match looks at the path alone: callers that walk a tree skip an ignored
// folder entirely, as git does, so a file inside an ignored folder cannot
// be re-included with `!`.
func (p *Patterns) Match(path string, isDir bool) bool {
	if p == nil {
		return false
	}
	path = strings.Trim(path, "/")
	ignored := false
	for i := len(p.rules) - 1; i >= 0; i-- {
		r := p.rules[i]
		if r.dirOnly && !isDir {
			continue
		}
		if r.re.MatchString(path) {
			ignored = !r.negate
			break
		}
	}
	return ignored
}

// Excludes says whether a file at path (relative, forward slashes) is
// ignored, either itself or because a folder it is in is: what Match on
// every step of a walk would decide, for a path known without walking.
func (p *Patterns) Excludes(path string) bool {
	if p.Len() == 0 {
		return false
	}
	path = strings.Trim(path, "/")
	for i := 0; i < len(path); i++ {
		if path[i] == '/' && p.Match(path[:i], true) {
			return true
		}
	}
	return p.Match(path, false)
}

// add compiles one pattern line; blank lines and comments are ignored.
func (p *Patterns) add(line string) error {
	line = strings.TrimSuffix(line, "\r")
	line = trimTrailingSpaces(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return nil
	}
	source := line
	negate := false
	switch {
	case strings.HasPrefix(line, "!"):
		negate = true
		line = line[1:]
	case strings.HasPrefix(line, `\!`), strings.HasPrefix(line, `\#`):
		line = line[1:]
	}
	dirOnly := false
	if strings.HasSuffix(line, "/") && !strings.HasSuffix(line, `\/`) {
		dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	if line == "" {
		return nil
	}
	// A slash at the start or in the middle anchors the pattern to the
	// root; otherwise it matches a name at any depth.
	anchored := strings.Contains(line, "/")
	line = strings.TrimPrefix(line, "/")
	expr, err := globRegexp(line)
	if err != nil {
		return fmt.Errorf("pattern %q: %w", source, err)
	}
	if !anchored && !strings.HasPrefix(expr, "(?:.*/)?") {
		expr = "(?:.*/)?" + expr
	}
	re, err := regexp.Compile("^" + expr + "$")
	if err != nil {
		return fmt.Errorf("pattern %q: %w", source, err)
	}
	p.rules = append(p.rules, patternRule{re: re, negate: negate, dirOnly: dirOnly, source: source})
	return nil
}

// trimTrailingSpaces drops trailing spaces unless escaped with a backslash.
func trimTrailingSpaces(s string) string {
	for strings.HasSuffix(s, " ") && !strings.HasSuffix(s, `\ `) {
		s = s[:len(s)-1]
	}
	return s
}

// globRegexp translates one gitignore glob (without leading slash, `!` or
// trailing slash) to a regular expression body.
func globRegexp(glob string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(glob); {
		c := glob[i]
		switch {
		case c == '*' && strings.HasPrefix(glob[i:], "**"):
			atStart := i == 0 || glob[i-1] == '/'
			atEnd := i+2 == len(glob) || glob[i+2] == '/'
			switch {
			case atStart && i+2 < len(glob) && glob[i+2] == '/':
				// "**/" matches zero or more folders.
				b.WriteString("(?:.*/)?")
				i += 3
			case atStart && atEnd:
				// trailing "/**" (or a lone "**") matches everything inside.
				b.WriteString(".*")
				i += 2
			default:
				// "**" inside a name is two ordinary stars.
				b.WriteString("[^/]*")
				i += 2
			}
		case c == '*':
			b.WriteString("[^/]*")
			i++
		case c == '?':
			b.WriteString("[^/]")
			i++
		case c == '[':
			end, class, ok := globClass(glob, i)
			if !ok {
				b.WriteString(regexp.QuoteMeta("["))
				i++
				continue
			}
			b.WriteString(class)
			i = end
		case c == '\\' && i+1 < len(glob):
			b.WriteString(regexp.QuoteMeta(glob[i+1 : i+2]))
			i += 2
		default:
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
			i++
		}
	}
	return b.String(), nil
}

// globClass reads a bracket expression starting at glob[i] == '[' and
// returns the index after it and its regexp form; ok is false when the
// bracket is not closed, in which case it is a literal '['.
func globClass(glob string, i int) (end int, class string, ok bool) {
	j := i + 1
	var b strings.Builder
	b.WriteByte('[')
	if j < len(glob) && (glob[j] == '!' || glob[j] == '^') {
		// A negated class never matches the separator either.
		b.WriteString("^/")
		j++
	}
	first := true
	for ; j < len(glob); j++ {
		c := glob[j]
		if c == ']' && !first {
			b.WriteString("]")
			return j + 1, b.String(), true
		}
		first = false
		switch c {
		case '\\':
			if j+1 < len(glob) {
				j++
				b.WriteString(regexp.QuoteMeta(glob[j : j+1]))
			}
		case '/':
			return 0, "", false
		case '[', ']', '^':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return 0, "", false
}
