package secrets

import (
	"regexp"

	"github.com/sluice-ci/sluice/internal/findings"
)

// cweHardcodedCredentials is CWE-798, Use of Hard-coded Credentials.
const cweHardcodedCredentials = 798

// cweHardcodedKey is CWE-321, Use of Hard-coded Cryptographic Key.
const cweHardcodedKey = 321

// Rule priorities decide which rule keeps a secret that two rules match
// (a GitHub token assigned to `token = "..."` is a GitHub token, not a
// generic secret).
const (
	prioGeneric  = 0 // generic assignments
	prioContext  = 1 // a known format recognised by the name next to it
	prioFormat   = 2 // a provider's own token format
	prioEnvelope = 3 // a format that contains another (GCP key file around a PEM key)
)

// rule is one kind of secret. Rules are built once, at package init, and
// never changed.
type rule struct {
	id       string
	title    string
	severity findings.Severity
	cwe      []int
	// keywords pre-filter: the pattern runs only on the part of a line
	// around an occurrence of one of them. ASCII case is ignored unless
	// exact is set.
	keywords []string
	exact    bool
	pattern  *regexp.Regexp
	// group is the index of the pattern's "secret" group (0: the whole
	// match).
	group int
	// minEntropy is the least Shannon entropy, in bits per byte, of a
	// secret this rule accepts.
	minEntropy float64
	// window overrides, when larger, how far around a keyword the pattern
	// looks on a long line (see defaultWindow): for secrets longer than
	// that, which start at their keyword.
	window   int
	priority int
	fix      string
	// matchAt, when set, replaces the pattern: it is called with each
	// occurrence [ks, ke) of one of the keywords and parses the text around
	// it itself, which is much faster than a regular expression for rules
	// whose keywords are common words. It returns the candidate and the
	// offset up to which later occurrences are part of the same match.
	matchAt func(f *file, r *rule, ks, ke int) (c candidate, consumed int, ok bool)
	// check, when set, looks at a candidate after the pattern matched: it
	// may move its bounds, change its severity or properties, or reject it.
	check func(f *file, c *candidate, sub []int) bool
	// lowInTests lowers findings in test code (see isTestPath) to low
	// severity: for rules that judge by context, where test vectors and
	// fixtures look like secrets but rarely are. A provider's token format
	// is a real token wherever it is.
	lowInTests bool
	// checksum, when set, verifies a format's built-in checksum:
	// applicable is false when this token carries none.
	checksum func(secret string) (applicable, valid bool)
	// redact, when set, replaces the default redaction.
	redact func(secret string) string
}

// tokenRule builds a rule for a provider's token format.
func tokenRule(id, title string, sev findings.Severity, keywords []string, pattern, where string) *rule {
	return &rule{
		id: id, title: title, severity: sev,
		cwe:        []int{cweHardcodedCredentials},
		keywords:   keywords,
		exact:      true,
		pattern:    regexp.MustCompile(pattern),
		minEntropy: 3.0,
		priority:   prioFormat,
		fix:        revokeFix(where),
	}
}

func revokeFix(where string) string {
	return "Revoke this credential (" + where + ") and issue a new one; remove it from the code and the git history, " +
		"and load it at run time from the environment or a secret store."
}

// tail ends a token whose alphabet includes '-' and '_': the next byte is
// outside it, or the text ends.
const tail = `(?:[^\w\-]|$)`

