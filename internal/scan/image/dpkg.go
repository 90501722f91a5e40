package image

import (
	"fmt"
	"strings"

	"github.com/sluice-ci/sluice/internal/sbom"
)

// parseDpkg reads a dpkg status file (or one file of a distroless
// status.d folder): the installed packages, their source packages (which
// Debian and Ubuntu advisories name) and their dependencies.
func parseDpkg(data []byte, d distro) ([]pkg, error) {
	var out []pkg
	var depends [][][]string
	provides := map[string]int{}
	err := stanzas(data, func(lines []string, _ int) {
		f := rfc822Fields(lines)
		name, version := f["Package"], f["Version"]
		if name == "" || version == "" || !dpkgInstalled(f["Status"]) {
			return
		}
		p := pkg{name: name, version: version, ecosystem: d.ecosystem, typ: sbom.Library}
		if src := f["Source"]; src != "" {
			// "Source: openssl" or "Source: zlib (1:1.2.13.dfsg-1)".
			sname, sver, _ := strings.Cut(src, " ")
			p.srcName = sname
			if sver = strings.Trim(strings.TrimSpace(sver), "()"); sver != "" {
				p.srcVersion = sver
			}
		}
		qual := map[string]string{"arch": f["Architecture"], "distro": d.purlDistro()}
		if p.srcName != "" && p.srcName != name {
			qual["upstream"] = p.srcName
		}
		version, epoch := splitEpoch(version)
		qual["epoch"] = epoch
		p.purl = sbom.PackageURL("deb", vendor(d, "debian"), name, version, qual)
		provides[name] = len(out)
		for _, v := range splitList(f["Provides"]) {
			if _, ok := provides[v[0]]; !ok {
				provides[v[0]] = len(out)
			}
		}
		depends = append(depends, append(splitAlternatives(f["Pre-Depends"]), splitAlternatives(f["Depends"])...))
		out = append(out, p)
	})
	if err != nil {
		return nil, fmt.Errorf("read dpkg status: %w", err)
	}
	for i, alts := range depends {
		out[i].deps = resolveDeps(alts, provides, i)
	}
	return out, nil
}

// dpkgInstalled says whether a Status field ("install ok installed")
// describes an installed package; distroless status.d files have none.
func dpkgInstalled(status string) bool {
	if status == "" {
		return true
	}
	f := strings.Fields(status)
	return len(f) == 3 && (f[2] == "installed" || f[2] == "half-configured" || f[2] == "triggers-awaited" || f[2] == "triggers-pending")
}

// splitEpoch splits "1:1.2.13" into "1.2.13" and "1".
func splitEpoch(v string) (string, string) {
	if e, rest, ok := strings.Cut(v, ":"); ok && e != "" && strings.Trim(e, "0123456789") == "" {
		if e == "0" {
			return rest, ""
		}
		return rest, e
	}
	return v, ""
}

// purlDistro is the purl distro qualifier: "debian-12"; "" when the OS
// is unknown.
func (d distro) purlDistro() string {
	if d.id == "" || d.versionID == "" {
		return d.id
	}
	return d.id + "-" + d.versionID
}

// vendor is the purl namespace of an OS package: the distro id, or def.
func vendor(d distro, def string) string {
	if d.id != "" {
		return d.id
	}
	return def
}

// splitAlternatives splits a Depends field into its entries, each a list
// of alternative package names ("a (>= 1) | b:any" → [a b]).
func splitAlternatives(field string) [][]string {
	var out [][]string
	for _, entry := range strings.Split(field, ",") {
		var alts []string
		for _, alt := range strings.Split(entry, "|") {
			if n := depName(alt); n != "" {
				alts = append(alts, n)
			}
		}
		if len(alts) > 0 {
			out = append(out, alts)
		}
	}
	return out
}

// splitList splits a Provides field into single-name entries.
func splitList(field string) [][]string {
	var out [][]string
	for _, e := range strings.Split(field, ",") {
		if n := depName(e); n != "" {
			out = append(out, []string{n})
		}
	}
	return out
}

// depName is the package name of one dependency: version constraint and
// architecture qualifier dropped.
func depName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " (<>=[\n\t"); i >= 0 {
		s = s[:i]
	}
	name, _, _ := strings.Cut(s, ":")
	return name
}

// resolveDeps maps dependency entries to package indexes: the first
// alternative that is installed (or provided) wins; self-references and
// repeats are dropped.
func resolveDeps(entries [][]string, byName map[string]int, self int) []int {
	var out []int
	seen := map[int]bool{self: true}
	for _, alts := range entries {
		for _, a := range alts {
			if i, ok := byName[a]; ok {
				if !seen[i] {
					seen[i] = true
					out = append(out, i)
				}
				break
			}
		}
	}
	return out
}
