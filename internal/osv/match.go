package osv

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// Vuln is an advisory that affects a queried package version.
type Vuln struct {
	ID      string
	Aliases []string
	Summary string
	// Score is the CVSS base score computed from Vector; 0 when the record
	// has no CVSS v3 vector (a CVSS v4 vector is kept in Vector but not
	// scored: use SeverityLabel then).
	Score  float64
	Vector string
	// SeverityLabel is the database's own word (GHSA's database_specific
	// severity: LOW, MODERATE, HIGH, CRITICAL; or Ubuntu's priority).
	SeverityLabel string
	// CWEs are ids like "CWE-79".
	CWEs []string
	// Fixed is the smallest fixed version above the queried one in the
	// range that matched; "" when no fix is known.
	Fixed      string
	References []string
	Modified   string
	Record     *Record
}

// Query returns the advisories that affect version of the named package,
// in advisory id order. Withdrawn advisories are never returned, nor are
// advisories whose ranges cannot be evaluated for this version (an
// unparsable version or event): a version outside every range, or one
// that cannot be placed, is not reported.
func (db *DB) Query(ecosystem, name, version string) []Vuln {
	eco := CanonicalEcosystem(ecosystem)
	base := baseEcosystem(eco)
	version = strings.TrimSpace(version)
	if version == "" {
		return nil
	}
	db.mu.Lock()
	db.ensureLoaded(base)
	db.mu.Unlock()
	recs := db.lookup(indexKey{base, NormalizeName(base, name)})

	inst := parseInstalled(base, version)
	var out []Vuln
	for _, r := range recs {
		matched := false
		fixed := ""
		var affected *Affected
		for i := range r.Affected {
			a := &r.Affected[i]
			if !sameEcosystem(eco, CanonicalEcosystem(a.Package.Ecosystem)) ||
				NormalizeName(base, a.Package.Name) != NormalizeName(base, name) {
				continue
			}
			ok, fix := affects(a, base, version, inst)
			if !ok {
				continue
			}
			if !matched || (fix != "" && (fixed == "" || lessVersion(base, fix, fixed))) {
				fixed = fix
			}
			if !matched {
				affected = a
			}
			matched = true
		}
		if matched {
			out = append(out, newVuln(r, affected, fixed))
		}
	}
	slices.SortFunc(out, func(a, b Vuln) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// sameEcosystem matches a queried ecosystem with an affected entry's:
// "Debian" matches any Debian release, "Debian:12" matches "Debian:12"
// and plain "Debian".
func sameEcosystem(query, affected string) bool {
	if baseEcosystem(query) != baseEcosystem(affected) {
		return false
	}
	if !strings.Contains(query, ":") || !strings.Contains(affected, ":") {
		return true
	}
	return query == affected
}

// parseInstalled parses the queried version in the ecosystem's ordering;
// nil when it is not a version there (a git URL, a tag, "latest").
func parseInstalled(eco, version string) semantic.Version {
	v, err := parseVersion(eco, version)
	if err != nil {
		return nil
	}
	return v
}

// parseVersion parses a version of an ecosystem. The parsers accept
// almost anything (a Maven or SemVer parser turns "latest" into some
// version, PyPI falls back to legacy versions that sort before all
// others), so text that cannot be a version there is refused first:
// every ecosystem's versions start with a digit (after Go's or
// Composer's "v"), and PyPI's must follow PEP 440.
func parseVersion(eco, version string) (semantic.Version, error) {
	if !looksNumeric(version) || (eco == PyPI && !pep440.MatchString(strings.ToLower(version))) {
		return nil, fmt.Errorf("%q is not a %s version", version, eco)
	}
	return semantic.Parse(version, eco)
}

func looksNumeric(v string) bool {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "v"), "V")
	return v != "" && v[0] >= '0' && v[0] <= '9'
}

// pep440 is the version grammar of PEP 440 (Appendix B), lowercase.
var pep440 = regexp.MustCompile(`^\s*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*` +
	`(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?` +
	`(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?` +
	`(?:[-_.]?dev[-_.]?[0-9]*)?` +
	`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$`)

