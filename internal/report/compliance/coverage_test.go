package compliance

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan/builtin"
	"github.com/sluice-ci/sluice/internal/scan/external"
	"github.com/sluice-ci/sluice/internal/scan/gosast"
	"github.com/sluice-ci/sluice/internal/scan/secrets"
)

// cweSet returns the sorted distinct non-zero CWEs.
func cweSet(cwes []int) []int {
	out := slices.DeleteFunc(slices.Clone(cwes), func(n int) bool { return n <= 0 })
	slices.Sort(out)
	return slices.Compact(out)
}

// cwesInSource returns every CWE number the pattern's first group captures
// (a number, or a comma-separated list of them) in the files matching
// glob, relative to this package.
func cwesInSource(t *testing.T, glob string, pattern *regexp.Regexp) []int {
	t.Helper()
	files, err := filepath.Glob(filepath.FromSlash(glob))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s (%v): the scanner's rules moved; update this test", glob, err)
	}
	var out []int
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pattern.FindAllSubmatch(src, -1) {
			for _, n := range regexp.MustCompile(`\d+`).FindAll(m[1], -1) {
				v, _ := strconv.Atoi(string(n))
				out = append(out, v)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no CWE found in %s with %s: the rule format changed; update this test", glob, pattern)
	}
	return cweSet(out)
}

// TestCoverageMatchesRuleTables keeps Coverage in step with the CWEs the
// scanners' rules really report: a rule added with a new CWE, or one
// removed, fails here until the table is updated.
func TestCoverageMatchesRuleTables(t *testing.T) {
	var gosecCWEs []int
	for _, r := range gosast.Rules() {
		gosecCWEs = append(gosecCWEs, r.CWE)
	}
	var secretCWEs []int
	for _, r := range secrets.Rules() {
		secretCWEs = append(secretCWEs, r.CWE...)
	}
	regoCWE := regexp.MustCompile(`"cwe"\s*:\s*\[([\d,\s]+)\]`)
	for _, tc := range []struct {
		scanner string
		cwes    []int
	}{
		{"gosec", cweSet(gosecCWEs)},
		{"secrets", cweSet(secretCWEs)},
		{"dockerfile", cwesInSource(t, "../../scan/dockerfile/rules.go", regexp.MustCompile(`cwe:\s*\[\]int\{([\d,\s]+)\}`))},
		{"terraform", cwesInSource(t, "../../scan/iac/policies/terraform/*.rego", regoCWE)},
		{"kubernetes", cwesInSource(t, "../../scan/iac/policies/kubernetes/*.rego", regoCWE)},
		{"bandit", cwesInSource(t, "../../scan/external/bandit.go", regexp.MustCompile(`"B\d{3}":\s*(\d+)`))},
		{"kube-linter", cwesInSource(t, "../../scan/external/kubelinter.go", regexp.MustCompile(`\{findings\.\w+,\s*(\d+)\}`))},
	} {
		if diff := cmp.Diff(tc.cwes, cweSet(Coverage[tc.scanner].CWEs)); diff != "" {
			t.Errorf("Coverage[%q].CWEs differ from its rules (-rules +table):\n%s", tc.scanner, diff)
		}
	}
}

func TestCoverageNamesEveryScanner(t *testing.T) {
	names := builtin.Names()
	for _, f := range external.Formats() {
		if f != "sarif" { // any tool's SARIF: named after the tool
			names = append(names, f)
		}
	}
	for _, n := range names {
		if _, ok := Coverage[n]; !ok {
			t.Errorf("Coverage has no entry for scanner %q", n)
		}
	}
	for name, c := range Coverage {
		if c.Basis == "" {
			t.Errorf("Coverage[%q] has no Basis", name)
		}
		for _, id := range c.OWASP {
			if findings.OWASPName(id) == "" {
				t.Errorf("Coverage[%q] names unknown category %q", name, id)
			}
		}
	}
}

func TestCoveredCategories(t *testing.T) {
	for _, tc := range []struct {
		scanner, edition string
		want             []string
	}{
		{"deps", "2021", []string{"A06:2021"}},
		{"deps", "2025", []string{"A03:2025"}},
		{"gitleaks", "2021", []string{"A07:2021"}},
		{"secrets", "2021", []string{"A02:2021", "A07:2021"}}, // CWE-321 is cryptographic
		{"secrets", "2025", []string{"A04:2025", "A07:2025"}},
		{"tfsec", "2025", []string{"A02:2025"}},
		{"trivy", "2021", []string{"A05:2021", "A06:2021", "A07:2021"}},
		{"semgrep", "2021", nil},
		{"no-such-tool", "2021", nil},
	} {
		got := CoveredCategories(tc.scanner, tc.edition)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("CoveredCategories(%q, %q) (-want +got):\n%s", tc.scanner, tc.edition, diff)
		}
	}
	gosec := CoveredCategories("GoSec", "2021")
	for _, id := range []string{"A01:2021", "A02:2021", "A03:2021", "A07:2021", "A08:2021", "A09:2021", "A10:2021"} {
		if !slices.Contains(gosec, id) {
			t.Errorf("gosec does not cover %s: %v", id, gosec)
		}
	}
	if slices.Contains(gosec, "A06:2021") {
		t.Errorf("gosec covers A06:2021 (vulnerable components): %v", gosec)
	}
}

// TestCoverageDocumented keeps the table in docs/compliance.md in step
// with Coverage.
func TestCoverageDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.FromSlash("../../../docs/compliance.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok1 := strings.Cut(string(doc), "<!-- coverage:start -->")
	table, _, ok2 := strings.Cut(rest, "<!-- coverage:end -->")
	if !ok1 || !ok2 {
		t.Fatal("docs/compliance.md has no coverage:start / coverage:end markers")
	}
	short := func(ids []string) string {
		if len(ids) == 0 {
			return "from findings"
		}
		var out []string
		for _, id := range ids {
			out = append(out, strings.SplitN(id, ":", 2)[0])
		}
		return strings.Join(out, ", ")
	}
	var want []string
	for name := range Coverage {
		want = append(want, fmt.Sprintf("| %s | %s | %s |", name,
			short(CoveredCategories(name, "2021")), short(CoveredCategories(name, "2025"))))
	}
	slices.Sort(want)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(table), "\n")[2:] {
		got = append(got, strings.TrimSpace(line))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("docs/compliance.md coverage table differs from Coverage (-code +doc):\n%s", diff)
	}
}
