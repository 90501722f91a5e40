package compliance

import (
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/scan"
)

// Findings of the sample run. Their OWASP categories are left empty on
// purpose: the report derives them from CWE and package.
var (
	// A vulnerable dependency (CWE-1035: A06:2021 and A03:2025), blocking
	// in production.
	depsVuln = findings.Finding{
		Fingerprint: "fp-minimist", Scanner: "deps", RuleID: "GHSA-xvch-5gv4-984h", Category: findings.Deps,
		Severity: findings.Critical, Title: "Prototype pollution in minimist", CWE: []int{1035},
		Location: findings.Location{Path: "package-lock.json", StartLine: 812, Package: "minimist", Version: "1.2.5", Ecosystem: "npm"},
		Sources:  []findings.Source{{Scanner: "deps", RuleID: "GHSA-xvch-5gv4-984h"}},
	}
	// SQL injection (CWE-89: A03:2021, A05:2025), blocking everywhere.
	sqlInjection = findings.Finding{
		Fingerprint: "fp-sql", Scanner: "gosec", RuleID: "G201", Category: findings.SAST, Severity: findings.High,
		Title: "SQL string formatting", CWE: []int{89},
		Location: findings.Location{Path: "internal/db/query.go", StartLine: 42},
		Sources:  []findings.Source{{Scanner: "gosec", RuleID: "G201"}},
	}
	// A hard-coded credential (CWE-798: A07 in both editions), suppressed.
	awsKey = findings.Finding{
		Fingerprint: "fp-aws", Scanner: "secrets", RuleID: "aws-access-key-id", Category: findings.Secrets,
		Severity: findings.Critical, Title: "AWS access key ID", CWE: []int{798},
		Location: findings.Location{Path: "deploy/dev.env", StartLine: 3}, Snippet: "AWS_ACCESS_KEY_ID=AKIA************",
		Sources: []findings.Source{{Scanner: "secrets", RuleID: "aws-access-key-id"}},
	}
	// An unchecked error (CWE-703: A10:2025 only), marked inline.
	uncheckedErr = findings.Finding{
		Fingerprint: "fp-g104", Scanner: "gosec", RuleID: "G104", Category: findings.SAST, Severity: findings.Low,
		Title: "Errors unhandled", CWE: []int{703}, InlineIgnored: true,
		Location: findings.Location{Path: "cmd/tool/main.go", StartLine: 7},
		Sources:  []findings.Source{{Scanner: "gosec", RuleID: "G104"}},
	}
	// Cross-site scripting found by a scanner without static coverage
	// (CWE-79: A03:2021, A05:2025), with markup in its title and a URL.
	xss = findings.Finding{
		Fingerprint: "fp-xss", Scanner: "semgrep", RuleID: "js.xss|innerHTML", Category: findings.SAST,
		Severity: findings.Medium, Title: "<script>alert(1)</script> reaches innerHTML", CWE: []int{79},
		Location:   findings.Location{Path: "web/app.js", StartLine: 10},
		References: []string{"https://shop.example.test/advisories/xss"},
		Sources:    []findings.Source{{Scanner: "semgrep", RuleID: "js.xss|innerHTML"}},
	}
	// An old dependency finding, accepted in the baseline.
	oldVuln = findings.Finding{
		Fingerprint: "fp-lodash", Scanner: "deps", RuleID: "GHSA-35jh-r3h4-6jhm", Category: findings.Deps,
		Severity: findings.High, Title: "Command injection in lodash", CWE: []int{77},
		Location: findings.Location{Path: "package-lock.json", StartLine: 700, Package: "lodash", Version: "4.17.20", Ecosystem: "npm"},
		Sources:  []findings.Source{{Scanner: "deps", RuleID: "GHSA-35jh-r3h4-6jhm"}},
	}
)

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// sampleReport is one run: five scanners, six findings with every status,
// decisions for staging and production (and a simulated one after them),
// no approvals, a verified audit trail.
func sampleReport() *Report {
	return &Report{
		Tool:        "sluice 0.3.0",
		GeneratedAt: t0.Add(time.Hour),
		Run: Run{ID: "01JPA7RUN42", Number: 42, Pipeline: "shop", Commit: "3f2a9c1d0e", Branch: "main",
			Event: "push", Actor: "alice", Status: "success", StartedAt: t0, FinishedAt: t0.Add(7 * time.Minute),
			Jobs: []Job{{ID: "build", Status: "success"}, {ID: "scan", Status: "success"},
				{ID: "deploy-production", Status: "skipped", Reason: "gate blocked"}}},
		Scanners: []scan.Health{
			{Scanner: "secrets", Status: scan.Ran, Files: 120, Findings: 1, Duration: 1500 * time.Millisecond},
			{Scanner: "deps", Status: scan.Ran, Files: 1, Packages: 312, Findings: 2, Duration: 2 * time.Second,
				DBUpdated: t0.Add(-24 * time.Hour)},
			{Scanner: "gosec", Status: scan.Ran, Files: 40, Findings: 2, Duration: 3 * time.Second, Partial: true,
				Errors: []scan.InputError{{Path: "gen/broken.go", Err: "syntax error"}}},
			{Scanner: "semgrep", Status: scan.Ran, Files: 12, Findings: 1, Duration: 900 * time.Millisecond},
			{Scanner: "terraform", Status: scan.Skipped, Reason: "no Terraform files"},
			{Scanner: "zap", Status: scan.Failed, Reason: "target unreachable"},
		},
		Findings: []findings.Finding{xss, uncheckedErr, depsVuln, awsKey, oldVuln, sqlInjection},
		Decisions: []Decision{
			{Decision: gate.Decision{Outcome: gate.Warn, Env: "staging", Judged: 4,
				Reasons: []gate.Reason{{Kind: gate.KindThreshold, Effect: gate.Warn,
					Message: "1 sast finding at or above high | would block", Fingerprints: []string{"fp-sql"}}},
				Blocking:   []gate.Judged{{Finding: sqlInjection, Why: "high ≥ high"}},
				Suppressed: []gate.Judged{{Finding: awsKey, Why: "suppressed", By: &gate.Suppression{Fingerprint: "fp-aws", Reason: "dev only", Owner: "bob"}}}},
				DecidedAt: t0.Add(5 * time.Minute), Actor: "sluice"},
			{Decision: gate.Decision{Outcome: gate.Block, Env: "production", Judged: 3,
				Reasons: []gate.Reason{
					{Kind: gate.KindThreshold, Effect: gate.Block, Message: "2 findings at or above high"},
					{Kind: gate.KindRequire, Effect: gate.Block, Message: "required scanner zap failed: target unreachable"}},
				Blocking:    []gate.Judged{{Finding: depsVuln, Why: "critical ≥ high"}, {Finding: sqlInjection, Why: "high ≥ high"}},
				Suppressed:  []gate.Judged{{Finding: awsKey, Why: "suppressed"}},
				PreExisting: []gate.Judged{{Finding: oldVuln, Why: "in the baseline"}}},
				DecidedAt: t0.Add(6 * time.Minute), Actor: "sluice",
				Digests: map[string]string{"findings": "sha256:aa11", "policy": "sha256:bb22", "suppressions": "sha256:cc33", "artifact": "sha256:dd44"}},
			{Decision: gate.Decision{Outcome: gate.Pass, Env: "production"},
				DecidedAt: t0.Add(8 * time.Minute), Actor: "carol", Simulated: true},
		},
		Audit: Audit{
			Entries: []AuditEntry{
				{Seq: 17, Time: t0, Actor: "alice", Action: "run.start", Subject: "run/01JPA7RUN42", Hash: "sha256:0001"},
				{Seq: 18, Time: t0.Add(6 * time.Minute), Actor: "sluice", Action: "gate.decide", Subject: "run/01JPA7RUN42",
					Detail: "production: block", Hash: "sha256:0002"},
				{Seq: 19, Time: t0.Add(7 * time.Minute), Actor: "sluice", Action: "run.finish", Subject: "run/01JPA7RUN42", Hash: "sha256:0003"},
			},
			Verified: true, Checked: 19,
		},
		Facts: Facts{SecretNames: []string{"API_TOKEN", "DB_PASSWORD"}, SecretsMasked: true,
			AuditRetention: "kept indefinitely in the store", FindingsRedacted: true},
	}
}

// gateJudged is f as a gate judged it blocking.
func gateJudged(f findings.Finding) gate.Judged {
	return gate.Judged{Finding: f, Why: f.Severity.String() + " ≥ high"}
}
