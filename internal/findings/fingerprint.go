package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
)

// FingerprintKey names sluice's fingerprint scheme; SARIF output carries the
// fingerprint under this key in partialFingerprints.
const FingerprintKey = "sluice/v1"

// Property keys with a meaning to this package.
const (
	// PropSecretSHA256 holds the hex SHA-256 of a secret's value; secrets
	// scanners set it so the fingerprint does not depend on the scanner.
	PropSecretSHA256 = "secret_sha256"
	// PropParameter names the request parameter a DAST finding is about.
	PropParameter = "parameter"
	// PropDescription is a longer description of the rule than the title,
	// which reports show as the rule's description when set.
	PropDescription = "description"
	// PropToolFingerprint prefixes properties holding another tool's
	// fingerprints ("fingerprint:primaryLocationLineHash"), kept from
	// imported SARIF and written back to SARIF.
	PropToolFingerprint = "fingerprint:"
)

// Fingerprint returns the identity of f across runs: the first 32 hex
// digits (128 bits) of a SHA-256 over the scheme name, the kind of finding
// and the facts below, joined with NUL bytes. The facts are chosen so that
// unrelated edits (lines added above, other code renamed, the scan run from
// another checkout) leave the fingerprint alone, and fixing or changing the
// offending thing changes it.
//
//   - secrets: the secret's hash (Properties[PropSecretSHA256]) and the file,
//     so two scanners finding the same secret agree whatever their rule ids.
//   - deps, and container findings naming a package: ecosystem, package,
//     version and one advisory id — the lowest CVE among RuleID and
//     Aliases, else the lowest GHSA, else the lowest id — so tools that
//     report GHSA-x and CVE-y for one advisory agree when the aliases are
//     known. Container findings add the image repository (without tag or
//     digest, so a new build of the same image keeps its findings).
//   - iac: file, resource and rule; without a resource, like sast.
//   - dast: rule, method and URL path with the query parameter names (not
//     their values), plus Properties[PropParameter].
//   - sast (and anything else): rule, file and the offending code with
//     whitespace runs collapsed (Snippet), not the line number. Without a
//     snippet, a fingerprint the reporting tool gave (a
//     PropToolFingerprint property), and only as a last resort the line.
//
// Two reports of one problem in one file (the same call on two lines)
// share a fingerprint here; Merge tells them apart by occurrence.
func Fingerprint(f *Finding) string {
	return hashParts(fingerprintParts(f)...)
}

// fingerprintParts returns the facts Fingerprint hashes, kind first.
func fingerprintParts(f *Finding) []string {
	loc := f.Location
	file := cleanPath(loc.Path)
	switch {
	case f.Category == Secrets && f.Properties[PropSecretSHA256] != "":
		return []string{"secret", strings.ToLower(f.Properties[PropSecretSHA256]), file}
	case (f.Category == Deps || f.Category == Container) && loc.Package != "":
		parts := []string{"package", normalizeEcosystem(loc.Ecosystem),
			normalizePackage(loc.Ecosystem, loc.Package), normalizeVersion(loc.Version),
			AdvisoryID(f.RuleID, f.Aliases)}
		if f.Category == Container {
			parts = append(parts, imageRepository(loc.Image))
		}
		return parts
	case f.Category == IaC && loc.Resource != "":
		return []string{"resource", file, loc.Resource, f.RuleID}
	case f.Category == DAST && loc.URL != "":
		method := strings.ToUpper(loc.Method)
		if method == "" {
			method = "GET"
		}
		return []string{"request", f.RuleID, method, urlShape(loc.URL), f.Properties[PropParameter]}
	case f.Category == Container && loc.Image != "" && loc.Path == "":
		return []string{"image", f.RuleID, imageRepository(loc.Image)}
	}
	if ctx := normalizeContext(f.Snippet); ctx != "" {
		return []string{"code", f.RuleID, file, ctx}
	}
	if tf := toolFingerprint(f.Properties); tf != "" {
		return []string{"tool", f.RuleID, file, tf}
	}
	return []string{"line", f.RuleID, file, strconv.Itoa(loc.StartLine), loc.Resource, loc.Package, loc.URL, loc.Image}
}

// hashParts hashes the scheme name and parts joined with NUL bytes.
func hashParts(parts ...string) string {
	h := sha256.New()
	h.Write([]byte(FingerprintKey))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// normalizeContext collapses every whitespace run to one space and trims
// the ends, so re-indenting or re-wrapping code keeps its fingerprint. An
// inline ignore marker and the rest of its line are cut first (with the
// comment opener before it), so marking a finding does not change it.
func normalizeContext(s string) string {
	if strings.Contains(s, "sluice:ignore") || strings.Contains(s, "gitleaks:allow") {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			lines[i] = cutMarker(l)
		}
		s = strings.Join(lines, "\n")
	}
	return strings.Join(strings.Fields(s), " ")
}

// cutMarker removes an inline ignore marker, what follows it on the line,
// and the comment opener right before it.
func cutMarker(line string) string {
	i := strings.Index(line, "sluice:ignore")
	if j := strings.Index(line, "gitleaks:allow"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return line
	}
	line = strings.TrimRight(line[:i], " \t")
	for _, opener := range []string{"//", "#", "/*", "--"} {
		if strings.HasSuffix(line, opener) {
			return strings.TrimRight(strings.TrimSuffix(line, opener), " \t")
		}
	}
	return line
}

