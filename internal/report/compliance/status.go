package compliance

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/sluice-ci/sluice/internal/findings"
)

// Statuses of a finding in the report.
const (
	// StatusOpen: nothing hides the finding, or some gate of the run
	// blocks on it.
	StatusOpen = "open"
	// StatusSuppressed: a suppression hid it from the run's gates.
	StatusSuppressed = "suppressed"
	// StatusInlineIgnored: a marker on its line (sluice:ignore) asks to
	// ignore it.
	StatusInlineIgnored = "inline-ignored"
	// StatusPreExisting: a gate judged it already accepted (in the
	// baseline); it is still there, unfixed.
	StatusPreExisting = "pre-existing"
)

// FindingRow is a finding with its status in the run.
type FindingRow struct {
	findings.Finding
	Status string `json:"status"`
}

// Hidden reports whether the status keeps the finding from the gates: a
// suppressed or inline-ignored finding.
func (f FindingRow) Hidden() bool {
	return f.Status == StatusSuppressed || f.Status == StatusInlineIgnored
}

// FindingRows returns the run's findings in report order (findings.Sort)
// with their status. A finding that blocks in any of the run's decisions
// is open whatever else applies, since some gate did not hide it; else an
// inline marker makes it inline-ignored; else a suppression in any
// decision makes it suppressed; else being in a baseline makes it
// pre-existing.
func FindingRows(r *Report) []FindingRow {
	blocking, suppressed, preExisting := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, d := range r.Decisions {
		for _, j := range d.Blocking {
			blocking[findingKey(j.Finding)] = true
		}
		for _, j := range d.Suppressed {
			suppressed[findingKey(j.Finding)] = true
		}
		for _, j := range d.PreExisting {
			preExisting[findingKey(j.Finding)] = true
		}
	}
	fs := slices.Clone(r.Findings)
	findings.Sort(fs)
	rows := make([]FindingRow, len(fs))
	for i, f := range fs {
		k := findingKey(f)
		st := StatusOpen
		switch {
		case blocking[k]:
		case f.InlineIgnored:
			st = StatusInlineIgnored
		case suppressed[k]:
			st = StatusSuppressed
		case preExisting[k]:
			st = StatusPreExisting
		}
		rows[i] = FindingRow{Finding: f, Status: st}
	}
	return rows
}

// findingKey identifies a finding across the report's findings and the
// findings its decisions judged: the fingerprint, or for a finding
// without one, its scanner, rule and location.
func findingKey(f findings.Finding) string {
	if f.Fingerprint != "" {
		return f.Fingerprint
	}
	return "\x00" + f.Scanner + "\x00" + f.RuleID + "\x00" + f.Location.String()
}

// Counts counts findings per severity.
type Counts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

// Add counts one finding of severity s; severities outside the scale
// count as info.
func (c *Counts) Add(s findings.Severity) {
	switch s {
	case findings.Critical:
		c.Critical++
	case findings.High:
		c.High++
	case findings.Medium:
		c.Medium++
	case findings.Low:
		c.Low++
	default:
		c.Info++
	}
}

// Total is the number of findings counted.
func (c Counts) Total() int { return c.Critical + c.High + c.Medium + c.Low + c.Info }

// String says it in one line, worst first: "1 critical, 2 high, 0
// medium, 0 low, 3 info".
func (c Counts) String() string {
	return fmt.Sprintf("%d critical, %d high, %d medium, %d low, %d info",
		c.Critical, c.High, c.Medium, c.Low, c.Info)
}

// cells returns the counts worst first, for tables.
func (c Counts) cells() []string {
	return []string{strconv.Itoa(c.Critical), strconv.Itoa(c.High), strconv.Itoa(c.Medium),
		strconv.Itoa(c.Low), strconv.Itoa(c.Info)}
}
