package compliance

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/scan"
)

// view is the report prepared for the Markdown and HTML writers, so both
// show the same things in the same order. Nothing in it depends on map
// iteration order.
type view struct {
	R         *Report
	Title     string
	Summary   Summary
	Decisions []decisionView
	Matrices  []matrixView
	Findings  []findingView
	Scanners  []scan.Health
	Checklist []CheckItem
}

type decisionView struct {
	Decision
	N        int
	Digests  []keyValue
	Blocking []judgedView
}

type keyValue struct{ Key, Value string }

type judgedView struct {
	findingView
	Why string
}

type matrixView struct {
	Edition string
	Rows    []OWASPRow
}

type findingView struct {
	FindingRow
	Where string
	OWASP string
}

func newView(r *Report) *view {
	v := &view{
		R:         r,
		Summary:   Summarize(r),
		Checklist: Checklist(r),
		Scanners:  slices.Clone(r.Scanners),
	}
	v.Title = "Compliance report"
	if r.Run.Pipeline != "" {
		v.Title += ": " + r.Run.Pipeline
	}
	if r.Run.Number > 0 {
		v.Title += " run #" + strconv.FormatInt(r.Run.Number, 10)
	}
	for i, d := range r.Decisions {
		dv := decisionView{Decision: d, N: i + 1}
		for _, k := range sortedStringKeys(d.Digests) {
			dv.Digests = append(dv.Digests, keyValue{k, d.Digests[k]})
		}
		for _, j := range d.Blocking {
			dv.Blocking = append(dv.Blocking, judgedView{findingView: newFindingView(FindingRow{Finding: j.Finding, Status: StatusOpen}), Why: j.Why})
		}
		v.Decisions = append(v.Decisions, dv)
	}
	for _, e := range Editions {
		v.Matrices = append(v.Matrices, matrixView{Edition: e, Rows: OWASPMatrix(r, e)})
	}
	for _, row := range FindingRows(r) {
		v.Findings = append(v.Findings, newFindingView(row))
	}
	slices.SortStableFunc(v.Scanners, func(a, b scan.Health) int { return cmp.Compare(a.Scanner, b.Scanner) })
	return v
}

func newFindingView(row FindingRow) findingView {
	ids := append(categoriesOf(row.Finding, "2021"), categoriesOf(row.Finding, "2025")...)
	return findingView{FindingRow: row, Where: row.Location.String(), OWASP: strings.Join(ids, ", ")}
}

func sortedStringKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// stamp formats a time for people: UTC, to the second; "not recorded"
// for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "not recorded"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// orNone returns s, or "none" when it is empty.
func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none"
	}
	return s
}

// healthNote says what else is known about a scanner's run: why it was
// skipped or failed, whether it was partial, input errors, database age.
func healthNote(h scan.Health) string {
	var parts []string
	if h.Reason != "" {
		parts = append(parts, h.Reason)
	}
	if h.Partial {
		parts = append(parts, "partial: some inputs could not be scanned")
	}
	if n := len(h.Errors); n > 0 {
		parts = append(parts, plural(n, "input error", "input errors"))
	}
	if !h.DBUpdated.IsZero() {
		parts = append(parts, "database updated "+stamp(h.DBUpdated))
	}
	return strings.Join(parts, "; ")
}

// duration rounds a scanner's run time for people.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// outcomeLabel says an environment's outcome, marking what-if ones.
func outcomeLabel(o gate.Outcome, simulated bool) string {
	s := string(o)
	if s == "" {
		s = "unknown"
	}
	if simulated {
		s += " (simulated)"
	}
	return s
}

// severityName is the severity as reports name it.
func severityName(s findings.Severity) string { return s.String() }

// plural says "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
