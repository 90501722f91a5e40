package external

import (
	"net/url"
	"strings"
)

// packageTypes maps the package types and package managers tools name
// (Trivy's result types, Grype's artifact types, Snyk's package managers,
// purl types) to OSV ecosystem names.
var packageTypes = map[string]string{
	"npm": "npm", "yarn": "npm", "pnpm": "npm", "node-pkg": "npm", "javascript": "npm", "bun": "npm",
	"pip": "PyPI", "pipenv": "PyPI", "poetry": "PyPI", "python-pkg": "PyPI", "python": "PyPI",
	"pypi": "PyPI", "uv": "PyPI", "conda-pkg": "PyPI",
	"gomod": "Go", "gobinary": "Go", "go-module": "Go", "golang": "Go", "gomodules": "Go",
	"golangdep": "Go", "govendor": "Go", "go": "Go",
	"cargo": "crates.io", "rust-binary": "crates.io", "rust-crate": "crates.io", "cargo-pkg": "crates.io",
	"bundler": "RubyGems", "gemspec": "RubyGems", "gem": "RubyGems", "rubygems": "RubyGems",
	"composer": "Packagist", "composer-vendor": "Packagist", "php-composer": "Packagist",
	"jar": "Maven", "pom": "Maven", "gradle": "Maven", "sbt": "Maven", "maven": "Maven",
	"java-archive": "Maven", "jenkins-plugin": "Maven",
	"nuget": "NuGet", "dotnet-core": "NuGet", "dotnet-deps": "NuGet", "packages-props": "NuGet",
	"dotnet": "NuGet", "paket": "NuGet",
	"hex": "Hex", "mix-lock": "Hex", "pub": "Pub", "swift": "SwiftURL", "cocoapods": "CocoaPods",
	"conan": "ConanCenter", "hackage": "Hackage", "cran": "CRAN",
}

// osFamilies maps OS package types and distribution names to the OSV
// ecosystem prefix of their advisories.
var osFamilies = map[string]string{
	"debian": "Debian", "deb": "Debian", "dpkg": "Debian", "ubuntu": "Ubuntu",
	"alpine": "Alpine", "apk": "Alpine", "wolfi": "Wolfi", "chainguard": "Chainguard",
	"rocky": "Rocky Linux", "alma": "AlmaLinux", "almalinux": "AlmaLinux", "redhat": "Red Hat",
	"rhel": "Red Hat", "suse": "SUSE", "opensuse": "openSUSE", "opensuse.leap": "openSUSE",
	"photon": "Photon OS", "mariner": "Mariner", "azurelinux": "Azure Linux",
	"amazon": "Amazon Linux", "oracle": "Oracle Linux", "centos": "CentOS", "fedora": "Fedora",
}

// ecosystemOf returns the OSV ecosystem of a package type, with the
// distribution and its version for OS packages ("Debian:12",
// "Alpine:v3.19"); "" when unknown.
func ecosystemOf(pkgType, osFamily, osVersion string) string {
	t := strings.ToLower(strings.TrimSpace(pkgType))
	if e, ok := packageTypes[t]; ok {
		return e
	}
	fam := strings.ToLower(strings.TrimSpace(osFamily))
	name, isOS := osFamilies[fam]
	if !isOS {
		name, isOS = osFamilies[t]
	}
	switch {
	case !isOS && (t == "rpm" || t == "linux"):
		return osFamily
	case !isOS:
		return ""
	}
	return name + osRelease(name, osVersion)
}

// osRelease spells a distribution version the way OSV ecosystems do:
// Debian by major version, Alpine as v<major>.<minor>, Ubuntu as is.
func osRelease(name, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	switch name {
	case "Debian", "Rocky Linux", "AlmaLinux", "Red Hat":
		v, _, _ = strings.Cut(v, ".")
	case "Alpine":
		parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
		if len(parts) >= 2 {
			v = "v" + parts[0] + "." + parts[1]
		} else {
			v = "v" + parts[0]
		}
	}
	return ":" + v
}

// purl is a package URL's parts: type, name (namespace joined the way the
// ecosystem spells names) and version.
type purl struct {
	typ, name, version string
}

// parsePURL reads "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
// or "pkg:npm/%40babel/core@7.0.0"; ok is false for anything else.
func parsePURL(s string) (purl, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "pkg:")
	if !ok {
		return purl{}, false
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, _, _ = strings.Cut(rest, "?")
	typ, rest, ok := strings.Cut(rest, "/")
	if !ok || typ == "" || rest == "" {
		return purl{}, false
	}
	var version string
	if i := strings.LastIndex(rest, "@"); i > 0 {
		rest, version = rest[:i], rest[i+1:]
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	for i, seg := range segs {
		if u, err := url.PathUnescape(seg); err == nil {
			segs[i] = u
		}
	}
	if v, err := url.PathUnescape(version); err == nil {
		version = v
	}
	typ = strings.ToLower(typ)
	name := strings.Join(segs, "/")
	if typ == "maven" && len(segs) >= 2 {
		name = strings.Join(segs[:len(segs)-1], ".") + ":" + segs[len(segs)-1]
	}
	if name == "" {
		return purl{}, false
	}
	return purl{typ: typ, name: name, version: version}, true
}
