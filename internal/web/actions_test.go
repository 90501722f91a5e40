package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRunActions: the cancel and rerun buttons post to the UI, which calls
// the API as the logged-in key; the API's answer is the page's.
func TestRunActions(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("ana", "developer"))
	p := b.get("/runs/" + fx.run.ID)
	token := b.csrf(p)
	// No runner executes the seeded run in this test's server, so the
	// API finds its process gone and marks it interrupted.
	p = b.post("/runs/"+fx.run.ID+"/cancel", url.Values{"csrf": {token}}, nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/runs/"+fx.run.ID {
		t.Fatalf("cancel: %d %s\n%s", p.status, p.header.Get("Location"), p.body)
	}
	p = b.get("/runs/" + fx.run.ID)
	wantContains(t, "the cancelled run", p.body, `data-testid="flash">Run #2 is interrupted.`, `data-testid="run-status" data-status="interrupted"`,
		`data-testid="rerun-failed"`)
	// Cancelling it again is refused by the API, with its reason.
	p = b.post("/runs/"+fx.run.ID+"/cancel", url.Values{"csrf": {token}}, nil)
	wantStatus(t, "cancel of an ended run", p, http.StatusConflict)
	wantContains(t, "the refusal", p.body, "run #2 already ended: interrupted")
	// This server starts no runs: the API says so, and so does the page.
	p = b.post("/runs/"+fx.done.ID+"/rerun", url.Values{"csrf": {token}}, nil)
	wantStatus(t, "rerun without a runner", p, http.StatusServiceUnavailable)
	wantContains(t, "the refusal", p.body, "this server does not start runs")
	// A viewer's key may not: the API refuses and names the permission.
	v := fx.browser()
	v.mustLogin(fx.key("val", "viewer"))
	p = v.post("/runs/"+fx.done.ID+"/rerun", url.Values{"csrf": {v.csrf(v.get("/"))}}, nil)
	wantStatus(t, "rerun by a viewer", p, http.StatusForbidden)
	wantContains(t, "the refusal", p.body, "<code>runs:rerun</code>")
	if strings.Contains(v.get("/runs/"+fx.done.ID).body, `data-testid="rerun"`) {
		t.Error("a viewer is offered to run again")
	}
}
