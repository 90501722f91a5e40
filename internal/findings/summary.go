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

// Summary counts findings for reports and gates. Total, BySeverity and
// ByCategory count the open findings; those an inline marker turned off
// (InlineIgnored) are counted in Ignored only, so the counts mean what
// they meant when such findings were dropped.
type Summary struct {
	Total int `json:"total"`
	// BySeverity has every severity, ByCategory every category (0 when
	// none), so consumers never meet a missing key.
	BySeverity map[Severity]int `json:"by_severity"`
	ByCategory map[Category]int `json:"by_category"`
	// Ignored counts the findings marked InlineIgnored.
	Ignored int `json:"ignored"`
}

// Summarize counts fs: the open ones by severity and category, the
// inline-ignored ones apart.
func Summarize(fs []Finding) Summary {
	open := Open(fs)
	s := Summary{Total: len(open), BySeverity: CountBySeverity(open), ByCategory: map[Category]int{},
		Ignored: len(fs) - len(open)}
	for _, c := range Categories {
		s.ByCategory[c] = 0
	}
	for _, f := range open {
		s.ByCategory[f.Category]++
	}
	return s
}

// Open returns the findings of fs not marked InlineIgnored, in order. It
// returns fs itself when none is marked.
func Open(fs []Finding) []Finding {
	n := 0
	for _, f := range fs {
		if !f.InlineIgnored {
			n++
		}
	}
	if n == len(fs) {
		return fs
	}
	out := make([]Finding, 0, n)
	for _, f := range fs {
		if !f.InlineIgnored {
			out = append(out, f)
		}
	}
	return out
}

// Max returns the highest severity of the open findings counted, and
// false when there are none.
func (s Summary) Max() (Severity, bool) {
	for v := Critical; v >= Info; v-- {
		if s.BySeverity[v] > 0 {
			return v, true
		}
	}
	return Info, false
}

// String says it in one line: "5 findings: 1 critical, 2 high, 0 medium,
// 2 low, 0 info", or "no findings"; with inline-ignored findings, "…; 2
// ignored inline", or "no open findings; 2 ignored inline".
func (s Summary) String() string {
	ignored := ""
	if s.Ignored > 0 {
		ignored = fmt.Sprintf("; %d ignored inline", s.Ignored)
	}
	if s.Total == 0 {
		if ignored != "" {
			return "no open findings" + ignored
		}
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
	return fmt.Sprintf("%d %s: %s%s", s.Total, noun, strings.Join(parts, ", "), ignored)
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
