package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
)

const suppressPipeline = `version: 1
name: goodbooks
jobs:
  security:
    scan: [deps]
  to-production:
    needs: [security]
    environment: production
    steps: [{ run: "true" }]
environments:
  production: { gates: { mode: block, block: high, new_only: true } }
`

// findingsRun stores a run of project goodbooks whose security job
// reported a finding per fingerprint: fp-sqli a critical SQL injection
// (OWASP A03:2021), any other a high vulnerable dependency.
func (fx *fixture) findingsRun(fps ...string) *store.Run {
	fx.t.Helper()
	ctx := fx.t.Context()
	r := &store.Run{Project: "goodbooks", Pipeline: "goodbooks", File: "sluice.yaml", Spec: []byte(suppressPipeline), Workdir: fx.t.TempDir(),
		Status: store.StatusSucceeded, Actor: "ana"}
	if err := fx.st.Runs().CreateRun(ctx, r); err != nil {
		fx.t.Fatal(err)
	}
	var fs []map[string]any
	for _, fp := range fps {
		f := map[string]any{"fingerprint": fp, "scanner": "osv", "rule_id": "GHSA-" + fp, "category": "deps", "severity": "high",
			"title": "vulnerable " + fp, "location": map[string]any{"path": "go.mod", "package": "example.org/" + fp, "version": "1.0.0"},
			"sources": []map[string]string{{"scanner": "osv", "rule_id": "GHSA-" + fp}}}
		if fp == "fp-sqli" {
			f = map[string]any{"fingerprint": fp, "scanner": "semgrep", "rule_id": "go.sqli", "category": "sast", "severity": "critical",
				"title": "SQL built from input", "cwe": []int{89}, "location": map[string]any{"path": "db.go", "start_line": 4},
				"sources": []map[string]string{{"scanner": "semgrep", "rule_id": "go.sqli"}}}
		}
		fs = append(fs, f)
	}
	body, _ := json.Marshal(map[string]any{"version": 1, "findings": fs, "scanners": []map[string]any{{"scanner": "deps", "status": "ran"}}})
	if err := fx.st.Evidence().PutEvidence(ctx, &store.Evidence{RunID: r.ID, JobID: "security", Kind: "scan", Body: body}); err != nil {
		fx.t.Fatal(err)
	}
	return r
}

// keeper is the gatekeeper of suppressPipeline, as a run's admission has it.
func (fx *fixture) keeper() *gatekeeper.Keeper {
	p, ds := spec.Parse("sluice.yaml", []byte(suppressPipeline))
	if ds.HasErrors() {
		fx.t.Fatal(ds.Error())
	}
	return &gatekeeper.Keeper{Store: fx.st, Pipeline: p, Dir: fx.t.TempDir(), Actor: "gate"}
}

// judge re-judges run r for production as sluice gate --run does, and
// records the decision as an admission of to-production when record.
func (fx *fixture) judge(r *store.Run, record bool) gate.Outcome {
	fx.t.Helper()
	k := fx.keeper()
	ev, err := gatekeeper.RunEvidence(fx.t.Context(), fx.st, r.ID, []string{"security"})
	if err != nil {
		fx.t.Fatal(err)
	}
	j, err := k.Judge(fx.t.Context(), "production", ev, gatekeeper.Options{Run: r, Jobs: []string{"security"}})
	if err != nil {
		fx.t.Fatal(err)
	}
	if record {
		if err := k.Record(fx.t.Context(), r, "to-production", j); err != nil {
			fx.t.Fatal(err)
		}
	}
	return j.Decision.Outcome
}

type apiFindings struct {
	Findings []struct {
		Fingerprint  string         `json:"fingerprint"`
		OWASP2021    []string       `json:"owasp_2021"`
		New          *bool          `json:"new"`
		Suppressed   bool           `json:"suppressed"`
		SuppressedBy []suppressedBy `json:"suppressed_by"`
	} `json:"findings"`
	Baseline *baselineJSON `json:"baseline"`
}

func (fx *fixture) findings(key, ref, query string) apiFindings {
	fx.t.Helper()
	res, body := fx.do("GET", "/api/v1/runs/"+ref+"/findings"+query, key, nil, nil)
	if res.StatusCode != http.StatusOK {
		fx.t.Fatalf("findings%s: %d %s", query, res.StatusCode, body)
	}
	var out apiFindings
	if err := json.Unmarshal(body, &out); err != nil {
		fx.t.Fatal(err)
	}
	return out
}

func fingerprints(af apiFindings) string {
	var fps []string
	for _, f := range af.Findings {
		fps = append(fps, f.Fingerprint)
	}
	return strings.Join(fps, ",")
}

