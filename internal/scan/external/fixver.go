package external

import (
	"strconv"
	"strings"
)

// fixFor picks, among the versions a tool says fix a vulnerability (one
// per release line: "0.2.4", "1.2.6"), the one that fixes the installed
// version: the lowest above it, comparing the numbers in the versions in
// order. This is a heuristic across ecosystems, good for the release lines
// tools list; when no candidate compares above the installed version, the
// first is returned. "" when there are none.
func fixFor(installed string, candidates []string) string {
	var cands []string
	for _, c := range candidates {
		for part := range strings.SplitSeq(c, ",") {
			if part = strings.TrimSpace(part); part != "" {
				cands = append(cands, part)
			}
		}
	}
	if len(cands) == 0 {
		return ""
	}
	inst := versionNumbers(installed)
	best := ""
	var bestNums []int
	for _, c := range cands {
		n := versionNumbers(c)
		if len(n) == 0 || len(inst) > 0 && compareNumbers(n, inst) <= 0 {
			continue
		}
		if best == "" || compareNumbers(n, bestNums) < 0 {
			best, bestNums = c, n
		}
	}
	if best == "" {
		return cands[0]
	}
	return best
}

// versionNumbers returns the runs of digits in v, in order: "1.26.17" →
// [1 26 17], "2.36-9+deb12u6" → [2 36 9 12 6].
func versionNumbers(v string) []int {
	var out []int
	for f := range strings.FieldsFuncSeq(v, func(r rune) bool { return r < '0' || r > '9' }) {
		if len(f) > 9 {
			f = f[:9]
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return out
		}
		out = append(out, n)
	}
	return out
}

// compareNumbers compares two number lists, a missing number counting as 0.
func compareNumbers(a, b []int) int {
	for i := range max(len(a), len(b)) {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// fixedVersions lists the candidate fixes when there are several, for
// Properties["fixed_versions"]; "" for one or none.
func fixedVersions(candidates []string) string {
	var all []string
	for _, c := range candidates {
		for part := range strings.SplitSeq(c, ",") {
			if part = strings.TrimSpace(part); part != "" {
				all = append(all, part)
			}
		}
	}
	if len(all) < 2 {
		return ""
	}
	return strings.Join(all, ", ")
}
