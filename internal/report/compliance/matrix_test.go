package compliance

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// row returns the row of a category, failing the test when it is missing.
func row(t *testing.T, rows []OWASPRow, id string) OWASPRow {
	t.Helper()
	for _, r := range rows {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no row %s in %v", id, rows)
	return OWASPRow{}
}

func TestOWASPMatrixListsEveryCategoryInOrder(t *testing.T) {
	for _, tc := range []struct {
		edition, first, firstName, third, thirdName, last, lastName string
	}{
		{"2021", "A01:2021", "Broken Access Control", "A03:2021", "Injection", "A10:2021", "Server-Side Request Forgery (SSRF)"},
		{"2025", "A01:2025", "Broken Access Control", "A03:2025", "Software Supply Chain Failures", "A10:2025", "Mishandling of Exceptional Conditions"},
	} {
		rows := OWASPMatrix(&Report{}, tc.edition)
		if len(rows) != 10 {
			t.Fatalf("%s: %d rows, want 10", tc.edition, len(rows))
		}
		for i, want := range [][2]string{{tc.first, tc.firstName}, {tc.third, tc.thirdName}, {tc.last, tc.lastName}} {
			r := rows[[]int{0, 2, 9}[i]]
			if r.ID != want[0] || r.Name != want[1] {
				t.Errorf("%s: row %s %q, want %s %q", tc.edition, r.ID, r.Name, want[0], want[1])
			}
		}
		for _, r := range rows {
			if r.Status != MatrixNotTested || r.TestedBy == nil || len(r.TestedBy) != 0 {
				t.Errorf("%s: empty report: %s is %q tested by %#v, want not tested by []", tc.edition, r.ID, r.Status, r.TestedBy)
			}
		}
	}
	if rows := OWASPMatrix(&Report{}, "2017"); rows != nil {
		t.Errorf("edition 2017: %d rows, want nil", len(rows))
	}
}

func TestOWASPMatrixSample2021(t *testing.T) {
	rows := OWASPMatrix(sampleReport(), "2021")
	want := map[string]OWASPRow{
		// gosec covers CWE-89; semgrep and deps have findings here (CWE-79,
		// CWE-77); the pre-existing lodash finding counts as open.
		"A03:2021": {ID: "A03:2021", Name: "Injection", TestedBy: []string{"deps", "gosec", "semgrep"}, Partial: []string{"gosec"},
			Open: Counts{High: 2, Medium: 1}, Status: MatrixFindings},
		// deps reports vulnerable packages whatever their CWE.
		"A06:2021": {ID: "A06:2021", Name: "Vulnerable and Outdated Components", TestedBy: []string{"deps"},
			Open: Counts{Critical: 1, High: 1}, Status: MatrixFindings},
		// The AWS key is suppressed: tested, clean, one suppressed.
		"A07:2021": {ID: "A07:2021", Name: "Identification and Authentication Failures", TestedBy: []string{"gosec", "secrets"},
			Partial: []string{"gosec"}, Suppressed: Counts{Critical: 1}, Status: MatrixClean},
		"A10:2021": {ID: "A10:2021", Name: "Server-Side Request Forgery (SSRF)", TestedBy: []string{"gosec"},
			Partial: []string{"gosec"}, Status: MatrixClean},
	}
	for id, w := range want {
		if diff := cmp.Diff(w, row(t, rows, id)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", id, diff)
		}
	}
}

func TestOWASPMatrixSample2025(t *testing.T) {
	rows := OWASPMatrix(sampleReport(), "2025")
	want := map[string]OWASPRow{
		"A03:2025": {ID: "A03:2025", Name: "Software Supply Chain Failures", TestedBy: []string{"deps"},
			Open: Counts{Critical: 1, High: 1}, Status: MatrixFindings},
		"A05:2025": {ID: "A05:2025", Name: "Injection", TestedBy: []string{"deps", "gosec", "semgrep"}, Partial: []string{"gosec"},
			Open: Counts{High: 2, Medium: 1}, Status: MatrixFindings},
		// The unchecked error (CWE-703) is inline-ignored: not open.
		"A10:2025": {ID: "A10:2025", Name: "Mishandling of Exceptional Conditions", TestedBy: []string{"gosec"},
			Partial: []string{"gosec"}, Suppressed: Counts{Low: 1}, Status: MatrixClean},
	}
	for id, w := range want {
		if diff := cmp.Diff(w, row(t, rows, id)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", id, diff)
		}
	}
}

func TestOWASPMatrixTestedBy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		health   []scan.Health
		fs       []findings.Finding
		id       string
		testedBy []string
		status   string
	}{
		{name: "healthy scanner able to detect it", id: "A03:2021",
			health: []scan.Health{{Scanner: "gosec", Status: scan.Ran}}, testedBy: []string{"gosec"}, status: MatrixClean},
		{name: "skipped scanner does not test", id: "A03:2021",
			health: []scan.Health{{Scanner: "gosec", Status: scan.Skipped, Reason: "no Go files"}}, testedBy: []string{}, status: MatrixNotTested},
		{name: "failed scanner does not test", id: "A06:2021",
			health: []scan.Health{{Scanner: "deps", Status: scan.Failed, Reason: "no database"}}, testedBy: []string{}, status: MatrixNotTested},
		{name: "scanner unable to detect it does not test", id: "A03:2021",
			health: []scan.Health{{Scanner: "deps", Status: scan.Ran}, {Scanner: "secrets", Status: scan.Ran}}, testedBy: []string{}, status: MatrixNotTested},
		{name: "deps tests components", id: "A06:2021",
			health: []scan.Health{{Scanner: "deps", Status: scan.Ran}}, testedBy: []string{"deps"}, status: MatrixClean},
		{name: "a finding counts even from a failed scanner", id: "A03:2021",
			health: []scan.Health{{Scanner: "gosec", Status: scan.Failed, Reason: "timeout"}},
			fs:     []findings.Finding{sqlInjection}, testedBy: []string{"gosec"}, status: MatrixFindings},
		{name: "a scanner without coverage tests what it found", id: "A03:2021",
			health: []scan.Health{{Scanner: "semgrep", Status: scan.Ran}}, fs: []findings.Finding{xss},
			testedBy: []string{"semgrep"}, status: MatrixFindings},
		{name: "every source of a merged finding tests it", id: "A03:2021",
			fs: []findings.Finding{{Fingerprint: "m", Scanner: "gosec", CWE: []int{89}, Severity: findings.High,
				Sources: []findings.Source{{Scanner: "gosec"}, {Scanner: "codeql"}}}},
			testedBy: []string{"codeql", "gosec"}, status: MatrixFindings},
		{name: "a finding naming no scanner", id: "A03:2021",
			fs: []findings.Finding{{Fingerprint: "n", CWE: []int{89}}}, testedBy: []string{"unknown"}, status: MatrixFindings},
		{name: "categories a finding already carries count", id: "A04:2021",
			fs:       []findings.Finding{{Fingerprint: "c", Scanner: "checkov", OWASP2021: []string{"A04:2021"}}},
			testedBy: []string{"checkov"}, status: MatrixFindings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := row(t, OWASPMatrix(&Report{Scanners: tc.health, Findings: tc.fs}, "2021"), tc.id)
			if diff := cmp.Diff(tc.testedBy, r.TestedBy); diff != "" {
				t.Errorf("tested by (-want +got):\n%s", diff)
			}
			if r.Status != tc.status {
				t.Errorf("status %q, want %q", r.Status, tc.status)
			}
		})
	}
}

