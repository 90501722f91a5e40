package osv

import "strings"

// Ecosystem names as OSV spells them, for the ecosystems sluice's scanners
// produce packages in.
const (
	Go        = "Go"
	PyPI      = "PyPI"
	Npm       = "npm"
	Maven     = "Maven"
	CratesIO  = "crates.io"
	RubyGems  = "RubyGems"
	Packagist = "Packagist"
	NuGet     = "NuGet"
	Debian    = "Debian"
	Ubuntu    = "Ubuntu"
	Alpine    = "Alpine"
)

// known lists the ecosystems OSV publishes, by lowercase name, so that
// folder names and user input can be mapped to OSV's spelling.
var known = func() map[string]string {
	m := map[string]string{}
	for _, e := range []string{
		Go, PyPI, Npm, Maven, CratesIO, RubyGems, Packagist, NuGet, Debian, Ubuntu, Alpine,
		"AlmaLinux", "Alpaquita", "Android", "Bitnami", "BellSoft Hardened Containers",
		"Bioconductor", "Chainguard", "ConanCenter", "CRAN", "GHC", "GIT", "GitHub Actions",
		"Hackage", "Hex", "Julia", "Linux", "Mageia", "MinimOS", "OSS-Fuzz", "openEuler",
		"openSUSE", "Photon OS", "Pub", "Red Hat", "Rocky Linux", "SUSE", "SwiftURL", "Wolfi",
	} {
		m[strings.ToLower(e)] = e
	}
	return m
}()

// CanonicalEcosystem returns OSV's spelling of an ecosystem name, matched
// case-insensitively; a release suffix ("Debian:12") is kept. Unknown
// names are returned unchanged.
func CanonicalEcosystem(eco string) string {
	eco = strings.TrimSpace(eco)
	base, suffix, hasSuffix := strings.Cut(eco, ":")
	c, ok := known[strings.ToLower(base)]
	if !ok {
		return eco
	}
	if hasSuffix {
		return c + ":" + suffix
	}
	return c
}

// baseEcosystem drops a release suffix: "Debian:12" → "Debian".
func baseEcosystem(eco string) string {
	base, _, _ := strings.Cut(eco, ":")
	return base
}

// isKnownEcosystem says whether name (a folder name) is an OSV ecosystem.
func isKnownEcosystem(name string) bool {
	c, ok := known[strings.ToLower(baseEcosystem(name))]
	return ok && c == baseEcosystem(name)
}

// NormalizeName returns the form of a package name that two spellings of
// the same package share in an ecosystem: PyPI names per PEP 503
// (lowercase, runs of "-", "_" and "." become "-"), Packagist names
// lowercase; npm, Maven (group:artifact), Go module paths and the others
// are case-sensitive and kept as they are.
func NormalizeName(ecosystem, name string) string {
	name = strings.TrimSpace(name)
	switch baseEcosystem(CanonicalEcosystem(ecosystem)) {
	case PyPI:
		return pep503(name)
	case Packagist:
		return strings.ToLower(name)
	}
	return name
}

// pep503 normalizes a Python project name.
func pep503(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteRune(r)
	}
	return b.String()
}
