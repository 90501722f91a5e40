package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// seedBaseline makes the finished run #1 the release live in production,
// with the dependency finding, and records a production decision of run
// #2 that judged against it: its other findings are new.
func (fx *fixture) seedBaseline() {
	ctx := fx.t.Context()
	body, _ := json.Marshal(map[string]any{"version": 1, "findings": []map[string]any{
		{"fingerprint": "fp-dep", "scanner": "osv", "rule_id": "GHSA-xxxx", "category": "deps", "severity": "high", "title": "minimist prototype pollution",
			"location": map[string]any{"package": "minimist", "version": "1.2.5", "path": "package-lock.json"},
			"sources":  []map[string]string{{"scanner": "osv", "rule_id": "GHSA-xxxx"}}}}})
	fx.must(fx.st.Evidence().PutEvidence(ctx, &store.Evidence{RunID: fx.done.ID, JobID: "lint", Kind: "scan", Body: body}))
	fx.must(fx.st.Decisions().PutDecision(ctx, &store.Decision{RunID: fx.done.ID, Env: "production", JobID: "deploy", Outcome: "pass", Body: []byte("{}")}))
	sum := sha256.Sum256([]byte("fp-dep"))
	fx.must(fx.st.Decisions().PutDecision(ctx, &store.Decision{RunID: fx.run.ID, Env: "production", JobID: "deploy", Outcome: "block",
		Digests: map[string]string{"baseline": "sha256:" + hex.EncodeToString(sum[:])}, Body: []byte(`{"outcome":"block","env":"production"}`)}))
}

// TestFindingsNewAndOWASP: the findings page filters by OWASP Top 10
// category and, when the run's gate judged against a baseline, by new.
func TestFindingsNewAndOWASP(t *testing.T) {
	fx := newFixture(t)
	fx.seedFindings()
	b := fx.browser()
	b.mustLogin(fx.key("vic", "viewer"))
	p := b.get("/runs/2/findings")
	if strings.Contains(p.body, `id="f-new"`) {
		t.Error("the new filter is offered without a baseline")
	}
	wantContains(t, "the findings page", p.body, `<label for="f-owasp">OWASP Top 10</label>`, `<option value="A03:2021">A03:2021</option>`)
	for q, want := range map[string]string{"?owasp=A03:2021": "1 of 3", "?owasp=a06": "1 of 3", "?owasp=A03": "2 of 3", "?owasp=A10:2021": "0 of 3"} {
		wantContains(t, q, b.get("/runs/2/findings"+q).body, want+" findings shown")
	}

	fx.seedBaseline()
	p = b.get("/runs/2/findings")
	wantContains(t, "with a baseline", p.body, `<label for="f-new">New</label>`, `data-testid="baseline"`, "run #1, the last admitted to production",
		`data-new="1"`, `data-new="0"`, `<span class="badge rel-wait">new</span>`)
	wantContains(t, "?new=yes", b.get("/runs/2/findings?new=yes").body, "2 of 3 findings shown", "SQL built from user input", "AWS access key")
	p = b.get("/runs/2/findings?new=no")
	wantContains(t, "?new=no", p.body, "1 of 3 findings shown", "minimist", `<option value="no" selected>in the baseline</option>`)
	// A viewer sees no suppress form.
	if strings.Contains(p.body, `data-testid="suppress-form"`) || strings.Contains(p.body, `data-testid="revoke"`) {
		t.Error("a viewer is offered to suppress")
	}
}