func TestOWASPMatrixDoesNotChangeTheReport(t *testing.T) {
	r := sampleReport()
	OWASPMatrix(r, "2021")
	OWASPMatrix(r, "2025")
	if diff := cmp.Diff(sampleReport(), r); diff != "" {
		t.Errorf("report changed (-before +after):\n%s", diff)
	}
}

func TestFindingRowsStatus(t *testing.T) {
	got := map[string]string{}
	for _, row := range FindingRows(sampleReport()) {
		got[row.Fingerprint] = row.Status
	}
	want := map[string]string{
		"fp-minimist": StatusOpen, "fp-sql": StatusOpen, "fp-xss": StatusOpen,
		"fp-aws": StatusSuppressed, "fp-g104": StatusInlineIgnored, "fp-lodash": StatusPreExisting,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}

	// A finding that blocks in one environment is open even where another
	// suppresses it or it carries an inline marker.
	r := sampleReport()
	marked := awsKey
	marked.InlineIgnored = true
	r.Findings = []findings.Finding{marked}
	r.Decisions[1].Blocking = append(r.Decisions[1].Blocking, gateJudged(marked))
	if st := FindingRows(r)[0].Status; st != StatusOpen {
		t.Errorf("blocking somewhere: status %q, want open", st)
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize(sampleReport())
	// The simulated production pass comes last but does not replace the
	// real block.
	var envs []string
	for _, o := range s.Outcomes {
		envs = append(envs, o.Env+"="+string(o.Outcome))
	}
	if diff := cmp.Diff([]string{"staging=warn", "production=block"}, envs); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if s.Outcomes[1].Blocking != 2 || s.Outcomes[1].Simulated {
		t.Errorf("production: %+v, want 2 blocking, not simulated", s.Outcomes[1])
	}
	wantOpen := Counts{Critical: 1, High: 2, Medium: 1}
	if s.Open != wantOpen || s.PreExisting != 1 || s.Suppressed != 1 || s.InlineIgnored != 1 || s.Total != 6 {
		t.Errorf("counts: %+v", s)
	}
	if s.ScannersRan != 4 || s.ScannersSkipped != 1 || s.ScannersFailed != 1 {
		t.Errorf("scanners: %d ran, %d skipped, %d failed; want 4, 1, 1", s.ScannersRan, s.ScannersSkipped, s.ScannersFailed)
	}

	// Only simulated decisions: the environment shows the last one, marked.
	r := sampleReport()
	r.Decisions = r.Decisions[2:]
	s = Summarize(r)
	if len(s.Outcomes) != 1 || !s.Outcomes[0].Simulated || s.Outcomes[0].Outcome != "pass" {
		t.Errorf("simulated only: %+v", s.Outcomes)
	}
}