// builtinRules returns the rule table.
func builtinRules() []*rule {
	rules := []*rule{
		tokenRule("aws-access-key-id", "AWS access key ID", findings.High,
			[]string{"AKIA", "ASIA", "ABIA", "ACCA"},
			`\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b`, "AWS IAM console, Security credentials"),
		{
			id: "aws-secret-access-key", title: "AWS secret access key", severity: findings.Critical,
			cwe: []int{cweHardcodedCredentials},
			keywords: []string{"aws_secret", "aws-secret", "aws.secret", "awssecret", "secret_access_key", "secretaccesskey",
				"secret-access-key", "secret.access.key"},
			pattern: regexp.MustCompile(`(?i)(?:aws[_.\-]?secret(?:[_.\-]?access)?(?:[_.\-]?key)?|secret[_.\-]?access[_.\-]?key)` +
				`["'\]]?\s*(?::=|=>|=|:)\s*["'` + "`" + `]?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`),
			minEntropy: 4.0,
			priority:   prioContext,
			fix:        revokeFix("AWS IAM console, Security credentials"),
		},
	}
	for _, g := range []struct{ prefix, id, title string }{
		{"ghp_", "github-pat", "GitHub personal access token"},
		{"gho_", "github-oauth-token", "GitHub OAuth access token"},
		{"ghu_", "github-user-to-server-token", "GitHub App user-to-server token"},
		{"ghs_", "github-server-to-server-token", "GitHub App installation token"},
		{"ghr_", "github-refresh-token", "GitHub App refresh token"},
	} {
		r := tokenRule(g.id, g.title, findings.High, []string{g.prefix},
			`\b(?P<secret>`+g.prefix+`[A-Za-z0-9]{36,})\b`, "GitHub settings, Developer settings")
		r.checksum = base62CRC32
		rules = append(rules, r)
	}
	rules = append(rules,
		tokenRule("sluice-api-key", "sluice API key", findings.Critical,
			[]string{"slk_"}, `\b(?P<secret>slk_[a-z2-7]{12}_[0-9A-Za-z]{43})\b`, "sluice keys revoke ID, then sluice keys create"),
		tokenRule("github-fine-grained-pat", "GitHub fine-grained personal access token", findings.High,
			[]string{"github_pat_"}, `\b(?P<secret>github_pat_\w{82,})\b`, "GitHub settings, Developer settings"))
	for _, g := range []struct{ prefix, id, title string }{
		{"glpat-", "gitlab-pat", "GitLab personal, project or group access token"},
		{"gldt-", "gitlab-deploy-token", "GitLab deploy token"},
		{"glrt-", "gitlab-runner-token", "GitLab runner authentication token"},
		{"GR1348941", "gitlab-runner-registration-token", "GitLab runner registration token"},
		{"glptt-", "gitlab-pipeline-trigger-token", "GitLab pipeline trigger token"},
		{"glft-", "gitlab-feed-token", "GitLab feed token"},
		{"glsoat-", "gitlab-scim-token", "GitLab SCIM token"},
		{"gloas-", "gitlab-oauth-app-secret", "GitLab OAuth application secret"},
		{"glcbt-", "gitlab-job-token", "GitLab CI/CD job token"},
		{"glimt-", "gitlab-incoming-mail-token", "GitLab incoming mail token"},
		{"glagent-", "gitlab-agent-token", "GitLab agent for Kubernetes token"},
		{"glffct-", "gitlab-feature-flag-token", "GitLab feature flags client token"},
	} {
		rules = append(rules, tokenRule(g.id, g.title, findings.High, []string{g.prefix},
			`\b(?P<secret>`+regexp.QuoteMeta(g.prefix)+`[\w\-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,9})?)`+tail,
			"GitLab, where the token was created"))
	}
	slackWhere := "Slack app settings, or revoke with auth.revoke"
	rules = append(rules,
		tokenRule("slack-bot-token", "Slack bot token", findings.High, []string{"xoxb-"},
			`\b(?P<secret>xoxb-[0-9]{8,14}-[0-9]{8,14}-[A-Za-z0-9]{20,40})\b`, slackWhere),
		tokenRule("slack-user-token", "Slack user token", findings.High, []string{"xoxp-", "xoxe-"},
			`\b(?P<secret>xox[pe](?:-[0-9]{8,14}){3}-[A-Za-z0-9]{28,40})\b`, slackWhere),
		tokenRule("slack-app-token", "Slack app-level token", findings.High, []string{"xapp-"},
			`\b(?P<secret>xapp-\d-[A-Z0-9]{9,12}-\d{10,14}-[a-f0-9]{64})\b`, slackWhere),
		tokenRule("slack-token", "Slack token", findings.High, []string{"xoxa-", "xoxr-", "xoxs-", "xoxo-"},
			`\b(?P<secret>xox[aors]-[0-9A-Za-z]{1,20}(?:-[0-9A-Za-z]{1,64}){2,5})\b`, slackWhere),
		tokenRule("slack-webhook-url", "Slack incoming webhook URL", findings.Medium, []string{"hooks.slack.com/"},
			`hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>T[A-Z0-9]{8,12}/[A-Za-z0-9/]{20,120})\b`,
			"Slack app settings, Incoming Webhooks"),
		tokenRule("stripe-secret-key", "Stripe live secret key", findings.Critical, []string{"sk_live_"},
			`\b(?P<secret>sk_live_[0-9A-Za-z]{24,})\b`, "Stripe dashboard, Developers, API keys"),
		tokenRule("stripe-restricted-key", "Stripe live restricted key", findings.High, []string{"rk_live_"},
			`\b(?P<secret>rk_live_[0-9A-Za-z]{24,})\b`, "Stripe dashboard, Developers, API keys"),
		tokenRule("stripe-test-key", "Stripe test-mode secret key", findings.Low, []string{"sk_test_", "rk_test_"},
			`\b(?P<secret>[sr]k_test_[0-9A-Za-z]{24,})\b`, "Stripe dashboard, Developers, API keys"),
		tokenRule("google-api-key", "Google API key", findings.High, []string{"AIza"},
			`\b(?P<secret>AIza[\w\-]{35})`+tail, "Google Cloud console, APIs & Services, Credentials"),
		tokenRule("google-oauth-client-secret", "Google OAuth client secret", findings.High, []string{"GOCSPX-"},
			`\b(?P<secret>GOCSPX-[\w\-]{28})`+tail, "Google Cloud console, APIs & Services, Credentials"),
		gcpServiceAccountRule(),
		tokenRule("sendgrid-api-key", "SendGrid API key", findings.High, []string{"SG."},
			`\b(?P<secret>SG\.[\w\-]{22}\.[\w\-]{43})`+tail, "SendGrid settings, API Keys"),
		withChecksum(tokenRule("npm-access-token", "npm access token", findings.High, []string{"npm_"},
			`\b(?P<secret>npm_[A-Za-z0-9]{36})\b`, "npmjs.com, Access Tokens")),
		tokenRule("pypi-upload-token", "PyPI upload token", findings.High, []string{"pypi-AgEIcHlwaS5vcmc"},
			`\b(?P<secret>pypi-AgEIcHlwaS5vcmc[\w\-]{50,})`+tail, "PyPI account settings, API tokens"),
		tokenRule("twilio-api-key", "Twilio API key SID", findings.High, []string{"SK"},
			`\b(?P<secret>SK[0-9a-fA-F]{32})\b`, "Twilio console, API keys"),
		contextRule("twilio-auth-token", "Twilio auth token", findings.High, "twilio",
			`(?i)twilio[\w.\-]{0,30}?(?:auth)?[_.\-]?token["'\]]?\s*(?::=|=>|=|:)\s*["'`+"`"+`]?(?P<secret>[0-9a-f]{32})\b`,
			"Twilio console, Account, API keys & tokens"),
		tokenRule("mailgun-api-key", "Mailgun API key", findings.High, []string{"key-"},
			`\b(?P<secret>key-[0-9a-z]{32})\b`, "Mailgun control panel, API security"),
		contextRule("mailgun-private-key", "Mailgun private API key or webhook signing key", findings.High, "mailgun",
			`(?i)mailgun[^\n]{0,60}?\b(?P<secret>[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})\b`,
			"Mailgun control panel, API security"),
		tokenRule("shopify-access-token", "Shopify access token", findings.High, []string{"shpat_"},
			`\b(?P<secret>shpat_[a-fA-F0-9]{32})\b`, "Shopify admin, Apps"),
		tokenRule("shopify-custom-app-token", "Shopify custom app access token", findings.High, []string{"shpca_"},
			`\b(?P<secret>shpca_[a-fA-F0-9]{32})\b`, "Shopify admin, Apps"),
		tokenRule("shopify-private-app-token", "Shopify private app access token", findings.High, []string{"shppa_"},
			`\b(?P<secret>shppa_[a-fA-F0-9]{32})\b`, "Shopify admin, Apps"),
		tokenRule("shopify-shared-secret", "Shopify app shared secret", findings.High, []string{"shpss_"},
			`\b(?P<secret>shpss_[a-fA-F0-9]{32})\b`, "Shopify Partners dashboard, app credentials"),
		contextRule("azure-storage-account-key", "Azure storage account key", findings.Critical, "AccountKey=",
			`(?i)AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)`, "Azure portal, storage account, Access keys"),
		tokenRule("azure-ad-client-secret", "Azure AD (Entra ID) client secret", findings.High, []string{"Q~"},
			`(?:^|[\\'"`+"`"+`\s>=:(,)])(?P<secret>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?:$|[\\'"`+"`"+`\s<),])`,
			"Azure portal, App registrations, Certificates & secrets"),
		tokenRule("openai-api-key", "OpenAI API key", findings.High, []string{"T3BlbkFJ"},
			`\b(?P<secret>sk-(?:(?:proj|svcacct|admin)-)?[\w\-]{20,}T3BlbkFJ[\w\-]{20,})`+tail,
			"OpenAI platform, API keys"),
		tokenRule("anthropic-api-key", "Anthropic API key", findings.High, []string{"sk-ant-"},
			`\b(?P<secret>sk-ant-(?:api03|admin01)-[\w\-]{93}AA)`+tail, "Anthropic console, API keys"),
		tokenRule("docker-hub-pat", "Docker Hub personal access token", findings.High, []string{"dckr_pat_"},
			`\b(?P<secret>dckr_pat_[\w\-]{27})`+tail, "Docker Hub, Account settings, Personal access tokens"),
		jwtRule(),
		privateKeyRule(),
		urlAuthRule(),
		genericRule(),
	)
	for _, r := range rules {
		if r.pattern == nil {
			continue
		}
		if i := r.pattern.SubexpIndex("secret"); i > 0 {
			r.group = i
		}
	}
	return rules
}

// contextRule builds a rule for a secret recognised by a word near it.
func contextRule(id, title string, sev findings.Severity, keyword, pattern, where string) *rule {
	return &rule{
		id: id, title: title, severity: sev,
		cwe:        []int{cweHardcodedCredentials},
		keywords:   []string{keyword},
		pattern:    regexp.MustCompile(pattern),
		minEntropy: 3.0,
		priority:   prioContext,
		fix:        revokeFix(where),
	}
}

func withChecksum(r *rule) *rule {
	r.checksum = base62CRC32
	return r
}

// RuleInfo describes one rule of the secrets scanner, for documentation
// and SARIF rule metadata.
type RuleInfo struct {
	ID       string
	Title    string
	Severity findings.Severity
	CWE      []int
	Fix      string
}

// Rules lists the built-in rules, in a stable order.
func Rules() []RuleInfo {
	var out []RuleInfo
	for _, r := range defaultRules {
		out = append(out, RuleInfo{ID: r.id, Title: r.title, Severity: r.severity, CWE: append([]int(nil), r.cwe...), Fix: r.fix})
	}
	return out
}

// defaultRules is the compiled rule table, shared by every scanner.
var defaultRules = builtinRules()
