// Package compliance writes the compliance report of one pipeline run: what
// ran, what the scanners found, what the gates decided and why, which OWASP
// Top 10 categories (2021 and 2025 editions) were tested, the audit trail
// and whether its hash chain verifies, and a GDPR-oriented checklist of
// what sluice can attest. The caller fills a Report from the store; this
// package only computes views of it and writes it as JSON, Markdown or one
// self-contained HTML file.
//
// Every view is a pure function of the Report: the same Report gives
// byte-identical output (GeneratedAt comes from the model, never the
// clock).
package compliance

import (
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/scan"
)

// Report is everything the compliance report of one run shows.
type Report struct {
	// Tool names the program and version that wrote the report: "sluice 0.3.0".
	Tool        string    `json:"tool"`
	GeneratedAt time.Time `json:"generated_at"`
	Run         Run       `json:"run"`
	// Scanners is the health of every scanner that ran in the run.
	Scanners []scan.Health `json:"scanners"`
	// Findings are the merged findings of the run, including those marked
	// InlineIgnored.
	Findings []findings.Finding `json:"findings"`
	// Decisions are the gate decisions made for the run, in order.
	Decisions []Decision `json:"decisions"`
	// Approvals are the approvals given for the run; empty until sluice
	// records approvals (reports say "none recorded").
	Approvals []Approval `json:"approvals"`
	Audit     Audit      `json:"audit"`
	Facts     Facts      `json:"facts"`
}

// Run describes the pipeline run.
type Run struct {
	ID         string    `json:"id"`
	Number     int64     `json:"number"`
	Pipeline   string    `json:"pipeline"`
	Commit     string    `json:"commit"`
	Branch     string    `json:"branch"`
	Event      string    `json:"event"`
	Actor      string    `json:"actor"`
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Jobs       []Job     `json:"jobs"`
}

// Job is one job of the run and how it ended.
type Job struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// Reason says why a job did not succeed (skipped, failed, cancelled).
	Reason string `json:"reason,omitempty"`
}

// Decision is one gate decision with when, by whom and on what evidence it
// was made.
type Decision struct {
	gate.Decision
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Actor     string    `json:"actor"`
	// Digests identify the evidence the decision judged: "findings",
	// "policy", "suppressions" and "artifact", each "sha256:…".
	Digests map[string]string `json:"digests,omitempty"`
	// Simulated is true for a what-if decision that gated nothing.
	Simulated bool `json:"simulated,omitempty"`
}

// Approval is a person's verdict on promoting the run to an environment.
type Approval struct {
	Env      string    `json:"env"`
	Approver string    `json:"approver"`
	Verdict  string    `json:"verdict"`
	Comment  string    `json:"comment,omitempty"`
	At       time.Time `json:"at,omitzero"`
}

// Audit is the run's part of the audit trail and the result of checking
// the trail's hash chain.
type Audit struct {
	Entries []AuditEntry `json:"entries"`
	// Verified is true when the hash chain was checked and holds.
	Verified bool `json:"verified"`
	// VerifyError says where the chain breaks, when it was checked and
	// does not hold.
	VerifyError string `json:"verify_error,omitempty"`
	// Checked is how many records the verification walked (the whole
	// trail up to the run's last record, not only Entries).
	Checked int `json:"checked"`
}

// AuditEntry is one record of the audit trail.
type AuditEntry struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Detail  string    `json:"detail,omitempty"`
	// Hash is the record's chained hash, "sha256:…".
	Hash string `json:"hash"`
}

// Facts are what sluice knows about how the run handled secrets and
// personal data; the checklist attests only what these say.
type Facts struct {
	// SecretNames are the names of the secrets given to the run; their
	// values are never stored.
	SecretNames []string `json:"secret_names"`
	// SecretsMasked is true when the run's logs were masked (always for
	// runs sluice executes).
	SecretsMasked bool `json:"secrets_masked"`
	// SecretsEncrypted is true when stored secrets are encrypted at rest;
	// false until the control plane stores secrets.
	SecretsEncrypted bool `json:"secrets_encrypted"`
	// AuditRetention says how long audit records are kept: "kept
	// indefinitely in the store", or a duration.
	AuditRetention string `json:"audit_retention"`
	// FindingsRedacted is true when secret values are redacted in finding
	// snippets.
	FindingsRedacted bool `json:"findings_redacted"`
}
