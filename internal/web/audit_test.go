package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
)

var seqRE = regexp.MustCompile(`data-testid="audit-record" data-seq="(\d+)"`)

// seqs are the sequence numbers of the audit records on a page, in order.
func seqs(body string) []string {
	var out []string
	for _, m := range seqRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestAuditPage(t *testing.T) {
	fx := newFixture(t)
	// 120 records more than the seed's: enough for three pages.
	for i := range 120 {
		actor, action := "bo", "release.promote"
		if i%3 == 0 {
			actor, action = "ana", "run.cancel"
		}
		fx.must(fx.st.Audit().AppendAudit(t.Context(), &store.AuditRecord{Actor: actor, Action: action,
			Subject: fmt.Sprintf("thing/%03d", i), Data: map[string]string{"n": fmt.Sprint(i)}}))
	}
	b := fx.browser()
	b.mustLogin(fx.key("admin", "admin"))
	p := b.get("/audit")
	wantStatus(t, "audit", p, http.StatusOK)
	wantContains(t, "the audit page", p.body, `data-testid="audit-verified" data-verified="true"`, "The hash chain holds",
		`aria-current="page">Audit</a>`, "thing/119", "n=119", `data-testid="older"`)
	got := seqs(p.body)
	if len(got) != auditPageSize {
		t.Fatalf("%d records on the first page", len(got))
	}
	// Newest first, and the next page goes on where this one stopped.
	all := got
	for next := olderLink(p.body); next != ""; next = olderLink(p.body) {
		p = b.get(next)
		wantStatus(t, next, p, http.StatusOK)
		wantContains(t, next, p.body, `data-testid="newer"`)
		all = append(all, seqs(p.body)...)
	}
	if len(all) < 122 {
		t.Fatalf("%d records over all pages", len(all))
	}
	for i := 1; i < len(all); i++ {
		var a, b int
		fmt.Sscan(all[i-1], &a)
		fmt.Sscan(all[i], &b)
		if b != a-1 {
			t.Fatalf("records out of order or missing: %s then %s", all[i-1], all[i])
		}
	}
	// Filters: actor, action prefix, subject prefix.
	p = b.get("/audit?actor=ana&action=run.")
	if n := len(seqs(p.body)); n != 40 || strings.Contains(p.body, "release.promote") {
		t.Errorf("actor and action filter: %d records", n)
	}
	wantContains(t, "the filtered page", p.body, `name="actor" value="ana"`)
	p = b.get("/audit?subject=thing/11")
	if n := len(seqs(p.body)); n != 10 {
		t.Errorf("subject filter: %d records", n)
	}
	wantContains(t, "no match", b.get("/audit?actor=nobody").body, `data-testid="no-audit"`)
	// The audit trail needs audit:read.
	d := fx.browser()
	d.mustLogin(fx.key("dev", "developer"))
	p = d.get("/audit")
	wantStatus(t, "audit for a developer", p, http.StatusForbidden)
	wantContains(t, "the refusal", p.body, "<code>audit:read</code>")
}

var olderRE = regexp.MustCompile(`<a href="([^"]+)" data-testid="older">`)

func olderLink(body string) string {
	if m := olderRE.FindStringSubmatch(body); m != nil {
		return strings.ReplaceAll(m[1], "&amp;", "&")
	}
	return ""
}

func TestRunsPage(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("ana", "developer"))
	p := b.get("/runs")
	wantStatus(t, "runs", p, http.StatusOK)
	wantContains(t, "the runs page", p.body, `aria-current="page">Runs</a>`, `href="/runs/`+fx.run.ID+`">#2</a>`,
		`href="/runs/`+fx.done.ID+`">#1</a>`, "1m 35s", "goodbooks")
	if strings.Contains(p.body, `data-testid="older"`) {
		t.Error("one page of runs offers older ones")
	}
	// Past the first page through the API's cursor.
	p = b.get("/runs?cursor=2")
	wantContains(t, "the second page", p.body, `href="/runs/`+fx.done.ID+`">#1</a>`, `data-testid="newer"`)
	if strings.Contains(p.body, `">#2</a>`) {
		t.Error("the cursor did not skip run #2")
	}
	// More runs than a page: the older link follows the API's cursor.
	for range runsPageSize {
		fx.must(fx.st.Runs().CreateRun(t.Context(), &store.Run{Project: "goodbooks", Pipeline: "goodbooks", Status: store.StatusSucceeded,
			Commit: commit, Actor: "bo", CreatedAt: fx.done.CreatedAt}))
	}
	p = b.get("/runs")
	if n := strings.Count(p.body, `data-testid="run-row"`); n != runsPageSize {
		t.Errorf("%d runs on the first page", n)
	}
	older := olderLink(p.body)
	if older != "/runs?cursor=3" {
		t.Fatalf("older link %q", older)
	}
	p = b.get(older)
	if n := strings.Count(p.body, `data-testid="run-row"`); n != 2 || olderLink(p.body) != "" {
		t.Errorf("the last page: %d runs, older %q", n, olderLink(p.body))
	}
}
