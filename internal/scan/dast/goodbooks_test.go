package dast

import (
	"testing"
)

// goodbooks is the clean example: the active checks must find nothing.
// It sends nosniff on every response, no cookies, no banner and no HTML,
// so the passive checks find nothing either.
func TestScanGoodbooks(t *testing.T) {
	t.Parallel()
	base := startApp(t, "examples/goodbooks/cmd/goodbooks")
	res, err := Scan(scanCtx(t), Options{
		BaseURL:      base,
		OpenAPI:      "../../../examples/goodbooks/api/openapi.yaml",
		ActiveChecks: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("goodbooks: %d findings, %d endpoints, %d requests, %s", len(res.Findings), res.Health.Files, res.Requests, res.Duration)
	for _, f := range res.Findings {
		t.Errorf("unexpected finding %s at %s %s: %s", f.RuleID, f.Location.Method, f.Location.URL, f.Properties[PropEvidence])
	}
	// GET /books?q and GET /books/{id} are attacked; POST and DELETE are
	// listed but never sent.
	if res.Health.Files < 4 || res.Requests < 30 {
		t.Errorf("scanned %d endpoints with %d requests; the OpenAPI operations were not attacked", res.Health.Files, res.Requests)
	}
	if res.Health.Partial || len(res.Health.Errors) > 0 {
		t.Errorf("health = %+v", res.Health)
	}
}