// affects evaluates one affected entry for the version: first the
// explicit versions list, then the ranges. It returns the fixed version
// of the matching range (the smallest fixed event above the version).
func affects(a *Affected, eco, version string, inst semantic.Version) (bool, string) {
	listed := false
	for _, v := range a.Versions {
		if v == version || (inst != nil && compareStr(inst, v) == 0) {
			listed = true
			break
		}
	}
	hit := listed
	fixed := ""
	for _, r := range a.Ranges {
		var in bool
		var fix string
		switch r.Type {
		case RangeSemver:
			if !looksNumeric(version) {
				continue
			}
			in, fix = evalRange(r.Events, semantic.ParseSemverVersion(strings.TrimPrefix(version, "v")), semverParse)
		case RangeEcosystem:
			if inst == nil {
				continue
			}
			in, fix = evalRange(r.Events, inst, func(s string) (semantic.Version, error) { return parseVersion(eco, s) })
		default:
			continue // GIT ranges need commits, which lockfiles do not give
		}
		if !in && !listed {
			continue
		}
		if fix != "" && (fixed == "" || lessVersion(eco, fix, fixed)) {
			fixed = fix
		}
		hit = hit || in
	}
	return hit, fixed
}

func semverParse(s string) (semantic.Version, error) {
	return semantic.ParseSemverVersion(strings.TrimPrefix(s, "v")), nil
}

// compareStr compares an installed version with s; 2 when s does not
// parse.
func compareStr(inst semantic.Version, s string) int {
	c, err := inst.CompareStr(s)
	if err != nil {
		return 2
	}
	return c
}

// lessVersion orders two fixed versions of an ecosystem, falling back to
// text order when one does not parse.
func lessVersion(eco, a, b string) bool {
	c, err := Compare(eco, a, b)
	if err != nil {
		return a < b
	}
	return c < 0
}

func newVuln(r *Record, a *Affected, fixed string) Vuln {
	v := Vuln{
		ID:       r.ID,
		Aliases:  slices.Clone(r.Aliases),
		Summary:  r.Summary,
		Fixed:    fixed,
		Modified: r.Modified,
		Record:   r,
	}
	if v.Summary == "" {
		v.Summary = firstLine(r.Details)
	}
	spec := r.Specific()
	v.CWEs = spec.CWEIDs
	v.SeverityLabel = spec.Severity
	sevs := append(slices.Clone(r.Severity), a.Severity...)
	for _, s := range sevs {
		switch s.Type {
		case "CVSS_V3":
			if score, err := CVSS3Score(s.Score); err == nil && v.Score == 0 {
				v.Score, v.Vector = score, s.Score
			}
		case "CVSS_V4":
			if v.Score == 0 {
				v.Vector = s.Score
			}
		case "Ubuntu":
			if v.SeverityLabel == "" {
				v.SeverityLabel = s.Score
			}
		}
	}
	if v.SeverityLabel == "" {
		v.SeverityLabel = specificSeverity(a.EcosystemSpecific)
	}
	if v.SeverityLabel == "" {
		v.SeverityLabel = specificSeverity(a.DatabaseSpecific)
	}
	for _, ref := range r.References {
		if ref.URL != "" {
			v.References = append(v.References, ref.URL)
		}
	}
	return v
}

// specificSeverity reads a "severity" word from a free-form object.
func specificSeverity(raw json.RawMessage) string {
	var s struct {
		Severity json.RawMessage `json:"severity"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	var word string
	if json.Unmarshal(s.Severity, &word) != nil {
		return ""
	}
	return word
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	const maxLen = 120
	if len(s) > maxLen {
		s = s[:maxLen] + "…"
	}
	return s
}

// Compare orders two versions of an ecosystem with its own rules (PEP 440
// for PyPI, Maven's ComparableVersion, dpkg for Debian, SemVer for npm …):
// -1, 0 or +1. It fails when the ecosystem is not supported or a version
// does not parse.
func Compare(ecosystem, a, b string) (int, error) {
	eco := baseEcosystem(CanonicalEcosystem(ecosystem))
	va, err := parseVersion(eco, a)
	if err != nil {
		return 0, fmt.Errorf("compare %s versions: %w", eco, err)
	}
	vb, err := parseVersion(eco, b)
	if err != nil {
		return 0, fmt.Errorf("compare %s versions: %w", eco, err)
	}
	c, err := va.Compare(vb)
	if err != nil {
		return 0, fmt.Errorf("compare %s versions: %w", eco, err)
	}
	return c, nil
}
