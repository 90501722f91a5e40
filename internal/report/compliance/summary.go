package compliance

import (
	"fmt"
	"time"

	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/scan"
)

// Summary is the top of the report: the outcome per environment, finding
// counts, scanner health and the audit chain's state in a few numbers.
type Summary struct {
	// Outcomes has one entry per environment a gate decided on, in the
	// order environments were first decided.
	Outcomes []EnvOutcome `json:"outcomes"`
	// Open counts findings nothing hides (open and pre-existing).
	Open          Counts `json:"open"`
	PreExisting   int    `json:"pre_existing"`
	Suppressed    int    `json:"suppressed"`
	InlineIgnored int    `json:"inline_ignored"`
	Total         int    `json:"total"`
	// Scanners counts scanners by status (ran, skipped, failed).
	ScannersRan     int `json:"scanners_ran"`
	ScannersSkipped int `json:"scanners_skipped"`
	ScannersFailed  int `json:"scanners_failed"`
	// Audit says in one line whether the audit chain verifies.
	Audit string `json:"audit"`
}

// EnvOutcome is the gate outcome of one environment.
type EnvOutcome struct {
	Env     string       `json:"env"`
	Outcome gate.Outcome `json:"outcome"`
	// Simulated is true when the environment only had what-if decisions.
	Simulated bool      `json:"simulated,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// Blocking is how many findings block (or, in warn mode, would).
	Blocking int `json:"blocking"`
}

// Summarize computes the summary of r. An environment's outcome is its
// last real decision, or its last simulated one when it had no real one.
func Summarize(r *Report) Summary {
	var s Summary
	index := map[string]int{}
	for _, d := range r.Decisions {
		o := EnvOutcome{Env: d.Env, Outcome: d.Outcome, Simulated: d.Simulated, DecidedAt: d.DecidedAt,
			Blocking: len(d.Blocking)}
		i, seen := index[d.Env]
		switch {
		case !seen:
			index[d.Env] = len(s.Outcomes)
			s.Outcomes = append(s.Outcomes, o)
		case !d.Simulated || s.Outcomes[i].Simulated:
			s.Outcomes[i] = o
		}
	}
	for _, row := range FindingRows(r) {
		s.Total++
		switch row.Status {
		case StatusSuppressed:
			s.Suppressed++
		case StatusInlineIgnored:
			s.InlineIgnored++
		case StatusPreExisting:
			s.PreExisting++
			s.Open.Add(row.Severity)
		default:
			s.Open.Add(row.Severity)
		}
	}
	for _, h := range r.Scanners {
		switch h.Status {
		case scan.Ran:
			s.ScannersRan++
		case scan.Skipped:
			s.ScannersSkipped++
		default:
			s.ScannersFailed++
		}
	}
	s.Audit = auditState(r.Audit)
	return s
}

// auditState says in one line whether the audit chain verifies.
func auditState(a Audit) string {
	switch {
	case a.VerifyError != "":
		return "broken: " + a.VerifyError
	case a.Verified:
		return fmt.Sprintf("verified: the hash chain holds over %d records (%d for this run)", a.Checked, len(a.Entries))
	case len(a.Entries) == 0:
		return "no audit records for this run"
	}
	return fmt.Sprintf("not verified (%d records for this run)", len(a.Entries))
}