// TestSuppressFromTheFindingsPage: an approver of the project suppresses a
// finding with the page's form (CSRF token, POST-redirect-GET, a flash
// message), the page then says who accepted it until when, and revokes
// it; a developer sees no form and is refused when posting one anyway.
// Every change is an audit record.
func TestSuppressFromTheFindingsPage(t *testing.T) {
	fx := newFixture(t)
	fx.seedFindings()
	ctx := t.Context()

	dev := fx.browser()
	dev.mustLogin(fx.key("dana", "developer@goodbooks"))
	p := dev.get("/runs/2/findings")
	wantStatus(t, "the developer's findings page", p, http.StatusOK)
	if strings.Contains(p.body, `data-testid="suppress-form"`) {
		t.Error("a key without findings:suppress is offered the suppress form")
	}
	wantContains(t, "the developer's findings page", p.body, `data-testid="not-suppressed"`)

	b := fx.browser()
	b.mustLogin(fx.key("bo", "approver@goodbooks"))
	p = b.get("/runs/2/findings?severity=critical")
	wantStatus(t, "the approver's findings page", p, http.StatusOK)
	wantContains(t, "the suppress form", p.body, `data-testid="suppress-form"`, `action="/runs/`+fx.run.ID+`/findings/suppress"`,
		`<label for="reason-fp-sqli">Reason</label>`, `<textarea id="reason-fp-sqli" name="reason"`,
		`<label for="owner-fp-sqli">Owner</label>`, `id="owner-fp-sqli" name="owner" maxlength="200" required value="bo"`,
		`<label for="expires-fp-sqli">Expires</label>`, `<input type="date" id="expires-fp-sqli" name="expires" required`,
		`name="filters" value="severity=critical"`)
	expires := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	form := url.Values{"csrf": {b.csrf(p)}, "fingerprint": {"fp-sqli"}, "reason": {"the input is a constant in production"},
		"owner": {"platform"}, "expires": {expires}, "filters": {"severity=critical"}}

	// Without the CSRF token nothing happens.
	noToken := url.Values{}
	for k, v := range form {
		if k != "csrf" {
			noToken[k] = v
		}
	}
	wantStatus(t, "a post without the token", b.post("/runs/2/findings/suppress", noToken, nil), http.StatusForbidden)
	// A developer posting the form anyway is refused by the API.
	p = dev.post("/runs/2/findings/suppress", url.Values{"csrf": {dev.csrf(dev.get("/runs/2/findings"))}, "fingerprint": {"fp-sqli"},
		"reason": {"r"}, "owner": {"o"}, "expires": {expires}}, nil)
	wantStatus(t, "the developer's suppression", p, http.StatusForbidden)
	wantContains(t, "the developer's refusal", p.body, "findings:suppress")
	// The API refuses an expiry in the past: the page says why, with the
	// form as it was filled in, open.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("expires", "2020-01-01")
	p = b.post("/runs/2/findings/suppress", bad, nil)
	wantStatus(t, "a suppression that expired already", p, http.StatusBadRequest)
	wantContains(t, "the refusal", p.body, `data-testid="suppress-error"`, "is not in the future", "<details open>",
		"the input is a constant in production</textarea>", `value="2020-01-01"`)
	if list, _ := fx.st.Suppressions().ListSuppressions(ctx, "goodbooks"); len(list) != 0 {
		t.Fatalf("refused suppressions were stored: %+v", list[0])
	}

	// The approver's suppression: redirect, flash, and the page says so.
	p = b.post("/runs/2/findings/suppress", form, nil)
	wantStatus(t, "the suppression", p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/runs/"+fx.run.ID+"/findings?severity=critical#finding-fp-sqli" {
		t.Errorf("redirected to %q", loc)
	}
	list, err := fx.st.Suppressions().ListSuppressions(ctx, "goodbooks")
	if err != nil || len(list) != 1 || list[0].Fingerprint != "fp-sqli" || list[0].CreatedBy != "bo" || list[0].Owner != "platform" {
		t.Fatalf("stored: %+v %v", list, err)
	}
	id := list[0].ID
	p = b.get(p.header.Get("Location"))
	wantContains(t, "the page after suppressing", p.body, `data-testid="flash"`, "bo suppressed finding fp-sqli of goodbooks until "+expires,
		`data-testid="suppressed-by" data-kind="stored"`, "Stored suppression", "owner <strong>platform</strong>", "accepted by bo",
		"the input is a constant in production", `data-testid="revoke"`)
	if strings.Contains(p.body, `data-testid="suppress-form"`) {
		t.Error("a finding already suppressed in the store is offered the suppress form again")
	}
	if strings.Contains(b.get("/runs/2/findings").body, "suppressed finding") {
		t.Error("the flash message is shown twice")
	}
	wantContains(t, "?suppressed=yes", b.get("/runs/2/findings?suppressed=yes").body, "2 of 3 findings shown", "SQL built from user input")
	// The developer sees it suppressed, without a revoke button.
	p = dev.get("/runs/2/findings")
	wantContains(t, "the developer's page", p.body, "Stored suppression", "owner <strong>platform</strong>")
	if strings.Contains(p.body, `data-testid="revoke"`) {
		t.Error("a developer is offered to revoke")
	}

	// Revoking.
	p = b.get("/runs/2/findings")
	p = b.post("/runs/2/findings/suppressions/"+itoa(id)+"/revoke", url.Values{"csrf": {b.csrf(p)}, "fingerprint": {"fp-sqli"}}, nil)
	wantStatus(t, "the revocation", p, http.StatusSeeOther)
	p = b.get(p.header.Get("Location"))
	wantContains(t, "the page after revoking", p.body, "bo revoked stored suppression "+itoa(id))
	if got, _ := fx.st.Suppressions().GetSuppression(ctx, id); got == nil || got.RevokedBy != "bo" {
		t.Errorf("not revoked: %+v", got)
	}

	recs, err := fx.st.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: store.SuppressionSubject(id)})
	if err != nil || len(recs) != 2 || recs[0].Action != "suppression.create" || recs[1].Action != "suppression.revoke" ||
		recs[0].Actor != "bo" || recs[0].Data["reason"] != "the input is a constant in production" {
		t.Errorf("audit records: %+v %v", recs, err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
