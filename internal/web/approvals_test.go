package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/server"
	"github.com/sluice-ci/sluice/internal/store"
)

// seedLiveBaseline makes the finished run #1 (at commit aaa…, on GitHub)
// the release v2.0.0 live in production, admitted there with a high
// dependency finding and a low one, and records a production decision of
// the running run #2 that judged against it: of #2's findings (see
// seedFindings) the SQL injection and the secret are new, the low one
// is fixed.
func (fx *fixture) seedLiveBaseline() {
	ctx, now := fx.t.Context(), time.Now().UTC()
	p, err := server.NewProject("goodbooks", "https://github.com/acme/goodbooks.git", "", "", fx.seal)
	fx.must(err)
	fx.must(fx.st.Control().PutProject(ctx, p, nil))
	finding := func(fp, sev, title string) map[string]any {
		return map[string]any{"fingerprint": fp, "scanner": "osv", "rule_id": "GHSA-" + fp, "category": "deps", "severity": sev, "title": title,
			"location": map[string]any{"package": "pkg-" + fp, "version": "1.0.0", "path": "package-lock.json"},
			"sources":  []map[string]string{{"scanner": "osv", "rule_id": "GHSA-" + fp}}}
	}
	body, err := json.Marshal(map[string]any{"version": 1, "findings": []map[string]any{
		finding("fp-dep", "high", "minimist prototype pollution"), finding("fp-gone", "low", "outdated jQuery")}})
	fx.must(err)
	fx.must(fx.st.Evidence().PutEvidence(ctx, &store.Evidence{RunID: fx.done.ID, JobID: "lint", Kind: "scan", Body: body}))
	fx.must(fx.st.Decisions().PutDecision(ctx, &store.Decision{RunID: fx.done.ID, Env: "production", JobID: "deploy", Outcome: "pass", Body: []byte("{}")}))
	// The digest the gatekeeper records of a baseline: its fingerprints,
	// most severe first, one a line.
	sum := sha256.Sum256([]byte("fp-dep\nfp-gone"))
	fx.must(fx.st.Decisions().PutDecision(ctx, &store.Decision{RunID: fx.run.ID, Env: "production", JobID: "deploy", Outcome: "pass",
		Digests: map[string]string{"baseline": "sha256:" + hex.EncodeToString(sum[:])},
		Body:    []byte(`{"outcome":"pass","env":"production","judged":1,"reasons":[]}`), CreatedAt: now}))
	rel := &store.Release{ID: "rel-p", Env: "production", Version: "v2.0.0", Digest: "sha256:" + strings.Repeat("c", 64), RunID: fx.done.ID,
		Strategy: "blue-green", State: store.ReleaseLive, Weight: 100, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
	fx.must(fx.st.Releases().CreateRelease(ctx, rel, nil))
	fx.must(fx.st.Releases().PutEnv(ctx, &store.EnvState{Env: "production", Live: rel.ID, UpdatedAt: now}, nil))
}

// section is the page from the element of data-testid testid to the end
// of its section.
func section(t *testing.T, body, testid string) string {
	t.Helper()
	i := strings.Index(body, `data-testid="`+testid+`"`)
	if i < 0 {
		t.Fatalf("no %s on the page:\n%s", testid, body)
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		t.Fatalf("%s does not end", testid)
	}
	return body[i : i+j]
}

var hrefRE = regexp.MustCompile(`href="([^"]+)">1 critical<`)

// TestApprovalsEvidence: a request's card shows its findings against the
// baseline production's gate used — new by severity, each linking to
// the findings page filtered to exactly them, fixed, suppressed, all —
// and its changes against the release live there, with GitHub's compare
// link.
func TestApprovalsEvidence(t *testing.T) {
	fx := newFixture(t)
	fx.seedFindings()
	fx.seedLiveBaseline()
	bo := fx.browser()
	bo.mustLogin(fx.key("bo", "approver"))
	p := bo.get("/approvals")
	wantStatus(t, "approvals", p, http.StatusOK)
	run, done := fx.run.ID, fx.done.ID
	fd := section(t, p.body, "findings-diff")
	wantContains(t, "the findings diff", fd,
		`Findings against <a href="/runs/`+done+`">run #1</a>, the baseline`,
		`data-testid="new-findings"><a href="/runs/`+run+`/findings?new=yes">2</a> `+
			`<span class="badge rel-bad"><a href="/runs/`+run+`/findings?new=yes&amp;severity=critical">1 critical</a></span> `+
			`<span class="badge rel-bad"><a href="/runs/`+run+`/findings?new=yes&amp;severity=high">1 high</a></span>`,
		`data-testid="fixed-findings">1 <span class="badge rel-old">1 low</span>`,
		`data-testid="suppressed-findings"><a href="/runs/`+run+`/findings?suppressed=yes">1</a>`,
		`data-testid="all-findings"><a href="/runs/`+run+`/findings">3</a>`,
		"<summary>Which were fixed</summary>", "outdated jQuery")
	if strings.Contains(fd, `data-testid="baseline-note"`) {
		t.Error("the baseline is said to be unknown")
	}
	// The links list what they count.
	m := hrefRE.FindStringSubmatch(fd)
	if m == nil {
		t.Fatal("no link to the new critical findings")
	}
	wantContains(t, "the new critical findings", bo.get(html.UnescapeString(m[1])).body, "1 of 3 findings shown", "SQL built from user input")
	wantContains(t, "the new findings", bo.get("/runs/"+run+"/findings?new=yes").body, "2 of 3 findings shown")
	wantContains(t, "the suppressed findings", bo.get("/runs/"+run+"/findings?suppressed=yes").body, "1 of 3 findings shown")

	ch := section(t, p.body, "changes")
	live := strings.Repeat("a", 40)
	wantContains(t, "the changes", ch, "Changes against production",
		`data-testid="live-release">v2.0.0 from <a href="/runs/`+done+`">run #1</a>`,
		"<dt>Live commit</dt><dd><code>aaaaaaaaaaaa</code> on main",
		"<dt>This run's commit</dt><dd><code>4f2a9c0e1b7d</code> on main",
		`<a href="https://github.com/acme/goodbooks/compare/`+live+`...`+commit+`" rel="noopener noreferrer" data-testid="compare">compare on the forge</a>`,
		"This server keeps no copy of the repository yet")

	// With the server's mirror of the repository, the commits the run
	// adds are listed, newest first.
	if _, err := exec.LookPath("git"); err == nil {
		commits := fx.mirror("first release", "add the search page", "fix the login redirect")
		fx.setCommit(fx.done, commits[0])
		fx.setCommit(fx.run, commits[2])
		ch := section(t, bo.get("/approvals").body, "changes")
		wantContains(t, "the changes with a mirror", ch, `data-testid="range">2 commits ahead; <a href="https://github.com/acme/goodbooks/compare/`+
			commits[0]+"..."+commits[2]+`"`, `<ol class="commits" data-testid="commits">`,
			"<li><code>"+commits[2][:7]+"</code> fix the login redirect</li>", "<li><code>"+commits[1][:7]+"</code> add the search page</li>")
		if strings.Contains(ch, "first release") || strings.Contains(ch, "no copy") {
			t.Errorf("the live release's own commit is listed, or the mirror is not found:\n%s", ch)
		}
	}

	// Without a baseline or a live release, the card says so plainly.
	fx2 := newFixture(t)
	b2 := fx2.browser()
	b2.mustLogin(fx2.key("bo", "approver"))
	p = b2.get("/approvals")
	fd = section(t, p.body, "findings-diff")
	wantContains(t, "the findings diff without a baseline", fd, "<h3", ">Findings</h3>", `data-testid="baseline-note"`,
		"The gate of production judged this run without a baseline", `data-testid="all-findings">none`, `data-testid="suppressed-findings">0`)
	if strings.Contains(fd, `data-testid="new-findings"`) || strings.Contains(fd, `data-testid="fixed-findings"`) {
		t.Error("new or fixed findings counted without a baseline")
	}
	ch = section(t, p.body, "changes")
	wantContains(t, "the changes with nothing live", ch, `data-testid="live-release">nothing`, "Nothing is live in production yet.",
		"<code>4f2a9c0e1b7d</code> on main")
	if strings.Contains(ch, `data-testid="range"`) || strings.Contains(ch, "compare") {
		t.Error("a range without a live release")
	}

	// A key that may not read the releases of production is told so in
	// place of the evidence (the request itself it cannot see either).
	dev := fx.browser()
	dev.mustLogin(fx.key("stager", "approver@goodbooks/staging"))
	if p := dev.get("/approvals"); strings.Contains(p.body, `data-testid="findings-diff"`) {
		t.Error("a staging approver sees production's evidence")
	}
}

// mirror makes a repository with a commit per subject and mirrors it
// where the server looks for goodbooks' mirror; it returns the commits,
// oldest first.
func (fx *fixture) mirror(subjects ...string) []string {
	t := fx.t
	t.Helper()
	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	var commits []string
	for _, s := range subjects {
		git("commit", "-q", "--allow-empty", "-m", s)
		commits = append(commits, git("rev-parse", "HEAD"))
	}
	git("clone", "-q", "--mirror", "--", repo, filepath.Join(fx.data, "mirrors", "goodbooks.git"))
	return commits
}

// setCommit records that run r was built from commit.
func (fx *fixture) setCommit(r *store.Run, commit string) {
	fx.t.Helper()
	r.Commit = commit
	fx.must(fx.st.Runs().UpdateRun(fx.t.Context(), r))
}
