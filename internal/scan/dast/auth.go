package dast

import (
	"context"
	"strconv"
)

// checkAuth sends a GET operation the OpenAPI document declares secured
// without the configured credentials (and without cookies), and reports
// a successful answer.
func (s *state) checkAuth(ctx context.Context, e *endpoint) {
	req, err := e.request("", "")
	if err != nil {
		s.fail(e.display(), err)
		return
	}
	r, err := s.client.send(ctx, req, false)
	if err != nil {
		s.fail(e.display(), err)
		return
	}
	if r.Status < 200 || r.Status >= 300 {
		return
	}
	s.report(hit{rule: RuleAuthBypass, method: e.Method, url: e.display(), request: r.Request + " (no credentials)",
		status: r.Status, evidence: clip("status "+strconv.Itoa(r.Status)+": "+excerpt(r.Body, ""), 300),
		message: "The API document declares security for " + e.Method + " " + e.URL.Path +
			", but it answers " + strconv.Itoa(r.Status) + " to a request without credentials."})
}
