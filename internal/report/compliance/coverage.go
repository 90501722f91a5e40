package compliance

import (
	"slices"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// ScannerCoverage says which OWASP Top 10 categories a scanner is able to
// detect, and why sluice believes so.
type ScannerCoverage struct {
	// CWEs are the weaknesses the scanner's rules report. Each is mapped to
	// categories with findings.OWASPFor, so the OWASP data decides, not
	// this table.
	CWEs []int
	// Components is true for scanners that report known-vulnerable
	// packages; findings.Classify puts every such finding in the
	// vulnerable-components category of each edition (A06:2021, A03:2025).
	Components bool
	// OWASP lists categories ("A05:2021") the tool is documented to cover
	// beyond its CWEs, for tools whose results carry no CWE.
	OWASP []string
	// Basis says where the entry comes from.
	Basis string
}

// Coverage is what each scanner, keyed by the name its scan.Health
// carries, is able to detect. Entries of sluice's own scanners and of
// adapters that assign CWEs (bandit, kube-linter) list the CWEs of their
// rule tables; the tests check them against those tables. Other tools'
// entries follow what the tool is documented to check. A scanner that is
// missing here, or whose rules are the project's own (semgrep, codeql),
// tests a category only when the run has a finding of it there.
var Coverage = map[string]ScannerCoverage{
	// sluice's own scanners.
	"secrets": {CWEs: []int{321, 798},
		Basis: "CWEs of the secrets scanner's rules"},
	"deps": {Components: true,
		Basis: "reports packages with known vulnerabilities (OSV database)"},
	"dockerfile": {CWEs: []int{250, 494, 732, 798},
		Basis: "CWEs of the dockerfile scanner's rules"},
	"terraform": {CWEs: []int{269, 284, 311, 319, 798},
		Basis: "CWEs of the built-in Terraform policies"},
	"kubernetes": {CWEs: []int{16, 250, 269, 494, 668, 732, 770, 798},
		Basis: "CWEs of the built-in Kubernetes policies"},
	"gosec": {CWEs: []int{22, 78, 79, 88, 89, 93, 94, 117, 118, 190, 200, 242, 276, 287, 295, 310,
		322, 327, 328, 338, 346, 367, 377, 400, 409, 444, 499, 502, 601, 614, 676, 703, 798, 838,
		918, 1204},
		Basis: "CWEs gosec assigns to its rules"},
	"image": {CWEs: []int{494}, Components: true,
		Basis: "reports vulnerable packages in the image, and images referenced by a mutable tag"},

	// Adapters that run or import other tools.
	"bandit": {CWEs: []int{20, 22, 78, 79, 80, 89, 94, 259, 295, 319, 326, 327, 330, 377, 400, 494,
		502, 605, 703, 732, 838},
		Basis: "CWEs Bandit assigns to its tests"},
	"eslint": {CWEs: []int{22, 78, 79, 95, 208, 338, 352, 1333},
		Basis: "what eslint-plugin-security's recommended rules detect (child process, eval, " +
			"template escaping, CSRF order, file paths, weak randomness, timing, unsafe regular expressions)"},
	"semgrep": {Basis: "runs the project's own rules: categories come from its findings"},
	"codeql":  {Basis: "runs the configured queries: categories come from its findings"},
	"gitleaks": {CWEs: []int{798},
		Basis: "reports hard-coded secrets"},
	"hadolint": {OWASP: []string{"A05:2021", "A02:2025"},
		Basis: "documented as a Dockerfile best-practice linter (root user, sudo, unpinned images): security misconfiguration"},
	"checkov": {CWEs: []int{798}, OWASP: []string{"A05:2021", "A02:2025"},
		Basis: "documented as an infrastructure-as-code misconfiguration scanner with a secrets check"},
	"tfsec": {OWASP: []string{"A05:2021", "A02:2025"},
		Basis: "documented as a Terraform misconfiguration scanner"},
	"kube-linter": {CWEs: []int{250, 269, 284, 526, 668, 732, 770, 798, 1357},
		Basis: "CWEs sluice assigns to kube-linter's checks"},
	"trivy": {CWEs: []int{798}, Components: true, OWASP: []string{"A05:2021", "A02:2025"},
		Basis: "runs its vulnerability, misconfiguration and secret scanners"},
	"grype":            {Components: true, Basis: "reports packages with known vulnerabilities"},
	"osv-scanner":      {Components: true, Basis: "reports packages with known vulnerabilities"},
	"pip-audit":        {Components: true, Basis: "reports Python packages with known vulnerabilities"},
	"safety":           {Components: true, Basis: "reports Python packages with known vulnerabilities"},
	"snyk":             {Components: true, Basis: "reports packages with known vulnerabilities (Snyk Open Source)"},
	"dependency-check": {Components: true, Basis: "reports packages with known vulnerabilities (OWASP Dependency-Check)"},
	"zap": {CWEs: []int{22, 78, 79, 89, 200, 319, 352, 601, 611, 614, 693, 918, 1004, 1021, 1395},
		OWASP: []string{"A06:2021"},
		Basis: "CWEs of ZAP's common passive and active scan rules; its vulnerable JavaScript library rule is tagged A06:2021"},
	"dast": {Basis: "a DAST stage whose rule set sluice does not know: categories come from its findings"},
}

// componentCategories returns the vulnerable-components category of an
// edition, the way findings.Classify assigns it.
func componentCategories(edition string) []string {
	f := findings.Finding{Category: findings.Deps, Location: findings.Location{Package: "p"}}
	findings.Classify(&f)
	return editionOnly(append(f.OWASP2021, f.OWASP2025...), edition)
}

// CoveredCategories returns the categories of an edition ("2021" or
// "2025") a scanner is able to detect according to Coverage, sorted; nil
// for a scanner Coverage does not list.
func CoveredCategories(scanner, edition string) []string {
	c, ok := Coverage[strings.ToLower(scanner)]
	if !ok {
		return nil
	}
	var out []string
	for _, cwe := range c.CWEs {
		out = append(out, findings.OWASPFor(edition, cwe)...)
	}
	if c.Components {
		out = append(out, componentCategories(edition)...)
	}
	out = append(out, editionOnly(c.OWASP, edition)...)
	slices.Sort(out)
	return slices.Compact(out)
}

// editionOnly keeps the ids of one edition ("A05:2021" for "2021").
func editionOnly(ids []string, edition string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasSuffix(id, ":"+edition) {
			out = append(out, id)
		}
	}
	return out
}
