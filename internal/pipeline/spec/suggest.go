package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Suggest returns the candidate closest to name, or "" when none is close
// enough to be a likely typo. Closeness is the Damerau-Levenshtein distance
// (optimal string alignment: insertions, deletions, substitutions and swaps
// of neighbours), compared case-insensitively. Ties go to the earlier
// candidate, so results are stable.
func Suggest(name string, candidates []string) string {
	if name == "" {
		return ""
	}
	lower := strings.ToLower(name)
	best, bestDist := "", -1
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := distance(lower, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > maxTypo(name) {
		return ""
	}
	return best
}

// maxTypo is how many edits still count as a typo: short names allow one,
// longer names one per three letters (at most three).
func maxTypo(name string) int {
	n := len([]rune(name))
	switch {
	case n <= 3:
		return 1
	case n >= 9:
		return 3
	default:
		return n / 3
	}
}

// distance is the optimal-string-alignment distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Names longer than this are not typos of a key; keep the work bounded.
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return max(len(ra), len(rb))
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// DidYouMean returns a hint naming the closest candidate ("did you mean
// \"steps\"?"), or, when none is close, the list of valid choices.
func DidYouMean(name string, candidates []string) string {
	if s := Suggest(name, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	if len(candidates) == 0 || len(candidates) > 16 {
		return ""
	}
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	return "expected one of: " + strings.Join(sorted, ", ")
}
