package findings

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// AtLeast reports whether f is as severe as s or worse.
func (f Finding) AtLeast(s Severity) bool { return f.Severity >= s }

// CountBySeverity counts findings per severity; every severity is present,
// with 0 when none.
func CountBySeverity(fs []Finding) map[Severity]int {
	m := make(map[Severity]int, Critical+1)
	for s := Info; s <= Critical; s++ {
		m[s] = 0
	}
	for _, f := range fs {
		m[f.Severity]++
	}
	return m
}

// Categories lists every category, in the order reports show them.
var Categories = []Category{SAST, Deps, Secrets, Container, IaC, DAST}

// Summary counts findings for reports and gates.
type Summary struct {
	Total int `json:"total"`
	// BySeverity has every severity, BySeverity every category (0 when
	// none), so consumers never meet a missing key.
	BySeverity map[Severity]int `json:"by_severity"`
	ByCategory map[Category]int `json:"by_category"`
}

// Summarize counts fs by severity and category.
func Summarize(fs []Finding) Summary {
	s := Summary{Total: len(fs), BySeverity: CountBySeverity(fs), ByCategory: map[Category]int{}}
	for _, c := range Categories {
		s.ByCategory[c] = 0
	}
	for _, f := range fs {
		s.ByCategory[f.Category]++
	}
	return s
}

// Max returns the highest severity counted, and false when there are no
// findings.
func (s Summary) Max() (Severity, bool) {
	for v := Critical; v >= Info; v-- {
		if s.BySeverity[v] > 0 {
			return v, true
		}
	}
	return Info, false
}

// String says it in one line: "5 findings: 1 critical, 2 high, 0 medium,
// 2 low, 0 info", or "no findings".
func (s Summary) String() string {
	if s.Total == 0 {
		return "no findings"
	}
	noun := "findings"
	if s.Total == 1 {
		noun = "finding"
	}
	parts := make([]string, 0, Critical+1)
	for v := Critical; v >= Info; v-- {
		parts = append(parts, fmt.Sprintf("%d %s", s.BySeverity[v], v))
	}
	return fmt.Sprintf("%d %s: %s", s.Total, noun, strings.Join(parts, ", "))
}

// Sort orders findings the way every report shows them: severity (worst
// first), category, path, start line, rule, then fingerprint and scanner
// so the order is total and stable between runs.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, Compare)
}

// Compare is the order of Sort.
func Compare(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(a.Category, b.Category),
		cmp.Compare(a.Location.Path, b.Location.Path),
		cmp.Compare(a.Location.StartLine, b.Location.StartLine),
		cmp.Compare(a.RuleID, b.RuleID),
		cmp.Compare(a.Location.Package, b.Location.Package),
		cmp.Compare(a.Location.Version, b.Location.Version),
		cmp.Compare(a.Location.URL, b.Location.URL),
		cmp.Compare(a.Fingerprint, b.Fingerprint),
		cmp.Compare(a.Scanner, b.Scanner),
	)
}
