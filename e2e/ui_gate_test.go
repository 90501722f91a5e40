package e2e

import (
	"crypto/rand"
	"math/big"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// blockedPipeline scans the repository for secrets and releases to
// staging, whose gate blocks high-severity findings.
const blockedPipeline = `version: 1
jobs:
  security:
    scan: [secrets]
  deploy:
    needs: [security]
    environment: staging
    steps: [{ run: echo "deployed to staging" }]
environments:
  staging:
    gates: { mode: block, block: high }
`

// randomToken is n characters of alphabet from crypto/rand: a credential
// made when the test runs, so no secret sits in the repository.
func randomToken(t *testing.T, alphabet string, n int) string {
	t.Helper()
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

// TestUIBlockedGate is a run the staging gate blocks, read in a real
// browser: the run page names the environment, the outcome and why (the
// rule, the severity over the threshold, where), and the findings page
// opens the finding with its location and how to fix it, the secret
// itself redacted.
func TestUIBlockedGate(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	const digits, alnum = "0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	token := "xoxb-" + randomToken(t, digits, 12) + "-" + randomToken(t, digits, 12) + "-" + randomToken(t, alnum, 24)
	repo, commit := gitRepo(t, map[string]string{
		"sluice.yaml":         blockedPipeline,
		"config/settings.env": "# chat notifications\nSLACK_BOT_TOKEN=" + token + "\n",
	})
	cp := startControlPlane(t, repo)
	dev := cp.key(t, "dev", "developer@demo")

	var started struct {
		Number int64 `json:"number"`
	}
	if code := cp.api(t, "POST", "/api/v1/projects/demo/runs", dev, map[string]string{"commit": commit, "branch": "main"}, &started); code != http.StatusCreated {
		t.Fatalf("start a run: %d\n%s", code, cp.bg.output())
	}
	b.login(t, cp.url, dev)
	b.waitVisible(t, `[data-testid=logout]`, 10*time.Second)
	b.navigate(t, cp.url+"/runs/"+itoa(int(started.Number)))

	// The run page follows the run until it ends, then shows the decision.
	b.waitText(t, `[data-testid=run-status] .label`, regexp.MustCompile(`^failed$`), 30*time.Second)
	b.waitText(t, `article.decision[data-env=staging][data-outcome=block] h3`, regexp.MustCompile(`staging`), 10*time.Second)
	why := b.waitText(t, `article.decision[data-env=staging] .reasons`, regexp.MustCompile(`slack-bot-token`), 10*time.Second)
	for _, want := range []*regexp.Regexp{regexp.MustCompile(`(?i)high`), regexp.MustCompile(`config/settings\.env`)} {
		if !want.MatchString(why) {
			t.Errorf("the blocked decision's reasons do not say %s:\n%s", want, why)
		}
	}
	b.waitText(t, `#logs-deploy`, regexp.MustCompile(`gate staging: BLOCK`), 10*time.Second)
	b.screenshot(t, "gate-01-run-blocked")
	b.noConsoleErrors(t)

	// The findings page: the finding, opened, with where and how to fix.
	b.do(t, "open the findings", chromedp.Click(chromedp.CSS(`[data-testid=findings-link]`)))
	b.waitText(t, `[data-testid=finding]`, regexp.MustCompile(`high\s+Slack bot token\s+config/settings\.env:2`), 10*time.Second)
	b.do(t, "open the finding", chromedp.Click(chromedp.CSS(`[data-testid=finding] summary`)))
	b.waitText(t, `[data-testid=finding]`, regexp.MustCompile(`slack-bot-token`), 5*time.Second)
	b.waitVisible(t, `[data-testid=fix]`, 5*time.Second)
	page := evalJS[string](t, b, `document.body.innerText`)
	if regexp.MustCompile(regexp.QuoteMeta(token)).MatchString(page) {
		t.Error("the findings page shows the secret in clear")
	}
	if evalJS[bool](t, b, `document.querySelector('[data-testid=suppress-form]') !== null`) {
		t.Error("a developer is offered to suppress a finding (findings:suppress is the approver's and the admin's)")
	}
	b.screenshot(t, "gate-02-findings")
	b.noConsoleErrors(t)

	// A security lead accepts the risk for a while (reason, owner,
	// expiry), then runs the failed job again: the gate lets it through.
	findingsURL := b.location()
	b.do(t, "log out", chromedp.Click(chromedp.CSS(`[data-testid=logout]`)))
	b.waitVisible(t, `#login input[name=key]`, 10*time.Second)
	// She has a user account, not a key.
	password := randomToken(t, alnum, 20)
	add := exec.Command(sluiceBin, "--data", cp.data, "users", "add", "sec", "--grant", "approver@demo", "--grant", "developer@demo", "--password-stdin")
	add.Dir, add.Env, add.Stdin = cp.dir, sluiceEnv(), strings.NewReader(password+"\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("sluice users add: %v\n%s", err, out)
	}
	b.navigate(t, cp.url+"/login")
	b.do(t, "log in with the user account",
		chromedp.SendKeys(chromedp.CSS(`input[name=user]`), "sec"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-user-submit]`)),
	)
	b.waitText(t, `[data-testid=user]`, regexp.MustCompile(`^sec$`), 10*time.Second)
	b.navigate(t, findingsURL)
	b.do(t, "open the finding", chromedp.Click(chromedp.CSS(`[data-testid=finding] summary`)))
	b.waitVisible(t, `[data-testid=suppress-form] textarea[name=reason]`, 5*time.Second)
	b.do(t, "suppress it",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=suppress-form] textarea[name=reason]`), "test workspace token, revoked; rotation tracked in SEC-42"),
		// The owner proposed is the person; the team owns this one.
		chromedp.SetValue(chromedp.CSS(`[data-testid=suppress-form] input[name=owner]`), "platform-security"),
	)
	b.screenshot(t, "gate-03-suppress-form")
	b.do(t, "send", chromedp.Click(chromedp.CSS(`[data-testid=suppress]`)))
	b.waitText(t, `[data-testid=flash]`, regexp.MustCompile(`(?i)suppress`), 10*time.Second)
	b.waitText(t, `[data-testid=suppressed-by][data-kind=stored]`, regexp.MustCompile(`platform-security`), 5*time.Second)
	b.screenshot(t, "gate-04-suppressed")
	b.noConsoleErrors(t)

	b.navigate(t, cp.url+"/runs/"+itoa(int(started.Number)))
	b.do(t, "run the failed jobs again", chromedp.Click(chromedp.CSS(`[data-testid=rerun-failed]`)))
	b.waitText(t, `[data-testid=run-status] .label`, regexp.MustCompile(`^succeeded$`), 30*time.Second)
	b.waitText(t, `article.decision[data-env=staging][data-outcome=pass] h3`, regexp.MustCompile(`staging`), 10*time.Second)
	b.waitText(t, `#logs-deploy`, regexp.MustCompile(`deployed to staging`), 10*time.Second)
	b.waitText(t, `#logs-deploy`, regexp.MustCompile(`slack-bot-token\s+config/settings\.env:2 \(by platform-security: test workspace token`), 5*time.Second)
	// The blocked attempt's decision stays on the page, folded.
	b.waitText(t, `article.decision[data-env=staging] [data-testid=earlier-decisions] summary`, regexp.MustCompile(`^1 earlier decision for staging$`), 5*time.Second)
	b.screenshot(t, "gate-05-passed-after-suppression")
	b.noConsoleErrors(t)
}
