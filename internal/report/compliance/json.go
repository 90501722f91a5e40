package compliance

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/sluice-ci/sluice/internal/scan"
)

// Schema names the layout of the JSON report; it changes only when a field
// is renamed or removed.
const Schema = "sluice.compliance/v1"

// errNilReport is what every writer returns for a nil Report.
var errNilReport = errors.New("write compliance report: no report (nil): fill a Report from the run first")

// document is the JSON report: the Report's fields under the same keys
// (so it decodes back into a Report), findings with their status, and the
// computed views.
type document struct {
	Schema      string        `json:"schema"`
	Tool        string        `json:"tool"`
	GeneratedAt time.Time     `json:"generated_at"`
	Run         Run           `json:"run"`
	Summary     Summary       `json:"summary"`
	Decisions   []Decision    `json:"decisions"`
	OWASP2021   []OWASPRow    `json:"owasp_2021"`
	OWASP2025   []OWASPRow    `json:"owasp_2025"`
	Findings    []FindingRow  `json:"findings"`
	Scanners    []scan.Health `json:"scanners"`
	Approvals   []Approval    `json:"approvals"`
	Audit       Audit         `json:"audit"`
	Facts       Facts         `json:"facts"`
	Checklist   []CheckItem   `json:"checklist"`
}

// WriteJSON writes r as indented JSON: the Report's fields under
// snake_case keys, findings in report order (findings.Sort) each with its
// "status", scanners by name, plus "schema", "summary", "owasp_2021",
// "owasp_2025" and "checklist". The document decodes back into a Report.
// Lists are [] rather than null when empty.
func WriteJSON(w io.Writer, r *Report) error {
	if r == nil {
		return errNilReport
	}
	n := normalized(r)
	doc := document{
		Schema:      Schema,
		Tool:        n.Tool,
		GeneratedAt: n.GeneratedAt,
		Run:         n.Run,
		Summary:     Summarize(&n),
		Decisions:   n.Decisions,
		OWASP2021:   OWASPMatrix(&n, "2021"),
		OWASP2025:   OWASPMatrix(&n, "2025"),
		Findings:    FindingRows(&n),
		Scanners:    n.Scanners,
		Approvals:   n.Approvals,
		Audit:       n.Audit,
		Facts:       n.Facts,
		Checklist:   Checklist(&n),
	}
	if doc.Summary.Outcomes == nil {
		doc.Summary.Outcomes = []EnvOutcome{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write compliance report as JSON: %w", err)
	}
	return nil
}

// normalized returns a shallow copy of r whose nil lists are empty, so the
// JSON shows [] instead of null.
func normalized(r *Report) Report {
	n := *r
	n.Run.Jobs = orEmpty(n.Run.Jobs)
	n.Scanners = slices.Clone(orEmpty(r.Scanners))
	slices.SortStableFunc(n.Scanners, func(a, b scan.Health) int { return cmp.Compare(a.Scanner, b.Scanner) })
	n.Findings = slices.Clone(orEmpty(r.Findings))
	for i := range n.Findings {
		n.Findings[i].Sources = orEmpty(n.Findings[i].Sources)
	}
	n.Approvals = orEmpty(n.Approvals)
	n.Audit.Entries = orEmpty(n.Audit.Entries)
	n.Facts.SecretNames = orEmpty(n.Facts.SecretNames)
	n.Decisions = make([]Decision, len(r.Decisions))
	for i, d := range r.Decisions {
		d.Reasons = orEmpty(d.Reasons)
		n.Decisions[i] = d
	}
	return n
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
