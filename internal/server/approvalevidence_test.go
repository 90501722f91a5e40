package server

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/store"
)

// evidenceRepo makes a repository of three commits, mirrors it where the
// scheduler keeps project's mirror, and returns the commits, oldest first.
func (fx *fixture) evidenceRepo(project string) []string {
	t := fx.t
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	var commits []string
	for _, subject := range []string{"first release", "add the search page", "fix the login redirect"} {
		git(t, repo, "commit", "-q", "--allow-empty", "-m", subject)
		commits = append(commits, git(t, repo, "rev-parse", "HEAD"))
	}
	mirror := mirrorDir(fx.data, project)
	if err := os.MkdirAll(filepath.Dir(mirror), 0o700); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "clone", "-q", "--mirror", "--", repo, mirror)
	return commits
}

// setCommit records where run r was built from.
func (fx *fixture) setCommit(r *store.Run, commit, branch string, status store.Status) {
	fx.t.Helper()
	r.Commit, r.Branch, r.Status = commit, branch, status
	if err := fx.st.Runs().UpdateRun(fx.t.Context(), r); err != nil {
		fx.t.Fatal(err)
	}
}

type apiEvidence struct {
	Run       string           `json:"run"`
	RunNumber int64            `json:"run_number"`
	Env       string           `json:"env"`
	State     string           `json:"state"`
	Findings  findingsDiffJSON `json:"findings"`
	Changes   changesJSON      `json:"changes"`
}

func (fx *fixture) evidence(key, ref, env string) apiEvidence {
	fx.t.Helper()
	res, body := fx.do("GET", "/api/v1/runs/"+ref+"/approvals/"+env+"/evidence", key, nil, nil)
	if res.StatusCode != http.StatusOK {
		fx.t.Fatalf("evidence of %s in %s: %d %s", ref, env, res.StatusCode, body)
	}
	var out apiEvidence
	if err := json.Unmarshal(body, &out); err != nil {
		fx.t.Fatal(err)
	}
	return out
}