// TestSuppressionsAPI: an approver of the project suppresses a blocking
// finding through the API, the findings API says so, and the gate passes
// when it judges again; revoked, the gate blocks again. Keys without
// findings:suppress are refused, bad suppressions too, and every change is
// an audit record.
func TestSuppressionsAPI(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	p, err := NewProject("goodbooks", "https://git.example/acme/goodbooks.git", "", "", fx.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.st.Control().PutProject(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	approver := fx.mkKey("bo", "approver@goodbooks")
	dev := fx.mkKey("dana", "developer@goodbooks")
	viewer := fx.mkKey("vic", "viewer@goodbooks")
	other := fx.mkKey("olga", "approver@other")
	admin := fx.mkKey("root", "admin")

	// Run 1 has an old finding and reached production; run 2 adds two.
	r1 := fx.findingsRun("fp-old")
	k := fx.keeper()
	j, err := k.Judge(ctx, "production", &gatekeeper.Evidence{}, gatekeeper.Options{Run: r1, Jobs: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Record(ctx, r1, "to-production", j); err != nil {
		t.Fatal(err)
	}
	r2 := fx.findingsRun("fp-old", "fp-new", "fp-sqli")
	if fx.judge(r2, true) != gate.Block {
		t.Fatal("the new findings did not block")
	}

	// New against the baseline, and OWASP categories, with filters.
	all := fx.findings(viewer, r2.ID, "")
	if all.Baseline == nil || all.Baseline.Run != r1.ID || all.Baseline.Env != "production" || len(all.Findings) != 3 {
		t.Fatalf("findings of run 2: %+v", all)
	}
	for _, f := range all.Findings {
		if f.New == nil || *f.New != (f.Fingerprint != "fp-old") || f.Suppressed {
			t.Errorf("%s: new %v, suppressed %v", f.Fingerprint, f.New, f.Suppressed)
		}
	}
	for q, want := range map[string]string{
		"?new=yes": "fp-sqli,fp-new", "?new=no": "fp-old", "?owasp=A03:2021": "fp-sqli", "?owasp=a06": "fp-new,fp-old",
		"?scanner=semgrep": "fp-sqli", "?suppressed=yes": "", "?new=yes&severity=high": "fp-new",
	} {
		if got := fingerprints(fx.findings(viewer, r2.ID, q)); got != want {
			t.Errorf("findings%s: %s, want %s", q, got, want)
		}
	}
	if res, _ := fx.do("GET", "/api/v1/runs/"+r2.ID+"/findings?new=maybe", viewer, nil, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("?new=maybe: %d, want 400", res.StatusCode)
	}
	// A run no gate judged says nothing about newness.
	res, body := fx.do("GET", "/api/v1/runs/"+fx.findingsRun("fp-x").ID+"/findings", viewer, nil, nil)
	if res.StatusCode != http.StatusOK || strings.Contains(string(body), `"new"`) || strings.Contains(string(body), `"baseline"`) {
		t.Errorf("a run without decisions: %d %s", res.StatusCode, body)
	}

	path := "/api/v1/projects/goodbooks/suppressions"
	expires := time.Now().Add(30 * 24 * time.Hour).Format(time.DateOnly)
	good := map[string]string{"fingerprint": "fp-new", "reason": "not reachable from our handlers", "owner": "platform", "expires": expires}
	// Keys that may not suppress are refused, and nothing is stored.
	for name, key := range map[string]string{"developer": dev, "viewer": viewer, "approver of another project": other} {
		if res, body := fx.do("POST", path, key, good, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s suppresses: %d %s, want 403", name, res.StatusCode, body)
		}
	}
	if res, _ := fx.do("GET", path, other, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("another project's approver lists goodbooks' suppressions: %d", res.StatusCode)
	}
	// Bad suppressions are refused.
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for what, c := range map[string]struct {
		body   any
		status int
	}{
		"no reason":           {with("reason", ""), http.StatusBadRequest},
		"no owner":            {with("owner", " "), http.StatusBadRequest},
		"no expiry":           {with("expires", ""), http.StatusBadRequest},
		"expired":             {with("expires", "2020-01-01"), http.StatusBadRequest},
		"too far":             {with("expires", time.Now().AddDate(2, 0, 0).Format(time.DateOnly)), http.StatusBadRequest},
		"not a date":          {with("expires", "soon"), http.StatusBadRequest},
		"unknown fingerprint": {with("fingerprint", "fp-never"), http.StatusUnprocessableEntity},
		"rule without path":   {map[string]string{"rule": "G304", "reason": "r", "owner": "o", "expires": expires}, http.StatusBadRequest},
		"unknown field":       {with("approved", "yes"), http.StatusBadRequest},
	} {
		if res, body := fx.do("POST", path, approver, c.body, nil); res.StatusCode != c.status {
			t.Errorf("%s: %d %s, want %d", what, res.StatusCode, body, c.status)
		}
	}
	if res, _ := fx.do("POST", "/api/v1/projects/nothing/suppressions", admin, good, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a suppression in an unknown project: %d, want 404", res.StatusCode)
	}
	if list, _ := fx.st.Suppressions().ListSuppressions(ctx, "goodbooks"); len(list) != 0 {
		t.Fatalf("refused suppressions were stored: %+v", list[0])
	}

	// The approver suppresses the new dependency and the SQL injection.
	var created suppressionJSON
	res, body = fx.do("POST", path, approver, good, nil)
	if res.StatusCode != http.StatusCreated || json.Unmarshal(body, &created) != nil || created.ID == 0 || created.State != "active" ||
		created.CreatedBy != "bo" || created.Expires.Format(time.DateOnly) != expires {
		t.Fatalf("suppress: %d %s", res.StatusCode, body)
	}
	if res, body := fx.do("POST", path, approver, good, nil); res.StatusCode != http.StatusConflict || !strings.Contains(string(body), fmt.Sprint(created.ID)) {
		t.Errorf("suppressing twice: %d %s, want 409", res.StatusCode, body)
	}
	if fx.judge(r2, false) != gate.Block {
		t.Fatal("the SQL injection, not suppressed yet, did not block")
	}
	sqli := with("fingerprint", "fp-sqli")
	if res, body := fx.do("POST", path, approver, sqli, nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("suppress: %d %s", res.StatusCode, body)
	}
	if got := fx.judge(r2, false); got != gate.Pass {
		t.Fatalf("re-judged with both suppressed: %s, want pass", got)
	}

	// The findings API says what suppresses each.
	sup := fx.findings(viewer, r2.ID, "?suppressed=yes")
	if fingerprints(sup) != "fp-sqli,fp-new" {
		t.Fatalf("suppressed findings: %s", fingerprints(sup))
	}
	for _, f := range sup.Findings {
		by := f.SuppressedBy
		if len(by) != 1 || by[0].Kind != "stored" || by[0].ID == 0 || by[0].Owner != "platform" || by[0].Expires == nil {
			t.Errorf("%s suppressed by %+v", f.Fingerprint, by)
		}
	}
	var list struct {
		Suppressions []suppressionJSON `json:"suppressions"`
	}
	res, body = fx.do("GET", path+"?state=active", viewer, nil, nil)
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &list) != nil || len(list.Suppressions) != 2 {
		t.Fatalf("list: %d %s", res.StatusCode, body)
	}

	// Revoking: refused without the right, then done once.
	one := fmt.Sprintf("%s/%d", path, created.ID)
	if res, _ := fx.do("DELETE", one, dev, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a developer revokes: %d, want 403", res.StatusCode)
	}
	if res, _ := fx.do("DELETE", fmt.Sprintf("/api/v1/projects/other/suppressions/%d", created.ID), other, nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("revoking through another project: %d, want 404", res.StatusCode)
	}
	res, body = fx.do("DELETE", one, approver, nil, nil)
	var revoked suppressionJSON
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &revoked) != nil || revoked.State != "revoked" || revoked.RevokedBy != "bo" {
		t.Fatalf("revoke: %d %s", res.StatusCode, body)
	}
	if res, _ := fx.do("DELETE", one, approver, nil, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("revoking twice: %d, want 409", res.StatusCode)
	}
	if got := fx.judge(r2, false); got != gate.Block {
		t.Errorf("re-judged after the revocation: %s, want block", got)
	}
	if f := fx.findings(viewer, r2.ID, "?suppressed=no&new=yes"); fingerprints(f) != "fp-new" {
		t.Errorf("after the revocation, not suppressed: %s", fingerprints(f))
	}

	// Every change is an audit record, by the key's name.
	recs, err := fx.st.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "suppression/"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Actor+" "+r.Action+" "+r.Subject+" "+r.Data["fingerprint"])
	}
	want := fmt.Sprintf("bo suppression.create suppression/%d fp-new|bo suppression.create suppression/%d fp-sqli|bo suppression.revoke suppression/%d fp-new",
		created.ID, created.ID+1, created.ID)
	if got := strings.Join(actions, "|"); got != want {
		t.Errorf("audit records:\n%s\nwant\n%s", got, want)
	}
	if denied, _ := fx.st.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "key/"}); len(denied) == 0 {
		t.Error("refusals were not audited")
	}
}
