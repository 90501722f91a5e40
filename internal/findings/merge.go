package findings

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Merge turns the findings of one scan (from any number of scanners and
// imported reports) into one finding per problem, sorted with Sort.
//
//   - Findings without a fingerprint get one (Fingerprint); findings
//     without sources get their own scanner and rule as source.
//   - One source reporting the same fingerprint at several places (the same
//     insecure call on two lines) has several occurrences: the first, in
//     location order, keeps the fingerprint, the n-th gets one derived from
//     it and n, so each stays its own finding and two tools reporting both
//     places agree place by place.
//   - Findings with the same fingerprint become one, as do dependency and
//     container package findings on the same package, version and file
//     that share an advisory id or alias (one tool says GHSA-x, another
//     CVE-y with alias GHSA-x).
//   - A merged finding takes the worst severity and its fields from the
//     most severe member (ties: scanner, rule, location); it has every
//     source (sorted, unique) and the union of CWEs, aliases, references,
//     OWASP categories and properties. Package findings merged through
//     aliases get their fingerprint recomputed from the union of ids.
//   - A merged finding is InlineIgnored when any member is: a marker on
//     the line turns the problem off for every tool that reports it, not
//     only for those that read the marker (sluice's secrets scanner
//     honours sluice:ignore, gitleaks does not). Occurrences on other
//     lines are other findings, so a marker never reaches past its line.
//
// The input is not modified. Merge is idempotent: merging its output
// again changes nothing.
func Merge(in []Finding) []Finding {
	fs := make([]Finding, len(in))
	for i := range in {
		fs[i] = clone(in[i])
		if fs[i].Fingerprint == "" {
			fs[i].Fingerprint = Fingerprint(&fs[i])
		}
		if len(fs[i].Sources) == 0 {
			fs[i].Sources = []Source{{Scanner: fs[i].Scanner, RuleID: fs[i].RuleID}}
		}
	}
	occ := assignOccurrences(fs)

	u := newUnion(len(fs))
	byFP := map[string]int{}
	byID := map[string]int{}
	for i := range fs {
		if j, ok := byFP[fs[i].Fingerprint]; ok {
			u.join(i, j)
		} else {
			byFP[fs[i].Fingerprint] = i
		}
		for _, k := range advisoryKeys(&fs[i]) {
			if j, ok := byID[k]; ok {
				u.join(i, j)
			} else {
				byID[k] = i
			}
		}
	}
	groups := map[int][]int{}
	var roots []int
	for i := range fs {
		r := u.find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}
	out := make([]Finding, 0, len(roots))
	for _, r := range roots {
		members := make([]Finding, 0, len(groups[r]))
		n := -1
		for _, i := range groups[r] {
			members = append(members, fs[i])
			if n < 0 || occ[i] < n {
				n = occ[i]
			}
		}
		out = append(out, combine(members, n))
	}
	Sort(out)
	return out
}

// assignOccurrences gives the n-th distinct location (n ≥ 1) of each
// (fingerprint, sources) pair a derived fingerprint and returns each
// finding's occurrence number.
func assignOccurrences(fs []Finding) []int {
	type key struct{ fp, src string }
	seen := map[key][]int{}
	var order []key
	for i := range fs {
		k := key{fs[i].Fingerprint, sourcesKey(fs[i].Sources)}
		if _, ok := seen[k]; !ok {
			order = append(order, k)
		}
		seen[k] = append(seen[k], i)
	}
	occ := make([]int, len(fs))
	for _, k := range order {
		idx := seen[k]
		if len(idx) < 2 {
			continue
		}
		slices.SortStableFunc(idx, func(a, b int) int { return compareLocation(fs[a].Location, fs[b].Location) })
		n := 0
		for j, i := range idx {
			if j > 0 && compareLocation(fs[idx[j-1]].Location, fs[i].Location) != 0 {
				n++
			}
			occ[i] = n
			fs[i].Fingerprint = occurrenceFingerprint(k.fp, n)
		}
	}
	return occ
}

// occurrenceFingerprint derives the fingerprint of the n-th occurrence;
// the first (n = 0) keeps fp.
func occurrenceFingerprint(fp string, n int) string {
	if n == 0 {
		return fp
	}
	return hashParts("occurrence", fp, strconv.Itoa(n))
}

// sourcesKey is a comparable form of a source list.
func sourcesKey(ss []Source) string {
	parts := make([]string, 0, len(ss))
	for _, s := range ss {
		parts = append(parts, s.Scanner+"\x00"+s.RuleID)
	}
	slices.Sort(parts)
	return strings.Join(parts, "\x01")
}

// compareLocation orders locations by file, position, package and URL.
func compareLocation(a, b Location) int {
	return cmp.Or(
		cmp.Compare(a.Path, b.Path),
		cmp.Compare(a.StartLine, b.StartLine),
		cmp.Compare(a.StartCol, b.StartCol),
		cmp.Compare(a.EndLine, b.EndLine),
		cmp.Compare(a.EndCol, b.EndCol),
		cmp.Compare(a.Package, b.Package),
		cmp.Compare(a.Version, b.Version),
		cmp.Compare(a.Image, b.Image),
		cmp.Compare(a.Layer, b.Layer),
		cmp.Compare(a.Resource, b.Resource),
		cmp.Compare(a.Method, b.Method),
		cmp.Compare(a.URL, b.URL),
	)
}

// advisoryKeys returns one key per advisory id of a package finding, so
// findings on the same package version and file sharing any id meet.
func advisoryKeys(f *Finding) []string {
	l := f.Location
	if (f.Category != Deps && f.Category != Container) || l.Package == "" {
		return nil
	}
	base := strings.Join([]string{normalizeEcosystem(l.Ecosystem), normalizePackage(l.Ecosystem, l.Package),
		normalizeVersion(l.Version), imageRepository(l.Image), cleanPath(l.Path)}, "\x00")
	var keys []string
	for _, id := range append([]string{f.RuleID}, f.Aliases...) {
		if id = normalizeAdvisory(id); id != "" {
			keys = append(keys, base+"\x00"+strings.ToUpper(id))
		}
	}
	return keys
}

// combine merges the members of one group; occ is its occurrence number.
func combine(members []Finding, occ int) Finding {
	if len(members) == 1 {
		f := members[0]
		f.Sources = uniqueSources(f.Sources)
		Classify(&f)
		return f
	}
	slices.SortStableFunc(members, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), cmp.Compare(a.Scanner, b.Scanner),
			cmp.Compare(a.RuleID, b.RuleID), compareLocation(a.Location, b.Location))
	})
	f := members[0]
	sameFP := true
	pkg := (f.Category == Deps || f.Category == Container) && f.Location.Package != ""
	for _, m := range members[1:] {
		sameFP = sameFP && m.Fingerprint == f.Fingerprint
		f.InlineIgnored = f.InlineIgnored || m.InlineIgnored
		f.Sources = append(f.Sources, m.Sources...)
		f.CWE = append(f.CWE, m.CWE...)
		f.OWASP2021 = append(f.OWASP2021, m.OWASP2021...)
		f.OWASP2025 = append(f.OWASP2025, m.OWASP2025...)
		f.Aliases = append(f.Aliases, m.Aliases...)
		if pkg {
			f.Aliases = append(f.Aliases, m.RuleID)
		}
		for _, r := range m.References {
			if !slices.Contains(f.References, r) {
				f.References = append(f.References, r)
			}
		}
		for k, v := range m.Properties {
			if _, ok := f.Properties[k]; !ok {
				if f.Properties == nil {
					f.Properties = map[string]string{}
				}
				f.Properties[k] = v
			}
		}
		fillEmpty(&f, &m)
	}
	f.Sources = uniqueSources(f.Sources)
	slices.Sort(f.CWE)
	f.CWE = slices.Compact(f.CWE)
	f.Aliases = slices.DeleteFunc(sortedUnique(f.Aliases), func(a string) bool { return a == f.RuleID })
	if len(f.Aliases) == 0 {
		f.Aliases = nil
	}
	Classify(&f)
	if !sameFP {
		f.Fingerprint = occurrenceFingerprint(Fingerprint(&f), occ)
	}
	return f
}

