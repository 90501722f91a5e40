package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/report/compliance"
	"github.com/sluice-ci/sluice/internal/store"
)

// TestRunReport: the compliance report of a run the server executed, in
// the three formats, for keys that may read the audit trail.
func TestRunReport(t *testing.T) {
	fx := newFixture(t)
	commit := fx.testRepo("goodbooks", "version: 1\njobs:\n  build: { steps: [{ run: 'echo built' }] }\n")
	dev := fx.mkKey("dana", "developer@goodbooks")
	run := fx.waitRun(fx.trigger(dev, "goodbooks", commit), final)
	if run.Status != store.StatusSucceeded {
		t.Fatalf("run: %s %s", run.Status, run.Error)
	}
	auditor := fx.mkKey("auditor", "approver@goodbooks")

	res, body := fx.do("GET", "/api/v1/runs/"+run.ID+"/report", auditor, nil, nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" || res.Header.Get("X-Sluice-Audit-Verified") != "true" {
		t.Fatalf("json report: %d %v %s", res.StatusCode, res.Header, body)
	}
	var rep compliance.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Run.ID != run.ID || rep.Run.Commit != commit || rep.Run.Actor != "dana" || len(rep.Run.Jobs) != 1 || rep.Run.Jobs[0].ID != "build" ||
		!rep.Audit.Verified || rep.Audit.Checked == 0 || len(rep.Audit.Entries) < 2 {
		t.Errorf("report: %+v", rep)
	}

	res, body = fx.do("GET", "/api/v1/runs/"+run.ID+"/report?format=html", auditor, nil, nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") || !strings.Contains(string(body), run.ID) {
		t.Errorf("html report: %d %v", res.StatusCode, res.Header)
	}
	res, body = fx.do("GET", "/api/v1/runs/"+run.ID+"/report?format=md", auditor, nil, nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/markdown") || !strings.Contains(string(body), commit) {
		t.Errorf("markdown report: %d %v\n%s", res.StatusCode, res.Header, body)
	}
	if res, _ := fx.do("GET", "/api/v1/runs/"+run.ID+"/report?format=pdf", auditor, nil, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("format=pdf: %d, want 400", res.StatusCode)
	}
	// The report holds the run's audit records: audit:read on the project.
	for name, key := range map[string]string{"developer": dev, "viewer": fx.mkKey("v", "viewer"), "other project": fx.mkKey("o", "approver@other")} {
		if res, _ := fx.do("GET", "/api/v1/runs/"+run.ID+"/report", key, nil, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s reads the report: %d, want 403", name, res.StatusCode)
		}
	}
}
