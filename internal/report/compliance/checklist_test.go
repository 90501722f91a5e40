package compliance

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// statuses returns the checklist as id → status.
func statuses(r *Report) map[string]string {
	m := map[string]string{}
	for _, c := range Checklist(r) {
		m[c.ID] = c.Status
	}
	return m
}

// item returns the checklist item id.
func item(t *testing.T, r *Report, id string) CheckItem {
	t.Helper()
	for _, c := range Checklist(r) {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no checklist item %s", id)
	return CheckItem{}
}

func TestChecklistSample(t *testing.T) {
	want := map[string]string{
		"secrets-not-in-logs":       CheckPass,
		"secrets-encrypted-at-rest": CheckManual, // not attested: never pass without evidence
		"audit-trail":               CheckPass,
		"audit-integrity":           CheckPass,
		"audit-retention":           CheckManual, // kept indefinitely: a person must justify it
		"findings-redacted":         CheckPass,
		"data-minimization":         CheckPass,
		"lawful-basis":              CheckManual,
		"records-of-processing":     CheckManual,
		"data-subject-rights":       CheckManual,
		"processors":                CheckManual,
		"test-data":                 CheckManual,
	}
	r := sampleReport()
	if diff := cmp.Diff(want, statuses(r)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	ev := item(t, r, "secrets-not-in-logs").Evidence
	if !strings.Contains(ev, "API_TOKEN, DB_PASSWORD") || !strings.Contains(ev, "2 secrets") {
		t.Errorf("secrets evidence does not name the secrets: %q", ev)
	}
	if ev := item(t, r, "audit-integrity").Evidence; !strings.Contains(ev, "19 records") {
		t.Errorf("audit evidence does not say how many records were checked: %q", ev)
	}
	if ev := item(t, r, "findings-redacted").Evidence; !strings.Contains(ev, "1 secret finding") {
		t.Errorf("redaction evidence does not count secret findings: %q", ev)
	}
}

func TestChecklistFollowsFacts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r *Report)
		want   map[string]string
	}{
		{"logs not masked", func(r *Report) { r.Facts.SecretsMasked = false },
			map[string]string{"secrets-not-in-logs": CheckFail, "data-minimization": CheckFail}},
		{"no secrets given", func(r *Report) { r.Facts.SecretNames = nil },
			map[string]string{"secrets-not-in-logs": CheckNotApplicable, "data-minimization": CheckPass}},
		{"secrets encrypted", func(r *Report) { r.Facts.SecretsEncrypted = true },
			map[string]string{"secrets-encrypted-at-rest": CheckPass}},
		{"no audit records", func(r *Report) { r.Audit = Audit{} },
			map[string]string{"audit-trail": CheckFail, "audit-integrity": CheckManual}},
		{"chain not verified", func(r *Report) { r.Audit.Verified = false },
			map[string]string{"audit-trail": CheckPass, "audit-integrity": CheckManual}},
		{"verified but nothing checked", func(r *Report) { r.Audit.Checked = 0 },
			map[string]string{"audit-integrity": CheckManual}},
		{"chain broken", func(r *Report) {
			r.Audit.Verified = false
			r.Audit.VerifyError = "audit chain broken at record 18: its content does not match its hash"
		}, map[string]string{"audit-integrity": CheckFail}},
		{"a retention period", func(r *Report) { r.Facts.AuditRetention = "400 days" },
			map[string]string{"audit-retention": CheckPass}},
		{"no retention recorded", func(r *Report) { r.Facts.AuditRetention = " " },
			map[string]string{"audit-retention": CheckManual}},
		{"snippets not redacted", func(r *Report) { r.Facts.FindingsRedacted = false },
			map[string]string{"findings-redacted": CheckFail, "data-minimization": CheckFail}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleReport()
			tc.change(r)
			got := statuses(r)
			for id, want := range tc.want {
				if got[id] != want {
					t.Errorf("%s: %q, want %q (evidence: %s)", id, got[id], want, item(t, r, id).Evidence)
				}
			}
		})
	}
}

func TestChecklistNeverPassesOnAnEmptyReport(t *testing.T) {
	for _, c := range Checklist(&Report{}) {
		if c.Status == CheckPass {
			t.Errorf("%s passes on a report with no facts: %s", c.ID, c.Evidence)
		}
		if c.Evidence == "" || c.Title == "" {
			t.Errorf("%s has no title or evidence", c.ID)
		}
	}
}