// fillEmpty copies into f the descriptive fields it lacks from m.
func fillEmpty(f, m *Finding) {
	for _, p := range []struct{ dst, src *string }{
		{&f.RuleName, &m.RuleName}, {&f.Title, &m.Title}, {&f.Message, &m.Message},
		{&f.Snippet, &m.Snippet}, {&f.Fix, &m.Fix}, {&f.FixedVersion, &m.FixedVersion},
	} {
		if *p.dst == "" {
			*p.dst = *p.src
		}
	}
	l, o := &f.Location, m.Location
	if l.Path == "" && o.Path != "" {
		l.Path, l.StartLine, l.EndLine, l.StartCol, l.EndCol = o.Path, o.StartLine, o.EndLine, o.StartCol, o.EndCol
	}
	for _, p := range []struct{ dst, src *string }{
		{&l.Package, &o.Package}, {&l.Version, &o.Version}, {&l.Ecosystem, &o.Ecosystem},
		{&l.Image, &o.Image}, {&l.Layer, &o.Layer}, {&l.Resource, &o.Resource},
		{&l.URL, &o.URL}, {&l.Method, &o.Method},
	} {
		if *p.dst == "" {
			*p.dst = *p.src
		}
	}
}

// uniqueSources sorts sources by scanner, then rule, and drops duplicates.
func uniqueSources(ss []Source) []Source {
	out := slices.Clone(ss)
	slices.SortFunc(out, func(a, b Source) int {
		return cmp.Or(cmp.Compare(a.Scanner, b.Scanner), cmp.Compare(a.RuleID, b.RuleID))
	})
	return slices.Compact(out)
}

// clone copies f deeply, so merging never writes into the caller's slices
// and maps.
func clone(f Finding) Finding {
	f.CWE = slices.Clone(f.CWE)
	f.OWASP2021 = slices.Clone(f.OWASP2021)
	f.OWASP2025 = slices.Clone(f.OWASP2025)
	f.Aliases = slices.Clone(f.Aliases)
	f.References = slices.Clone(f.References)
	f.Sources = slices.Clone(f.Sources)
	f.Properties = maps.Clone(f.Properties)
	return f
}

// union is a disjoint-set forest over finding indexes.
type union struct{ parent []int }

func newUnion(n int) *union {
	u := &union{parent: make([]int, n)}
	for i := range u.parent {
		u.parent[i] = i
	}
	return u
}

func (u *union) find(i int) int {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

// join links the sets of i and j; the smaller index becomes the root, so
// groups come out in input order.
func (u *union) join(i, j int) {
	a, b := u.find(i), u.find(j)
	if a == b {
		return
	}
	if a < b {
		u.parent[b] = a
	} else {
		u.parent[a] = b
	}
}
