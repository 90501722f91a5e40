package dockerfile

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
)

// expectations reads the "# expect: rule …" comments of a test Dockerfile:
// each names the rules the next instruction line must trigger. An
// "# ignored: rule …" comment names rules it must trigger with the
// finding marked InlineIgnored. The result holds "line rule" strings
// ("line rule ignored" for the marked ones), sorted.
func expectations(t *testing.T, data []byte) []string {
	t.Helper()
	lines := splitLines(data)
	var want []string
	for i, l := range lines {
		suffix := ""
		rest, ok := strings.CutPrefix(strings.TrimSpace(l), "# expect:")
		if !ok {
			rest, ok = strings.CutPrefix(strings.TrimSpace(l), "# ignored:")
			suffix = " ignored"
		}
		if !ok {
			continue
		}
		target := i + 1
		for target < len(lines) && (strings.HasPrefix(strings.TrimSpace(lines[target]), "#") || strings.TrimSpace(lines[target]) == "") {
			target++
		}
		if target == len(lines) {
			t.Fatalf("line %d: expect comment at the end of the file", i+1)
		}
		for _, id := range strings.Fields(rest) {
			want = append(want, fmt.Sprintf("%d %s%s", target+1, id, suffix))
		}
	}
	slices.Sort(want)
	return want
}

// got returns the findings as sorted "line rule" strings, with
// " ignored" after those marked InlineIgnored.
func got(fs []findings.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, lineRule(f))
	}
	slices.Sort(out)
	return out
}

// lineRule is "line rule", or "line rule ignored" for a finding marked
// InlineIgnored.
func lineRule(f findings.Finding) string {
	s := fmt.Sprintf("%d %s", f.Location.StartLine, f.RuleID)
	if f.InlineIgnored {
		s += " ignored"
	}
	return s
}

func analyzeFile(t *testing.T, name string) ([]byte, []findings.Finding) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := analyze(filepath.ToSlash(name), data)
	if err != nil {
		t.Fatalf("analyze %s: %v", name, err)
	}
	return data, fs
}

// TestTestdata checks that every planted issue of testdata/insecure is
// reported at its line and nothing else is, and that the clean twin gives
// no finding at all.
func TestTestdata(t *testing.T) {
	for _, dir := range []string{"insecure", "clean"} {
		t.Run(dir, func(t *testing.T) {
			data, fs := analyzeFile(t, filepath.Join("testdata", dir, "Dockerfile"))
			want := expectations(t, data)
			if dir == "clean" && len(want) != 0 {
				t.Fatal("the clean Dockerfile must not expect findings")
			}
			if diff := cmp.Diff(want, got(fs)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEveryRulePlanted keeps testdata/insecure complete: each rule is
// expected there at least once.
func TestEveryRulePlanted(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "insecure", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	planted := map[string]bool{}
	for _, e := range expectations(t, data) {
		planted[strings.Fields(e)[1]] = true
	}
	for _, r := range rules {
		if !planted[r.id] {
			t.Errorf("rule %s is not planted in testdata/insecure/Dockerfile", r.id)
		}
	}
}

// TestFindingFields checks what a finding carries: category, hadolint
// code and wiki link, CWE, line range, snippet, and no secret in clear.
func TestFindingFields(t *testing.T) {
	_, fs := analyzeFile(t, filepath.Join("testdata", "insecure", "Dockerfile"))
	byRule := map[string]findings.Finding{}
	for _, f := range fs {
		if f.Scanner != scannerName || f.Category != findings.IaC || f.Title == "" || f.Message == "" || f.Fix == "" {
			t.Errorf("%s at %d: incomplete finding %+v", f.RuleID, f.Location.StartLine, f)
		}
		if len(f.Sources) != 1 || f.Sources[0] != (findings.Source{Scanner: scannerName, RuleID: f.RuleID}) {
			t.Errorf("%s: sources %v", f.RuleID, f.Sources)
		}
		if len(f.References) == 0 {
			t.Errorf("%s: no reference", f.RuleID)
		}
		if f.Location.EndLine < f.Location.StartLine || f.Snippet == "" {
			t.Errorf("%s: location %+v snippet %q", f.RuleID, f.Location, f.Snippet)
		}
		if _, ok := byRule[f.RuleID]; !ok {
			byRule[f.RuleID] = f
		}
	}
	latest := byRule[ruleLatestTag]
	if latest.Properties["hadolint"] != "DL3007" || !slices.Contains(latest.References, "https://github.com/hadolint/hadolint/wiki/DL3007") ||
		latest.Severity != findings.Medium {
		t.Errorf("latest tag finding: %+v", latest)
	}
	apt := byRule[ruleAptUnpinned]
	if apt.Location.StartLine != 56 || apt.Location.EndLine != 59 || !strings.Contains(apt.Message, "curl, ca-certificates") {
		t.Errorf("multi-line RUN finding: %+v", apt)
	}
	root := byRule[ruleRootUser]
	if !slices.Equal(root.CWE, []int{250}) || root.Severity != findings.High || root.Properties["hadolint"] != "DL3002" {
		t.Errorf("root user finding: %+v", root)
	}
	for _, f := range fs {
		if f.RuleID != ruleSecretEnv {
			continue
		}
		for _, secret := range []string{"not-a-real-token", "wJalrXUtnFEMI", "hunter2"} {
			if strings.Contains(f.Snippet, secret) || strings.Contains(f.Message, secret) {
				t.Errorf("secret %q shown in clear: %q / %q", secret, f.Snippet, f.Message)
			}
		}
		if len(f.Properties["secret_sha256"]) != 64 || !slices.Equal(f.CWE, []int{798}) {
			t.Errorf("secret finding: %+v", f)
		}
	}
}

// TestGoodbooks scans the example project's Dockerfile: a small, sound
// image must give nothing high or critical.
func TestGoodbooks(t *testing.T) {
	_, fs := analyzeFile(t, filepath.Join("..", "..", "..", "examples", "goodbooks", "Dockerfile"))
	for _, f := range fs {
		t.Logf("goodbooks: line %d %s [%s] %s", f.Location.StartLine, f.RuleID, f.Severity, f.Message)
		if f.Severity >= findings.High {
			t.Errorf("goodbooks: %s finding %s at line %d: %s", f.Severity, f.RuleID, f.Location.StartLine, f.Message)
		}
	}
}
