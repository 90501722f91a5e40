package image

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/osv"
	"github.com/sluice-ci/sluice/internal/scan"
)

// matcher looks an image's packages up in the vulnerability database.
type matcher struct {
	db    *osv.DB
	start time.Time
}

func newMatcher(db *osv.DB) *matcher { return &matcher{db: db, start: time.Now()} }

type query struct{ eco, name, version string }

func queryOf(p *pkg) query {
	return query{p.ecosystem, osv.NormalizeName(p.ecosystem, p.queryName()), p.queryVersion()}
}

// maxDBErrorsListed bounds how many unreadable advisories Health lists.
const maxDBErrorsListed = 20

// match queries every distinct package version, reports a finding per
// advisory and package, and returns the scan's health.
func (m *matcher) match(ctx context.Context, r *result, report func(findings.Finding)) scan.Health {
	h := scan.Health{Scanner: "image", Status: scan.Ran, Files: r.files, Errors: r.errs}
	var todo []query
	seen := map[query]bool{}
	unchecked := map[string]int{}
	for i := range r.pkgs {
		p := &r.pkgs[i]
		if p.typ != "operating-system" {
			h.Packages++
		}
		if !p.matchable() {
			continue
		}
		if !m.db.HasEcosystem(p.ecosystem) {
			unchecked[baseEcosystem(p.ecosystem)]++
			continue
		}
		if q := queryOf(p); !seen[q] {
			seen[q] = true
			todo = append(todo, q)
		}
	}
	results := m.queryAll(ctx, todo)
	for i := range r.pkgs {
		p := &r.pkgs[i]
		if !p.matchable() {
			continue
		}
		for _, v := range results[queryOf(p)] {
			h.Findings++
			report(advisoryFinding(r, p, v))
		}
	}
	for _, eco := range slices.Sorted(maps.Keys(unchecked)) {
		h.Errors = append(h.Errors, scan.InputError{Path: m.db.Dir(), Err: fmt.Sprintf(
			"no advisories for ecosystem %s in the database: %d packages were not checked; run 'sluice db update'", eco, unchecked[eco])})
	}
	ecos := map[string]bool{}
	for q := range seen {
		ecos[baseEcosystem(q.eco)] = true
	}
	for eco := range ecos {
		if u := m.db.Updated(eco); !u.IsZero() && (h.DBUpdated.IsZero() || u.Before(h.DBUpdated)) {
			h.DBUpdated = u
		}
	}
	for i, e := range m.db.Errors() {
		if i == maxDBErrorsListed {
			h.Errors = append(h.Errors, scan.InputError{Path: "vulndb:", Err: fmt.Sprintf("%d more unreadable advisories", len(m.db.Errors())-i)})
			break
		}
		h.Errors = append(h.Errors, scan.InputError{Path: "vulndb:" + e.Source, Err: "unreadable advisory: " + e.Err.Error()})
	}
	h.Partial = len(h.Errors) > 0
	h.Reason = r.summary(h.Packages)
	h.Duration = time.Since(m.start)
	return h
}

// queryAll asks the database about each query.
func (m *matcher) queryAll(ctx context.Context, todo []query) map[query][]osv.Vuln {
	qs := make([]osv.Query, len(todo))
	for i, q := range todo {
		qs[i] = osv.Query{Ecosystem: q.eco, Name: q.name, Version: q.version}
	}
	found := m.db.QueryAll(ctx, qs)
	out := make(map[query][]osv.Vuln, len(todo))
	for i, q := range todo {
		out[q] = found[qs[i]]
	}
	return out
}

// summary is the health's one-line account of the image: its name,
// digest, layers, OS and package count.
func (r *result) summary(pkgs int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "image %s digest %s", r.name, r.digest)
	if r.platformDigest != "" && r.platformDigest != r.digest {
		fmt.Fprintf(&b, " (platform image %s)", r.platformDigest)
	}
	fmt.Fprintf(&b, ", %d layers", r.layers)
	if n := r.distro.name(); n != "" {
		fmt.Fprintf(&b, ", %s", n)
	}
	fmt.Fprintf(&b, ", %d packages", pkgs)
	return b.String()
}

