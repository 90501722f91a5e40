package deps

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/osv"
	"github.com/sluice-ci/sluice/internal/scan"
)

// skipDirs are never searched for lockfiles: installed packages and
// sluice's own data.
var skipDirs = map[string]bool{".git": true, "node_modules": true, ".sluice": true}

// lockfiles lists the lockfiles and manifests of a target, relative to
// its root with forward slashes, sorted. A go.sum is left out when its
// folder has a go.mod, which says more precisely what is built.
func lockfiles(ctx context.Context, t *scan.Target) ([]string, error) {
	var files []string
	if len(t.Files) > 0 {
		for _, rel := range t.Files {
			if _, ok := parserFor(rel); ok && !underSkipped(rel) {
				files = append(files, rel)
			}
		}
	} else {
		err := filepath.WalkDir(t.Root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // an unreadable folder: the walk goes on
			}
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if d.IsDir() {
				if skipDirs[d.Name()] && p != t.Root {
					return fs.SkipDir
				}
				return nil
			}
			rel, err := filepath.Rel(t.Root, p)
			if err != nil {
				return nil
			}
			rel = filepath.ToSlash(rel)
			if _, ok := parserFor(rel); ok && d.Type().IsRegular() {
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("find lockfiles in %s: %w", t.Root, err)
		}
	}
	have := map[string]bool{}
	for _, f := range files {
		have[f] = true
	}
	files = slices.DeleteFunc(files, func(f string) bool {
		return path.Base(f) == "go.sum" && have[path.Join(path.Dir(f), "go.mod")]
	})
	slices.Sort(files)
	return files, nil
}

func underSkipped(rel string) bool {
	for _, part := range strings.Split(path.Dir(rel), "/") {
		if skipDirs[part] {
			return true
		}
	}
	return false
}

type query struct{ eco, name, version string }

// run is one Scan.
type run struct {
	root       string
	db         *osv.DB
	report     func(findings.Finding)
	maxSize    int64
	cache      map[query][]osv.Vuln
	queued     map[query]bool
	ecosystems map[string]bool
	health     scan.Health
	start      time.Time
}

// maxSkippedListed bounds how many skipped declarations one file's note
// names; maxDBErrorsListed how many unreadable advisories are listed.
const (
	maxSkippedListed  = 5
	maxDBErrorsListed = 20
)

func (r *run) inputError(rel, format string, args ...any) {
	r.health.Errors = append(r.health.Errors, scan.InputError{Path: rel, Err: fmt.Sprintf(format, args...)})
}

// file parses one lockfile and returns its distinct packages.
func (r *run) file(rel string) []Package {
	abs := filepath.Join(r.root, filepath.FromSlash(rel))
	info, err := os.Stat(abs)
	if err != nil {
		r.inputError(rel, "%v", err)
		return nil
	}
	if info.Size() > r.maxSize {
		r.inputError(rel, "not read: %d bytes is more than the %d-byte limit", info.Size(), r.maxSize)
		return nil
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		r.inputError(rel, "%v", err)
		return nil
	}
	parse, _ := parserFor(rel)
	res, err := safeParse(parse, data)
	if err != nil {
		r.inputError(rel, "malformed %s: %v", path.Base(rel), err)
		return nil
	}
	r.health.Files++
	if n := len(res.skipped); n > 0 {
		list := res.skipped[:min(n, maxSkippedListed)]
		more := ""
		if n > maxSkippedListed {
			more = fmt.Sprintf(" and %d more", n-maxSkippedListed)
		}
		noun := "declarations"
		if n == 1 {
			noun = "declaration"
		}
		r.inputError(rel, "%d %s not checked: %s%s", n, noun, strings.Join(list, ", "), more)
	}
	seen := map[query]bool{}
	var out []Package
	for _, p := range res.pkgs {
		q := queryOf(p)
		if seen[q] {
			continue // the same version installed twice: reported at its first line
		}
		seen[q] = true
		out = append(out, p)
		r.ecosystems[p.Ecosystem] = true
	}
	r.health.Packages += len(out)
	return out
}

func queryOf(p Package) query {
	return query{p.Ecosystem, osv.NormalizeName(p.Ecosystem, p.Name), p.Version}
}

