package sbom

import (
	"sort"
	"strings"
)

// PackageURL builds a package URL (purl) from its parts, percent-encoding
// each: pkg:type/namespace/name@version?key=value&…, qualifiers sorted by
// key, empty ones left out. namespace may hold several segments separated
// by "/".
func PackageURL(typ, namespace, name, version string, qualifiers map[string]string) string {
	var b strings.Builder
	b.WriteString("pkg:")
	b.WriteString(strings.ToLower(typ))
	b.WriteByte('/')
	if namespace != "" {
		for _, seg := range strings.Split(namespace, "/") {
			if seg == "" {
				continue
			}
			b.WriteString(escape(seg))
			b.WriteByte('/')
		}
	}
	b.WriteString(escape(name))
	if version != "" {
		b.WriteByte('@')
		b.WriteString(escape(version))
	}
	keys := make([]string, 0, len(qualifiers))
	for k, v := range qualifiers {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(strings.ToLower(k))
		b.WriteByte('=')
		b.WriteString(escape(qualifiers[k]))
	}
	return b.String()
}

// escape percent-encodes everything but the unreserved characters of RFC
// 3986, which is always a valid purl component.
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// PURLFor returns the package URL of a package in an OSV ecosystem:
// pkg:golang, pkg:npm, pkg:pypi, pkg:maven, pkg:cargo, pkg:gem,
// pkg:composer, pkg:nuget, pkg:deb, pkg:apk, pkg:rpm …; pkg:generic for an
// ecosystem it does not know. A release suffix ("Debian:12") becomes the
// distro qualifier.
func PURLFor(ecosystem, name, version string) string {
	base, release, _ := strings.Cut(ecosystem, ":")
	if isUnversioned(version) {
		version = ""
	}
	split := func(sep string) (string, string) {
		if i := strings.LastIndex(name, sep); i >= 0 {
			return name[:i], name[i+1:]
		}
		return "", name
	}
	switch base {
	case "Go":
		ns, n := split("/")
		return PackageURL("golang", ns, n, version, nil)
	case "npm":
		ns, n := split("/")
		return PackageURL("npm", ns, n, version, nil)
	case "PyPI":
		return PackageURL("pypi", "", strings.ReplaceAll(strings.ToLower(name), "_", "-"), version, nil)
	case "Maven":
		ns, n := split(":")
		return PackageURL("maven", ns, n, version, nil)
	case "crates.io":
		return PackageURL("cargo", "", name, version, nil)
	case "RubyGems":
		return PackageURL("gem", "", name, version, nil)
	case "Packagist":
		ns, n := split("/")
		return PackageURL("composer", strings.ToLower(ns), strings.ToLower(n), version, nil)
	case "NuGet":
		return PackageURL("nuget", "", name, version, nil)
	case "Pub":
		return PackageURL("pub", "", strings.ToLower(name), version, nil)
	case "Hex":
		return PackageURL("hex", "", strings.ToLower(name), version, nil)
	case "Debian", "Ubuntu":
		return distroPURL("deb", base, release, name, version)
	case "Alpine", "Wolfi", "Chainguard":
		return distroPURL("apk", base, release, name, version)
	case "AlmaLinux", "Rocky Linux", "Red Hat", "openSUSE", "SUSE", "Mageia", "openEuler":
		return distroPURL("rpm", base, release, name, version)
	}
	return PackageURL("generic", "", name, version, nil)
}

// distroPURL builds the purl of an OS package: the vendor is the
// lowercase ecosystem name without spaces, the release suffix the distro
// qualifier, and an epoch ("1:2.3-4") the epoch qualifier.
func distroPURL(typ, base, release, name, version string) string {
	vendor := strings.ToLower(strings.Fields(base)[0])
	q := map[string]string{}
	if release != "" {
		q["distro"] = vendor + "-" + strings.TrimPrefix(strings.ReplaceAll(release, ":", "-"), "v")
	}
	if typ != "apk" {
		if epoch, rest, ok := strings.Cut(version, ":"); ok && epoch != "" && strings.Trim(epoch, "0123456789") == "" {
			version = rest
			if epoch != "0" {
				q["epoch"] = epoch
			}
		}
	}
	return PackageURL(typ, vendor, name, version, q)
}
