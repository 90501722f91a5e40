package deps

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// yarnEntry is one block of a yarn.lock: a header line listing the
// requested ranges, then indented fields.
type yarnEntry struct {
	header     string
	line       int
	version    string
	resolution string
}

// parseYarnLock reads yarn.lock, classic (v1) and berry (v2+) alike.
// Workspace packages are skipped silently, packages from git, files or
// URLs with a note.
func parseYarnLock(data []byte) (parsed, error) {
	var entries []*yarnEntry
	var cur *yarnEntry
	content := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimRight(sc.Text(), " \r")
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		content = true
		if text[0] != ' ' {
			if !strings.HasSuffix(text, ":") {
				return parsed{}, fmt.Errorf("line %d: expected an entry header ending in ':'", n)
			}
			cur = &yarnEntry{header: strings.TrimSuffix(text, ":"), line: n}
			if cur.header != "__metadata" {
				entries = append(entries, cur)
			}
			continue
		}
		if cur == nil {
			return parsed{}, fmt.Errorf("line %d: field outside an entry", n)
		}
		if strings.HasPrefix(text, "    ") {
			continue // nested: dependencies, peerDependencies …
		}
		key, value := yarnField(trimmed)
		switch key {
		case "version":
			cur.version = value
		case "resolution":
			cur.resolution = value
		}
	}
	if err := sc.Err(); err != nil {
		return parsed{}, err
	}
	if content && len(entries) == 0 {
		return parsed{}, fmt.Errorf("no package entries")
	}
	var out parsed
	for _, e := range entries {
		if e.version == "" {
			return parsed{}, fmt.Errorf("line %d: entry has no version", e.line)
		}
		spec := e.resolution
		if spec == "" {
			spec = strings.Trim(strings.TrimSpace(strings.Split(e.header, ",")[0]), `"`)
		}
		name, protocol, ok := yarnSpec(spec)
		if !ok {
			return parsed{}, fmt.Errorf("line %d: cannot read package name from %q", e.line, spec)
		}
		switch protocol {
		case "", "npm", "patch":
		case "workspace", "link", "portal":
			continue // the project's own packages
		default:
			out.skipped = append(out.skipped, fmt.Sprintf("%s (from %s)", name, protocol))
			continue
		}
		addNpm(&out, name, e.version, e.line)
	}
	return out, nil
}

// yarnField splits `version "1.2.3"` (classic) or `version: 1.2.3`
// (berry) into key and unquoted value.
func yarnField(s string) (string, string) {
	key, value, ok := strings.Cut(s, " ")
	if !ok {
		return strings.TrimSuffix(s, ":"), ""
	}
	return strings.TrimSuffix(key, ":"), strings.Trim(strings.TrimSpace(value), `"`)
}

// yarnSpec reads "name@range", "name@npm:range", "alias@npm:real@range" or
// "name@protocol:…" into the package name and the protocol ("" for a
// plain registry range).
func yarnSpec(spec string) (name, protocol string, ok bool) {
	at := strings.Index(spec[min(1, len(spec)):], "@") + 1
	if at <= 0 {
		return "", "", false
	}
	name, rest := spec[:at], spec[at+1:]
	proto, after, hasProto := strings.Cut(rest, ":")
	if !hasProto || strings.ContainsAny(proto, " <>=^~|") {
		return name, "", true
	}
	if proto == "npm" {
		// An alias names the real package: alias@npm:real@range.
		if i := strings.Index(after[min(1, len(after)):], "@") + 1; i > 0 {
			name = after[:i]
		}
	}
	return name, proto, true
}