// toolFingerprint returns the tool fingerprint property with the smallest
// key, "" when there is none.
func toolFingerprint(props map[string]string) string {
	var keys []string
	for k, v := range props {
		if strings.HasPrefix(k, PropToolFingerprint) && v != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	slices.Sort(keys)
	return keys[0] + "=" + props[keys[0]]
}

// cleanPath makes a location path comparable: forward slashes, no leading
// "./", cleaned. Empty stays empty.
func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	p = path.Clean(strings.ReplaceAll(p, "\\", "/"))
	return strings.TrimPrefix(p, "./")
}

// ecosystems maps the spellings tools use to the OSV ecosystem names,
// lowercased.
var ecosystems = map[string]string{
	"golang": "go", "gomod": "go", "go": "go",
	"pypi": "pypi", "pip": "pypi", "python": "pypi", "poetry": "pypi", "pipenv": "pypi",
	"npm": "npm", "yarn": "npm", "pnpm": "npm", "node": "npm", "javascript": "npm",
	"maven": "maven", "java": "maven", "gradle": "maven",
	"crates.io": "crates.io", "cargo": "crates.io", "rust": "crates.io",
	"rubygems": "rubygems", "gem": "rubygems", "bundler": "rubygems", "ruby": "rubygems",
	"packagist": "packagist", "composer": "packagist", "php": "packagist",
	"nuget": "nuget", "dotnet": "nuget",
}

// normalizeEcosystem maps an ecosystem to its lowercase OSV name; unknown
// ones (Debian:12, Alpine:v3.19 …) are lowercased.
func normalizeEcosystem(e string) string {
	e = strings.ToLower(strings.TrimSpace(e))
	if n, ok := ecosystems[e]; ok {
		return n
	}
	return e
}

// normalizePackage makes a package name comparable the way its ecosystem
// does: PyPI names are case-insensitive with runs of "-", "_" and "."
// equivalent (PEP 503); npm, Maven, NuGet, Packagist and RubyGems names are
// compared case-insensitively; Go module paths and crate names as written.
func normalizePackage(eco, name string) string {
	name = strings.TrimSpace(name)
	switch normalizeEcosystem(eco) {
	case "pypi":
		var b strings.Builder
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
	case "npm", "maven", "nuget", "packagist", "rubygems":
		return strings.ToLower(name)
	}
	return name
}

// normalizeVersion drops a leading "v" before a digit, which some tools
// print for Go modules and others do not.
func normalizeVersion(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 1 && (v[0] == 'v' || v[0] == 'V') && v[1] >= '0' && v[1] <= '9' {
		return v[1:]
	}
	return v
}

// AdvisoryID picks the id that stands for an advisory known under several
// ids: the lowest CVE (by year, then number), else the lowest GHSA, else
// the lowest id of all, compared case-insensitively. ids is the advisory's
// own id followed by its aliases; empty ids are ignored.
func AdvisoryID(id string, aliases []string) string {
	var cves, ghsas, others []string
	for _, a := range append([]string{id}, aliases...) {
		a = normalizeAdvisory(a)
		switch {
		case a == "":
		case strings.HasPrefix(a, "CVE-"):
			cves = append(cves, a)
		case strings.HasPrefix(a, "GHSA-"):
			ghsas = append(ghsas, a)
		default:
			others = append(others, a)
		}
	}
	switch {
	case len(cves) > 0:
		return slices.MinFunc(cves, compareCVE)
	case len(ghsas) > 0:
		return slices.Min(ghsas)
	case len(others) > 0:
		return slices.MinFunc(others, func(a, b string) int {
			return strings.Compare(strings.ToLower(a), strings.ToLower(b))
		})
	}
	return ""
}

// normalizeAdvisory spells CVE ids upper case and GHSA ids as GitHub does
// ("GHSA-" then lowercase).
func normalizeAdvisory(a string) string {
	a = strings.TrimSpace(a)
	u := strings.ToUpper(a)
	switch {
	case strings.HasPrefix(u, "CVE-"):
		return u
	case strings.HasPrefix(u, "GHSA-"):
		return "GHSA-" + strings.ToLower(a[5:])
	}
	return a
}

// compareCVE orders CVE ids by year, then number; ids that do not parse
// sort after those that do, by text.
func compareCVE(a, b string) int {
	ay, an, aok := parseCVE(a)
	by, bn, bok := parseCVE(b)
	switch {
	case aok && bok:
		if ay != by {
			return ay - by
		}
		return an - bn
	case aok:
		return -1
	case bok:
		return 1
	}
	return strings.Compare(a, b)
}

// parseCVE splits "CVE-2021-44228" into 2021 and 44228.
func parseCVE(id string) (year, num int, ok bool) {
	parts := strings.Split(id, "-")
	if len(parts) != 3 {
		return 0, 0, false
	}
	y, err1 := strconv.Atoi(parts[1])
	n, err2 := strconv.Atoi(parts[2])
	return y, n, err1 == nil && err2 == nil
}

// imageRepository strips the tag and digest from an image reference:
// "ghcr.io/acme/app:1.2@sha256:…" → "ghcr.io/acme/app".
func imageRepository(ref string) string {
	ref = strings.TrimSpace(ref)
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// urlShape keeps a URL's path and the sorted names of its query
// parameters, dropping scheme, host, values and fragment, so one endpoint
// has one identity across hosts and payloads.
func urlShape(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		s, _, _ := strings.Cut(raw, "?")
		return s
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	q := u.Query()
	if len(q) == 0 {
		return p
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	return p + "?" + strings.Join(names, "&")
}