// TestApprovalEvidence: run 1 was admitted to production and is live
// there; run 2 waits for approval with one new high finding (suppressed,
// so its gate passed) and one fixed. The evidence counts them against
// the baseline production's gate used, the counts agree with the
// findings API's filters, and the changes name both commits, the
// GitHub compare link and the commits between them from the mirror.
func TestApprovalEvidence(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	p, err := NewProject("goodbooks", "git@github.com:acme/goodbooks.git", "", "", fx.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.st.Control().PutProject(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	commits := fx.evidenceRepo("goodbooks")
	viewer := fx.mkKey("vic", "viewer@goodbooks")
	approver := fx.mkKey("bo", "approver@goodbooks")

	r1 := fx.findingsRun("fp-old", "fp-gone")
	fx.setCommit(r1, commits[0], "main", store.StatusSucceeded)
	k := fx.keeper()
	j, err := k.Judge(ctx, "production", &gatekeeper.Evidence{}, gatekeeper.Options{Run: r1, Jobs: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Record(ctx, r1, "to-production", j); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	rel := &store.Release{ID: "rel-1", Env: "production", Version: "v1.4.0", Digest: "sha256:" + strings.Repeat("b", 64), RunID: r1.ID,
		Strategy: "blue-green", State: store.ReleaseLive, Weight: 100, CreatedAt: now, UpdatedAt: now}
	if err := fx.st.Releases().CreateRelease(ctx, rel, nil); err != nil {
		t.Fatal(err)
	}
	if err := fx.st.Releases().PutEnv(ctx, &store.EnvState{Env: "production", Live: rel.ID, UpdatedAt: now}, nil); err != nil {
		t.Fatal(err)
	}

	r2 := fx.findingsRun("fp-old", "fp-new")
	fx.setCommit(r2, commits[2], "feature/search", store.StatusRunning)
	expires := now.Add(30 * 24 * time.Hour).Format(time.DateOnly)
	if res, body := fx.do("POST", "/api/v1/projects/goodbooks/suppressions", approver,
		map[string]string{"fingerprint": "fp-new", "reason": "not reachable", "owner": "platform", "expires": expires}, nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("suppress: %d %s", res.StatusCode, body)
	}
	if got := fx.judge(r2, true); got != gate.Pass {
		t.Fatalf("run 2's gate: %s, want pass", got)
	}
	if err := fx.st.Approvals().RequestApproval(ctx, &store.ApprovalRequest{RunID: r2.ID, Env: "production", JobID: "to-production", Min: 1,
		NotAuthor: true, Author: "ana", Deadline: now.Add(time.Hour), State: store.ApprovalPending}, nil); err != nil {
		t.Fatal(err)
	}

	ev := fx.evidence(viewer, r2.ID, "production")
	f := ev.Findings
	if ev.Run != r2.ID || ev.RunNumber != r2.Number || ev.Env != "production" || ev.State != store.ApprovalPending {
		t.Errorf("evidence of %+v", ev)
	}
	if f.All != (severityCounts{Total: 2, High: 2}) || f.Suppressed != 1 {
		t.Errorf("all %+v, suppressed %d; want 2 high, 1 suppressed", f.All, f.Suppressed)
	}
	if f.Baseline == nil || f.Baseline.Run != r1.ID || f.Baseline.Number != r1.Number || f.Baseline.Env != "production" || f.BaselineNote != "" {
		t.Fatalf("baseline %+v (%q), want run #%d", f.Baseline, f.BaselineNote, r1.Number)
	}
	if f.New == nil || *f.New != (severityCounts{Total: 1, High: 1}) {
		t.Errorf("new %+v, want 1 high", f.New)
	}
	if f.Fixed == nil || *f.Fixed != (severityCounts{Total: 1, High: 1}) || len(f.FixedFindings) != 1 || f.FixedFindings[0].Fingerprint != "fp-gone" ||
		f.FixedFindings[0].Severity != "high" || f.FixedFindings[0].Title != "vulnerable fp-gone" {
		t.Errorf("fixed %+v %+v, want fp-gone (high)", f.Fixed, f.FixedFindings)
	}
	// The findings page's filters the UI links each count to list
	// exactly the findings counted.
	if !f.NewFilter {
		t.Error("new_filter is off, though the findings API judges against the same baseline")
	}
	fx.sameAsFilter(viewer, r2.ID, f.New)
	if got := fingerprints(fx.findings(viewer, r2.ID, "?suppressed=yes")); got != "fp-new" {
		t.Errorf("?suppressed=yes lists %s, want fp-new", got)
	}

	c := ev.Changes
	if c.Commit != commits[2] || c.Branch != "feature/search" || c.SameCommit {
		t.Errorf("this run's commit %s on %s", c.Commit, c.Branch)
	}
	if l := c.Live; l == nil || l.Release != "rel-1" || l.Version != "v1.4.0" || l.Run != r1.ID || l.RunNumber != r1.Number ||
		l.Commit != commits[0] || l.Branch != "main" || c.LiveNote != "" {
		t.Fatalf("live %+v (%q)", c.Live, c.LiveNote)
	}
	if c.Range != commits[0]+".."+commits[2] {
		t.Errorf("range %q", c.Range)
	}
	if want := "https://github.com/acme/goodbooks/compare/" + commits[0] + "..." + commits[2]; c.CompareURL != want {
		t.Errorf("compare link %q, want %q", c.CompareURL, want)
	}
	if c.Ahead == nil || *c.Ahead != 2 || c.Behind == nil || *c.Behind != 0 || c.CommitsNote != "" || len(c.Commits) != 2 ||
		c.Commits[0] != (commitJSON{commits[2], "fix the login redirect"}) || c.Commits[1] != (commitJSON{commits[1], "add the search page"}) {
		t.Errorf("commits %+v, ahead %v, behind %v (%q)", c.Commits, c.Ahead, c.Behind, c.CommitsNote)
	}

	// Without the mirror, the commits are not listed and the note says so.
	if err := os.RemoveAll(mirrorDir(fx.data, "goodbooks")); err != nil {
		t.Fatal(err)
	}
	if c := fx.evidence(viewer, r2.ID, "production").Changes; c.Commits != nil || c.Ahead != nil || !strings.Contains(c.CommitsNote, "no copy") ||
		c.CompareURL == "" {
		t.Errorf("without a mirror: %+v", c)
	}

	// A run no gate judged for staging: the baseline is unknown, and
	// said so; nothing is live there.
	if err := fx.st.Approvals().RequestApproval(ctx, &store.ApprovalRequest{RunID: r2.ID, Env: "staging", Min: 1,
		Deadline: now.Add(time.Hour), State: store.ApprovalPending}, nil); err != nil {
		t.Fatal(err)
	}
	st := fx.evidence(viewer, r2.ID, "staging")
	if st.Findings.Baseline != nil || st.Findings.New != nil || st.Findings.Fixed != nil ||
		!strings.Contains(st.Findings.BaselineNote, "No gate decision of staging") || st.Findings.All.Total != 2 {
		t.Errorf("staging findings: %+v", st.Findings)
	}
	if st.Changes.Live != nil || st.Changes.LiveNote != "Nothing is live in staging yet." || st.Changes.Range != "" {
		t.Errorf("staging changes: %+v", st.Changes)
	}

	// No request, no evidence; another project's key may not read it.
	if res, body := fx.do("GET", "/api/v1/runs/"+r1.ID+"/approvals/production/evidence", viewer, nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a run that never waited: %d %s, want 404", res.StatusCode, body)
	}
	if res, _ := fx.do("GET", "/api/v1/runs/"+r2.ID+"/approvals/production/evidence", fx.mkKey("olga", "viewer@other"), nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("another project's key: %d, want 403", res.StatusCode)
	}
}

// TestApprovalEvidenceOtherProject: the gate's baseline is the run last
// admitted to the environment, of whichever project; the evidence of a
// run judged against another project's run counts its new findings but
// shows nothing of the other project's.
func TestApprovalEvidenceOtherProject(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	other := fx.findingsRun("fp-theirs")
	other.Project = "other"
	if err := fx.st.Runs().UpdateRun(ctx, other); err != nil {
		t.Fatal(err)
	}
	k := fx.keeper()
	j, err := k.Judge(ctx, "production", &gatekeeper.Evidence{}, gatekeeper.Options{Run: other, Jobs: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Record(ctx, other, "to-production", j); err != nil {
		t.Fatal(err)
	}
	r := fx.findingsRun("fp-ours")
	fx.judge(r, true)
	if err := fx.st.Approvals().RequestApproval(ctx, &store.ApprovalRequest{RunID: r.ID, Env: "production", Min: 1,
		Deadline: time.Now().Add(time.Hour), State: store.ApprovalPending}, nil); err != nil {
		t.Fatal(err)
	}
	f := fx.evidence(fx.mkKey("vic", "viewer@goodbooks"), r.ID, "production").Findings
	if f.Baseline == nil || f.Baseline.Run != other.ID || f.New == nil || *f.New != (severityCounts{Total: 1, High: 1}) {
		t.Fatalf("baseline %+v, new %+v", f.Baseline, f.New)
	}
	if f.Fixed != nil || f.FixedFindings != nil || !strings.Contains(f.BaselineNote, "another project") {
		t.Errorf("another project's findings shown: fixed %+v %+v (%q)", f.Fixed, f.FixedFindings, f.BaselineNote)
	}
}

// sameAsFilter checks that the findings API's ?new=yes&severity= lists
// as many findings of run as c counts per severity.
func (fx *fixture) sameAsFilter(key, run string, c *severityCounts) {
	fx.t.Helper()
	if c == nil {
		fx.t.Fatal("no new findings counted")
	}
	for sev, n := range map[string]int{"": c.Total, "critical": c.Critical, "high": c.High, "medium": c.Medium, "low": c.Low, "info": c.Info} {
		q := "?new=yes"
		if sev != "" {
			q += "&severity=" + sev
		}
		if got := len(fx.findings(key, run, q).Findings); got != n {
			fx.t.Errorf("findings%s: %d, the evidence counts %d", q, got, n)
		}
	}
}

func TestCompareURL(t *testing.T) {
	const a, b = "1111111111111111111111111111111111111111", "2222222"
	for repo, want := range map[string]string{
		"https://github.com/acme/shop.git":                 "https://github.com/acme/shop/compare/" + a + "..." + b,
		"https://github.com/acme/shop":                     "https://github.com/acme/shop/compare/" + a + "..." + b,
		"https://x-token:s3cret@github.com/acme/shop.git/": "https://github.com/acme/shop/compare/" + a + "..." + b, // sluice:ignore secrets -- a made-up credential the link must drop
		"https://github.com/acme/shop?tab=readme#top":      "https://github.com/acme/shop/compare/" + a + "..." + b,
		"git@github.com:acme/shop.git":                     "https://github.com/acme/shop/compare/" + a + "..." + b,
		"ssh://git@github.com:2222/acme/shop.git":          "https://github.com/acme/shop/compare/" + a + "..." + b,
		"https://github.example.com/acme/shop.git":         "https://github.example.com/acme/shop/compare/" + a + "..." + b,
		"https://gitlab.com/acme/platform/shop.git":        "https://gitlab.com/acme/platform/shop/-/compare/" + a + "..." + b,
		"git@gitlab.example.org:acme/shop.git":             "https://gitlab.example.org/acme/shop/-/compare/" + a + "..." + b,
		"https://codeberg.org/acme/shop":                   "https://codeberg.org/acme/shop/compare/" + a + "..." + b,
		"https://gitea.example.org:3000/acme/shop.git":     "https://gitea.example.org:3000/acme/shop/compare/" + a + "..." + b,
		"http://forgejo.lan/acme/shop":                     "http://forgejo.lan/acme/shop/compare/" + a + "..." + b,
		"git@codeberg.org:acme/shop.git":                   "https://codeberg.org/acme/shop/compare/" + a + "..." + b,
		// Not a known forge, or not a repository's address there.
		"https://git.example/acme/shop.git":     "",
		"/srv/git/shop":                         "",
		"file:///srv/git/shop":                  "",
		"https://github.com/acme/shop/tree/dev": "",
		"https://github.com/acme":               "",
		"https://github.com/":                   "",
		"https://gitlab.com/acme":               "",
		"https://github.com/acme/../shop":       "",
		"https://github.com/acme/sh%20op":       "",
		"git@github.com:acme/shop:x":            "",
		"ftp://github.com/acme/shop":            "",
		"":                                      "",
	} {
		if got := compareURL(repo, a, b); got != want {
			t.Errorf("compareURL(%q) = %q, want %q", repo, got, want)
		}
	}
	for _, c := range [][2]string{{"HEAD", b}, {a, "main"}, {"", b}, {a, "-x"}, {"ABCDEF0", b}} {
		if got := compareURL("https://github.com/acme/shop", c[0], c[1]); got != "" {
			t.Errorf("compareURL with commits %q, %q = %q, want none", c[0], c[1], got)
		}
	}
}