// advisoryFinding turns an advisory affecting a package into a finding.
func advisoryFinding(r *result, p *pkg, v osv.Vuln) findings.Finding {
	sev, source := severity(v)
	f := findings.Finding{
		Scanner:  "image",
		RuleID:   v.ID,
		RuleName: v.ID,
		Category: findings.Container,
		Severity: sev,
		Title:    v.Summary,
		Location: findings.Location{
			Image: r.name, Layer: p.layer, Path: p.path, StartLine: p.line,
			Package: p.name, Version: p.version, Ecosystem: p.ecosystem,
		},
		FixedVersion: v.Fixed,
		Aliases:      v.Aliases,
		References:   v.References,
		Sources:      []findings.Source{{Scanner: "image", RuleID: v.ID}},
		Properties:   map[string]string{"severity_source": source, "image_digest": r.digest},
	}
	if f.Title == "" {
		f.Title = fmt.Sprintf("%s in %s", v.ID, p.name)
	}
	what := fmt.Sprintf("%s %s", p.name, p.version)
	if p.srcName != "" && (p.srcName != p.name || p.queryVersion() != p.version) {
		what += fmt.Sprintf(" (source package %s %s)", p.srcName, p.queryVersion())
		f.Properties["source_package"] = p.srcName
	}
	f.Message = fmt.Sprintf("%s [%s] in image %s is affected by %s", what, p.ecosystem, r.name, v.ID)
	if v.Fixed != "" {
		f.Message += "; fixed in " + v.Fixed
		f.Fix = fmt.Sprintf("upgrade %s to %s or later", fixTarget(p), v.Fixed)
		if p.typ != "application" && p.path != "" && isOSDatabase(p.path) {
			f.Fix += " (rebuild the image on an updated base image, or upgrade the package in the Dockerfile)"
		}
	} else {
		f.Message += "; no fixed version is known"
		f.Fix = fmt.Sprintf("no fixed version of %s is known: remove it from the image, or accept the risk", fixTarget(p))
	}
	for _, c := range v.CWEs {
		if n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(c), "CWE-")); err == nil {
			f.CWE = append(f.CWE, n)
		}
	}
	if v.Vector != "" {
		f.Properties["cvss_vector"] = v.Vector
	}
	if v.Score > 0 {
		f.Properties["cvss_score"] = strconv.FormatFloat(v.Score, 'f', 1, 64)
	}
	return f
}

func fixTarget(p *pkg) string {
	if p.srcName != "" && p.srcName != p.name {
		return p.srcName
	}
	return p.name
}

func isOSDatabase(p string) bool {
	return strings.HasPrefix(p, "/var/lib/dpkg/") || strings.HasSuffix(p, "/apk/db/installed") || strings.HasSuffix(p, "rpmdb.sqlite")
}

// severity takes the CVSS v3 base score when there is one, else the
// database's own word (Ubuntu's priority, GHSA's rating); with neither,
// medium, so that an unrated advisory is neither dropped by a "high" gate
// nor shown as critical. Debian's records carry no rating, so their
// findings are medium unless the record has a CVSS vector.
func severity(v osv.Vuln) (findings.Severity, string) {
	if v.Score > 0 {
		return findings.FromCVSS(v.Score), "cvss"
	}
	if v.SeverityLabel != "" {
		if s, err := findings.ParseSeverity(v.SeverityLabel); err == nil {
			return s, "database"
		}
	}
	return findings.Medium, "unrated"
}

// mutableTagFinding flags an image referenced by a tag, which its
// registry can point at another image at any time.
func mutableTagFinding(r *result) findings.Finding {
	pinned := r.repository + "@" + r.digest
	return findings.Finding{
		Scanner:  "image",
		RuleID:   RuleMutableTag,
		RuleName: "Image referenced by a mutable tag",
		Category: findings.Container,
		Severity: findings.Medium,
		Title:    "Image referenced by a mutable tag instead of a digest",
		Message: fmt.Sprintf("%s names the tag %q, which can be moved to another image; it points at %s now",
			r.name, r.mutableTag, r.digest),
		CWE:        []int{494},
		Location:   findings.Location{Image: r.name},
		Fix:        "reference the image by digest: " + pinned,
		Sources:    []findings.Source{{Scanner: "image", RuleID: RuleMutableTag}},
		Properties: map[string]string{"image_digest": r.digest, "pinned_reference": pinned},
	}
}
