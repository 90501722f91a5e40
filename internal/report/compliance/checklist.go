package compliance

import (
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// Checklist statuses. A check passes only on evidence in the Report; what
// the Report cannot show is manual, never pass.
const (
	CheckPass          = "pass"
	CheckFail          = "fail"
	CheckNotApplicable = "not applicable"
	CheckManual        = "manual"
)

// CheckItem is one item of the GDPR-oriented checklist.
type CheckItem struct {
	// ID is stable across versions, for tools that track items.
	ID    string `json:"id"`
	Title string `json:"title"`
	// Status is pass, fail, not applicable or manual (a person must check).
	Status string `json:"status"`
	// Evidence says what in the run supports the status, or what a person
	// has to look at.
	Evidence string `json:"evidence"`
}

// Checklist returns what sluice can attest about the run's handling of
// secrets and personal data, from r.Facts, r.Audit and r.Findings,
// followed by the items only a person can answer (status manual). The
// GDPR articles named are those the item helps with; passing an item is
// evidence for them, not compliance with them.
func Checklist(r *Report) []CheckItem {
	items := []CheckItem{
		secretsInLogs(r.Facts),
		secretsEncrypted(r.Facts),
		auditTrail(r.Audit),
		auditIntegrity(r.Audit),
		auditRetention(r.Facts),
		findingsRedacted(r),
		dataMinimization(r.Facts),
	}
	return append(items, manualItems...)
}

func secretsInLogs(f Facts) CheckItem {
	it := CheckItem{ID: "secrets-not-in-logs", Title: "Secret values are kept out of logs (Art. 32)"}
	names := strings.Join(f.SecretNames, ", ")
	switch {
	case !f.SecretsMasked:
		it.Status, it.Evidence = CheckFail, "the run's logs were not masked"
		if len(f.SecretNames) > 0 {
			it.Evidence += "; it was given " + plural(len(f.SecretNames), "secret", "secrets") + ": " + names
		}
	case len(f.SecretNames) == 0:
		it.Status, it.Evidence = CheckNotApplicable, "no secrets were given to the run; its logs were masked"
	default:
		it.Status = CheckPass
		it.Evidence = "the values of the " + plural(len(f.SecretNames), "secret", "secrets") +
			" given to the run were masked in its logs: " + names
	}
	return it
}

func secretsEncrypted(f Facts) CheckItem {
	it := CheckItem{ID: "secrets-encrypted-at-rest", Title: "Stored secrets are encrypted at rest (Art. 32)"}
	if f.SecretsEncrypted {
		it.Status, it.Evidence = CheckPass, "sluice stores the run's secrets encrypted at rest"
		return it
	}
	it.Status = CheckManual
	it.Evidence = "the run's record does not show that its secrets are stored encrypted: " +
		"check where they are kept (environment, files, a secret manager) and that it encrypts them"
	return it
}

func auditTrail(a Audit) CheckItem {
	it := CheckItem{ID: "audit-trail", Title: "An audit trail records who did what (Art. 5(2), Art. 30)"}
	if len(a.Entries) == 0 {
		it.Status, it.Evidence = CheckFail, "the audit trail has no records for this run"
		return it
	}
	actors := map[string]bool{}
	for _, e := range a.Entries {
		actors[e.Actor] = true
	}
	it.Status = CheckPass
	it.Evidence = plural(len(a.Entries), "audit record", "audit records") + " for this run, by " +
		plural(len(actors), "actor", "actors")
	return it
}

func auditIntegrity(a Audit) CheckItem {
	it := CheckItem{ID: "audit-integrity", Title: "The audit trail is tamper-evident and its hash chain verifies"}
	switch {
	case a.VerifyError != "":
		it.Status, it.Evidence = CheckFail, "the hash chain is broken: "+a.VerifyError
	case a.Verified && a.Checked > 0:
		it.Status = CheckPass
		it.Evidence = "the hash chain was verified over " + plural(a.Checked, "record", "records")
	default:
		it.Status, it.Evidence = CheckManual, "the hash chain was not verified for this report: verify the audit trail"
	}
	return it
}

func auditRetention(f Facts) CheckItem {
	it := CheckItem{ID: "audit-retention", Title: "Audit records have a retention period (Art. 5(1)(e))"}
	ret := strings.TrimSpace(f.AuditRetention)
	switch {
	case ret == "":
		it.Status, it.Evidence = CheckManual, "no retention is recorded for the audit trail: decide and document one"
	case strings.Contains(strings.ToLower(ret), "indefinite"):
		// Kept forever is a retention, but not a period: storage
		// limitation asks a person to justify it or set one.
		it.Status = CheckManual
		it.Evidence = "audit records are " + ret + ": the records name people, so set a period " +
			"or document why they must be kept"
	default:
		it.Status, it.Evidence = CheckPass, "audit records are kept: "+ret
	}
	return it
}

func findingsRedacted(r *Report) CheckItem {
	it := CheckItem{ID: "findings-redacted", Title: "Secret values in findings are redacted (Art. 32)"}
	n := 0
	for _, f := range r.Findings {
		if f.Category == findings.Secrets {
			n++
		}
	}
	if !r.Facts.FindingsRedacted {
		it.Status = CheckFail
		it.Evidence = "finding snippets are not redacted; the run has " + plural(n, "secret finding", "secret findings")
		return it
	}
	it.Status = CheckPass
	it.Evidence = "finding snippets show secret values redacted; the run has " + plural(n, "secret finding", "secret findings")
	return it
}

func dataMinimization(f Facts) CheckItem {
	it := CheckItem{ID: "data-minimization", Title: "Only the names of secrets are stored, not their values (Art. 5(1)(c))"}
	if !f.SecretsMasked || !f.FindingsRedacted {
		it.Status = CheckFail
		it.Evidence = "secret values may be stored: logs masked " + yesNo(f.SecretsMasked) +
			", finding snippets redacted " + yesNo(f.FindingsRedacted)
		return it
	}
	it.Status = CheckPass
	it.Evidence = "the run's record holds " + plural(len(f.SecretNames), "secret name", "secret names") +
		" and no values; logs are masked and finding snippets redacted"
	return it
}

// manualItems are the questions the data controller has to answer; sluice
// holds no evidence for them.
var manualItems = []CheckItem{
	{ID: "lawful-basis", Title: "Personal data processed by the pipeline has a lawful basis (Art. 6)", Status: CheckManual,
		Evidence: "the audit trail and run records name people (actors, approvers, commit authors): record the basis for processing them"},
	{ID: "records-of-processing", Title: "The pipeline is in the records of processing activities (Art. 30)", Status: CheckManual,
		Evidence: "list the data sluice keeps (runs, logs, findings, audit trail), its purpose and retention"},
	{ID: "data-subject-rights", Title: "Access and erasure requests can be answered (Art. 15-17)", Status: CheckManual,
		Evidence: "audit records cannot be edited without breaking the hash chain: document how requests about them are handled"},
	{ID: "processors", Title: "Third parties that receive data are covered by agreements (Art. 28)", Status: CheckManual,
		Evidence: "check the registries, clouds and tools the pipeline sends code, images or logs to"},
	{ID: "test-data", Title: "Tests and scans use no real personal data, or it is protected (Art. 25)", Status: CheckManual,
		Evidence: "sluice does not inspect test fixtures or databases for personal data"},
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