// queryAll asks the database about every distinct package version.
func (r *run) queryAll(ctx context.Context, files []lockfile) {
	var todo []osv.Query
	var keys []query
	for _, f := range files {
		for _, p := range f.pkgs {
			if q := queryOf(p); !r.queued[q] {
				r.queued[q] = true
				todo = append(todo, osv.Query{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version})
				keys = append(keys, q)
			}
		}
	}
	found := r.db.QueryAll(ctx, todo)
	for i, q := range todo {
		r.cache[keys[i]] = found[q]
	}
}

// reportAll reports a finding per advisory affecting each package, in
// lockfile order.
func (r *run) reportAll(files []lockfile) {
	for _, f := range files {
		for _, p := range f.pkgs {
			for _, v := range r.cache[queryOf(p)] {
				r.health.Findings++
				fd := newFinding(f.rel, p, v)
				if kev, ok := r.db.KnownExploited(append([]string{v.ID}, v.Aliases...)...); ok {
					fd.Properties["known_exploited"] = "true"
					fd.Properties["kev_date_added"] = kev.DateAdded
					if kev.Ransomware {
						fd.Properties["kev_ransomware"] = "known"
					}
					fd.Message += fmt.Sprintf("; %s is known to be exploited in the wild (listed %s)", kev.CVE, kev.DateAdded)
				}
				r.report(fd)
			}
		}
	}
}

// lockfile is a parsed lockfile's distinct packages.
type lockfile struct {
	rel  string
	pkgs []Package
}

// safeParse runs a parser, turning a panic in it (or in a library under
// it) into an error for this file, so one odd lockfile cannot stop the
// scan.
func safeParse(parse parseFunc, data []byte) (res parsed, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parser failed: %v", p)
		}
	}()
	return parse(data)
}

// finish fills in the health figures that depend on the whole run.
func (r *run) finish() {
	h := &r.health
	h.Scanner = "deps"
	h.Status = scan.Ran
	h.Duration = time.Since(r.start)
	for _, eco := range slices.Sorted(maps.Keys(r.ecosystems)) {
		if !r.db.HasEcosystem(eco) {
			r.inputError(r.db.Dir(), "no advisories for ecosystem %s in the database: its packages were not checked; run 'sluice db update'", eco)
			continue
		}
		if u := r.db.Updated(eco); !u.IsZero() && (h.DBUpdated.IsZero() || u.Before(h.DBUpdated)) {
			h.DBUpdated = u
		}
	}
	dbErrs := r.db.Errors()
	for i, e := range dbErrs {
		if i == maxDBErrorsListed {
			r.inputError("vulndb:", "%d more unreadable advisories", len(dbErrs)-i)
			break
		}
		src := e.Source
		if rel, err := filepath.Rel(r.db.Dir(), src); err == nil {
			src = filepath.ToSlash(rel)
		}
		r.inputError("vulndb:"+src, "unreadable advisory: %v", e.Err)
	}
	h.Partial = len(h.Errors) > 0
}

// newFinding turns an advisory affecting a package into a finding.
func newFinding(rel string, p Package, v osv.Vuln) findings.Finding {
	sev, source := severity(v)
	f := findings.Finding{
		Scanner:  "deps",
		RuleID:   v.ID,
		RuleName: v.ID,
		Category: findings.Deps,
		Severity: sev,
		Title:    v.Summary,
		Location: findings.Location{
			Path: rel, StartLine: p.Line,
			Package: p.Name, Version: p.Version, Ecosystem: p.Ecosystem,
		},
		FixedVersion: v.Fixed,
		Aliases:      v.Aliases,
		References:   v.References,
		Sources:      []findings.Source{{Scanner: "deps", RuleID: v.ID}},
		Properties:   map[string]string{"severity_source": source},
	}
	if f.Title == "" {
		f.Title = fmt.Sprintf("%s in %s", v.ID, p.Name)
	}
	f.Message = fmt.Sprintf("%s %s (%s) is affected by %s", p.Name, p.Version, p.Ecosystem, v.ID)
	if v.Fixed != "" {
		f.Message += "; fixed in " + v.Fixed
		f.Fix = fmt.Sprintf("upgrade %s to %s", p.Name, v.Fixed)
	} else {
		f.Message += "; no fixed version is known"
		f.Fix = fmt.Sprintf("no fixed version of %s is known: replace or remove it, or accept the risk", p.Name)
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

// severity takes the CVSS v3 base score when there is one, else the
// database's own word; with neither, medium, so that an unrated advisory
// is neither dropped by a "high" gate nor shown as critical.
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
