package deps

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sluice-ci/sluice/internal/osv"
)

// modLine is one directive line of a go.mod file, comments removed.
type modLine struct {
	verb   string // require, replace, exclude …
	fields []string
	line   int
}

// goModLines splits a go.mod file into directive lines, expanding
// "verb ( … )" blocks.
func goModLines(data []byte) ([]modLine, error) {
	var out []modLine
	block := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if i := strings.Index(text, "//"); i >= 0 {
			text = text[:i]
		}
		fields, err := modFields(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		switch {
		case len(fields) == 0:
		case block != "" && fields[0] == ")":
			block = ""
		case block != "":
			out = append(out, modLine{verb: block, fields: fields, line: n})
		case len(fields) == 2 && fields[1] == "(":
			block = fields[0]
		default:
			out = append(out, modLine{verb: fields[0], fields: fields[1:], line: n})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if block != "" {
		return nil, fmt.Errorf("%s block not closed", block)
	}
	return out, nil
}

// modFields splits a line into fields, unquoting "…" and `…` strings.
func modFields(s string) ([]string, error) {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t\r")
		if s == "" {
			return out, nil
		}
		if s[0] == '"' || s[0] == '`' {
			end := strings.IndexByte(s[1:], s[0])
			if end < 0 {
				return nil, fmt.Errorf("unterminated string")
			}
			q, err := strconv.Unquote(s[:end+2])
			if err != nil {
				return nil, err
			}
			out = append(out, q)
			s = s[end+2:]
			continue
		}
		end := strings.IndexAny(s, " \t\r")
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}

// replacement is a go.mod replace directive.
type replacement struct {
	oldVersion string // "" replaces every version
	newPath    string
	newVersion string // "" for a local folder
}

// parseGoMod reads the require directives of a go.mod file (indirect ones
// included) and applies its replace directives: a module replaced by
// another is checked as the replacement, one replaced by a local folder
// is not checked.
func parseGoMod(data []byte) (parsed, error) {
	lines, err := goModLines(data)
	if err != nil {
		return parsed{}, err
	}
	replaces := map[string][]replacement{}
	for _, l := range lines {
		if l.verb != "replace" {
			continue
		}
		arrow := slices.Index(l.fields, "=>")
		if arrow < 1 || arrow > 2 || len(l.fields)-arrow-1 < 1 || len(l.fields)-arrow-1 > 2 {
			return parsed{}, fmt.Errorf("line %d: malformed replace directive", l.line)
		}
		r := replacement{newPath: l.fields[arrow+1]}
		if r.newPath == "" || l.fields[0] == "" {
			return parsed{}, fmt.Errorf("line %d: empty module path", l.line)
		}
		if arrow == 2 {
			r.oldVersion = l.fields[1]
		}
		if len(l.fields) == arrow+3 {
			r.newVersion = l.fields[arrow+2]
		}
		replaces[l.fields[0]] = append(replaces[l.fields[0]], r)
	}
	var out parsed
	for _, l := range lines {
		if l.verb != "require" {
			continue
		}
		if len(l.fields) != 2 {
			return parsed{}, fmt.Errorf("line %d: malformed require directive", l.line)
		}
		path, version := l.fields[0], l.fields[1]
		if path == "" {
			return parsed{}, fmt.Errorf("line %d: empty module path", l.line)
		}
		if r, ok := findReplacement(replaces[path], version); ok {
			if r.newVersion == "" {
				out.skipped = append(out.skipped, fmt.Sprintf("%s (replaced by local folder %s)", path, r.newPath))
				continue
			}
			path, version = r.newPath, r.newVersion
		}
		if !isVersion(version) {
			return parsed{}, fmt.Errorf("line %d: %q is not a module version", l.line, version)
		}
		out.pkgs = append(out.pkgs, pkg(ecoGo, path, version, l.line))
	}
	return out, nil
}

// findReplacement prefers a replace of this exact version over one of
// every version, as the go command does.
func findReplacement(rs []replacement, version string) (replacement, bool) {
	var any *replacement
	for i, r := range rs {
		if r.oldVersion == version {
			return r, true
		}
		if r.oldVersion == "" {
			any = &rs[i]
		}
	}
	if any != nil {
		return *any, true
	}
	return replacement{}, false
}

// parseGoSum reads a go.sum, used when its folder has no go.mod: for each
// module whose code was downloaded (not only its go.mod), the highest
// version listed.
func parseGoSum(data []byte) (parsed, error) {
	best := map[string]Package{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 || !strings.HasPrefix(f[2], "h1:") {
			return parsed{}, fmt.Errorf("line %d: malformed go.sum line", n)
		}
		if strings.HasSuffix(f[1], "/go.mod") {
			continue
		}
		if !isVersion(f[1]) {
			return parsed{}, fmt.Errorf("line %d: %q is not a module version", n, f[1])
		}
		old, seen := best[f[0]]
		if !seen {
			order = append(order, f[0])
		}
		if c, err := osv.Compare(ecoGo, f[1], old.Version); !seen || (err == nil && c > 0) {
			best[f[0]] = pkg(ecoGo, f[0], f[1], n)
		}
	}
	if err := sc.Err(); err != nil {
		return parsed{}, err
	}
	var out parsed
	for _, m := range order {
		out.pkgs = append(out.pkgs, best[m])
	}
	return out, nil
}
