package deps

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// parseGemfileLock reads the specs of a Gemfile.lock's GEM and GIT
// sections ("    name (1.2.3)" or "    name (1.2.3-x86_64-linux)" with a
// platform); the PATH section holds the project's own gems.
func parseGemfileLock(data []byte) (parsed, error) {
	var out parsed
	section := ""
	inSpecs := false
	sawSection := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimRight(sc.Text(), " \r")
		if text == "" {
			continue
		}
		if text[0] != ' ' {
			section = text
			sawSection = true
			inSpecs = false
			continue
		}
		if strings.TrimSpace(text) == "specs:" {
			inSpecs = true
			continue
		}
		if !inSpecs || (section != "GEM" && section != "GIT") {
			continue
		}
		// Specs are indented by four spaces; their dependencies by six.
		if !strings.HasPrefix(text, "    ") || strings.HasPrefix(text, "     ") {
			continue
		}
		name, version, ok := strings.Cut(strings.TrimSpace(text), " (")
		if !ok || !strings.HasSuffix(version, ")") {
			return parsed{}, fmt.Errorf("line %d: expected \"name (version)\"", n)
		}
		version = strings.TrimSuffix(version, ")")
		if i := strings.IndexByte(version, '-'); i >= 0 {
			version = version[:i] // the platform: nokogiri (1.16.2-x86_64-linux)
		}
		if !isVersion(version) {
			return parsed{}, fmt.Errorf("line %d: %q is not a gem version", n, version)
		}
		out.pkgs = append(out.pkgs, pkg(ecoRubyGems, name, version, n))
	}
	if err := sc.Err(); err != nil {
		return parsed{}, err
	}
	if !sawSection {
		return parsed{}, fmt.Errorf("no GEM, GIT or PATH section: not a Gemfile.lock")
	}
	return out, nil
}
