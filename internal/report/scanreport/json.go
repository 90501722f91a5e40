// Package scanreport writes the result of a scan (findings and the health
// of every scanner) for people and for other tools: a JSON document with a
// stable schema, JUnit XML for CI test reporters, and a table for the
// terminal. SARIF lives in package sarif.
package scanreport

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// SchemaVersion is the version of the JSON document WriteJSON writes;
// it changes only when a member changes meaning or goes away.
const SchemaVersion = 1

// Document is the JSON document of a scan. Findings holds every finding,
// those an inline marker turned off too, marked "inline_ignored"; the
// summary counts these apart (Summary.Ignored), so its total and
// severities count the open findings only.
type Document struct {
	Version  int                `json:"version"`
	Findings []findings.Finding `json:"findings"`
	Scanners []scan.Health      `json:"scanners"`
	Summary  Summary            `json:"summary"`
}

// Summary counts the open findings by severity and category, the
// inline-ignored ones apart, and scanners by status.
type Summary struct {
	findings.Summary
	Scanners map[scan.Status]int `json:"scanners"`
}

// Summarize counts fs and the scanners of health.
func Summarize(fs []findings.Finding, health []scan.Health) Summary {
	s := Summary{Summary: findings.Summarize(fs),
		Scanners: map[scan.Status]int{scan.Ran: 0, scan.Skipped: 0, scan.Failed: 0}}
	for _, h := range health {
		s.Scanners[h.Status]++
	}
	return s
}

// WriteJSON writes fs and health as a Document: findings in the order
// given, scanners sorted by name, lists never null.
func WriteJSON(w io.Writer, fs []findings.Finding, health []scan.Health) error {
	doc := Document{Version: SchemaVersion, Findings: make([]findings.Finding, len(fs)),
		Scanners: sortedHealth(health), Summary: Summarize(fs, health)}
	for i, f := range fs {
		if f.Sources == nil {
			f.Sources = []findings.Source{{Scanner: f.Scanner, RuleID: f.RuleID}}
		}
		doc.Findings[i] = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// sortedHealth returns health sorted by scanner name, never nil.
func sortedHealth(health []scan.Health) []scan.Health {
	out := make([]scan.Health, len(health))
	copy(out, health)
	slices.SortStableFunc(out, func(a, b scan.Health) int { return cmp.Compare(a.Scanner, b.Scanner) })
	return out
}
