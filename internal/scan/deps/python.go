package deps

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// requirement is "name[extras] specifiers ; markers" of PEP 508.
var requirement = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$`)

// parseRequirements reads a pip requirements file. Only exact pins
// ("name==1.2.3", "name===1.2.3") say which version is installed; other
// requirements are listed as skipped. Options (-r, -e, --hash …), URLs
// and paths are ignored.
func parseRequirements(data []byte) (parsed, error) {
	var out parsed
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var logical strings.Builder
	start := 0
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if logical.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(text, `\`) {
			logical.WriteString(strings.TrimSuffix(text, `\`) + " ")
			continue
		}
		logical.WriteString(text)
		line := logical.String()
		logical.Reset()
		requirementLine(line, start, &out)
	}
	if logical.Len() > 0 {
		requirementLine(logical.String(), start, &out)
	}
	return out, sc.Err()
}

func requirementLine(line string, n int, out *parsed) {
	line = strings.TrimSpace(stripComment(line))
	if target, ok := editable(line); ok {
		out.skipped = append(out.skipped, fmt.Sprintf("%s (line %d: editable install)", target, n))
		return
	}
	if line == "" || strings.HasPrefix(line, "-") {
		return
	}
	// Drop per-requirement options such as --hash=… .
	if i := strings.Index(line, " --"); i >= 0 {
		line = strings.TrimSpace(line[:i])
	}
	m := requirement.FindStringSubmatch(line)
	if m == nil || strings.HasPrefix(line, ".") || strings.HasPrefix(line, "/") {
		return // a local path: the project's own code
	}
	name, spec := m[1], m[2]
	if strings.Contains(line, "://") {
		out.skipped = append(out.skipped, fmt.Sprintf("%s (line %d: installed from a URL)", name, n))
		return
	}
	if i := strings.IndexByte(spec, ';'); i >= 0 {
		spec = spec[:i]
	}
	spec = strings.TrimSpace(spec)
	version := ""
	for _, op := range []string{"===", "=="} {
		if strings.HasPrefix(spec, op) {
			version = strings.TrimSpace(spec[len(op):])
			break
		}
	}
	if version == "" || strings.ContainsAny(version, ",*<>!~ ") || !isVersion(version) {
		what := name
		if spec != "" {
			what += " " + spec
		}
		out.skipped = append(out.skipped, fmt.Sprintf("%s (line %d: not pinned with ==)", what, n))
		return
	}
	out.pkgs = append(out.pkgs, pkg(ecoPyPI, name, version, n))
}

// editable reads "-e target" or "--editable target", naming the target
// by its #egg= fragment when it has one.
func editable(line string) (string, bool) {
	var target string
	switch {
	case strings.HasPrefix(line, "-e "), strings.HasPrefix(line, "-e\t"):
		target = line[3:]
	case strings.HasPrefix(line, "--editable"):
		target = strings.TrimLeft(line[len("--editable"):], " =\t")
	default:
		return "", false
	}
	target = strings.TrimSpace(target)
	if _, egg, ok := strings.Cut(target, "#egg="); ok {
		target = egg
	}
	return target, true
}

// stripComment removes a "#" comment: at the start of the line or after
// whitespace (a "#" inside a URL fragment is not a comment).
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

// parsePoetryLock reads poetry.lock's [[package]] tables; packages from a
// local folder are skipped.
func parsePoetryLock(data []byte) (parsed, error) {
	var lock struct {
		Package []struct {
			Name    string `toml:"name"`
			Version string `toml:"version"`
			Source  struct {
				Type string `toml:"type"`
			} `toml:"source"`
		} `toml:"package"`
	}
	if err := toml.Unmarshal(data, &lock); err != nil {
		return parsed{}, err
	}
	lines := tomlPackageLines(data)
	var out parsed
	for i, p := range lock.Package {
		if p.Name == "" || p.Version == "" {
			return parsed{}, fmt.Errorf("package %d has no name or version", i+1)
		}
		if p.Source.Type == "directory" || p.Source.Type == "file" {
			out.skipped = append(out.skipped, fmt.Sprintf("%s (local %s)", p.Name, p.Source.Type))
			continue
		}
		out.pkgs = append(out.pkgs, pkg(ecoPyPI, p.Name, p.Version, lineAt(lines, i)))
	}
	return out, nil
}

// parsePipfileLock reads Pipfile.lock's default and develop sections.
func parsePipfileLock(data []byte) (parsed, error) {
	var lock map[string]json.RawMessage
	if err := json.Unmarshal(data, &lock); err != nil {
		return parsed{}, err
	}
	lines := keyLines(data, func(p []string) bool { return len(p) == 2 && (p[0] == "default" || p[0] == "develop") })
	var out parsed
	for _, section := range []string{"default", "develop"} {
		raw, ok := lock[section]
		if !ok {
			continue
		}
		var deps map[string]struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(raw, &deps); err != nil {
			return parsed{}, fmt.Errorf("%s: %w", section, err)
		}
		for _, name := range sortedKeys(deps) {
			v := strings.TrimPrefix(deps[name].Version, "==")
			if !isVersion(v) {
				out.skipped = append(out.skipped, fmt.Sprintf("%s (no pinned version: git, path or editable)", name))
				continue
			}
			out.pkgs = append(out.pkgs, pkg(ecoPyPI, name, v, lines[joinPath(section, name)]))
		}
	}
	if _, ok := lock["default"]; !ok {
		if _, ok := lock["develop"]; !ok {
			return parsed{}, fmt.Errorf("no default or develop section")
		}
	}
	return out, nil
}
