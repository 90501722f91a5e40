package image

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/sluice-ci/sluice/internal/sbom"
)

// pkg is one package found in the image.
type pkg struct {
	name, version string
	// ecosystem is OSV's ecosystem the package is matched in ("Debian:12",
	// "npm"); "" when it cannot be matched.
	ecosystem string
	// srcName and srcVersion are what advisories name: the source package
	// of a Debian or Alpine package; "" means name and version.
	srcName, srcVersion string
	typ                 sbom.ComponentType
	purl                string
	licenses            []string
	hashes              []sbom.Hash
	// path is the file the package was found in; layer the layer that
	// last wrote it; line its line in a lockfile (0 when unknown).
	path, layer string
	line        int
	// props are extra facts for the SBOM ("source_package").
	props map[string]string
	// deps are indexes, in the slice the parser returned, of the packages
	// this one depends on.
	deps []int
}

// queryName and queryVersion are what the package is looked up by.
func (p *pkg) queryName() string {
	if p.srcName != "" {
		return p.srcName
	}
	return p.name
}

func (p *pkg) queryVersion() string {
	if p.srcVersion != "" {
		return p.srcVersion
	}
	return p.version
}

// stanzas splits a dpkg- or apk-style database into paragraphs separated
// by blank lines, calling fn with each paragraph's lines and the line
// number it starts at.
func stanzas(data []byte, fn func(lines []string, start int)) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var cur []string
	start, n := 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				fn(cur, start)
				cur = nil
			}
			continue
		}
		if len(cur) == 0 {
			start = n
		}
		cur = append(cur, line)
	}
	if len(cur) > 0 {
		fn(cur, start)
	}
	return sc.Err()
}

// rfc822Fields reads "Key: value" lines with indented continuation lines,
// as dpkg status and Python METADATA files hold. Keys are kept as
// written; continuation lines are joined with newlines.
func rfc822Fields(lines []string) map[string]string {
	m := map[string]string{}
	last := ""
	for _, l := range lines {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && last != "" {
			m[last] += "\n" + strings.TrimSpace(l)
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		last = strings.TrimSpace(k)
		if _, dup := m[last]; dup {
			continue // the first one wins (Classifier lines repeat; they are not read)
		}
		m[last] = strings.TrimSpace(v)
	}
	return m
}
