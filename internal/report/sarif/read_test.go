package sarif

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
)

// Every tool-shaped log reads into the findings of its golden file.
func TestReadToolsGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "tools", "*.sarif"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no tool logs: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".sarif")
		t.Run(name, func(t *testing.T) {
			fs := readFile(t, file, ReadOptions{Root: "/home/dev/goodbooks"})
			b, err := json.MarshalIndent(fs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("tools", name+".golden.json"), append(b, '\n'))
		})
	}
}

func readFile(t *testing.T, path string, opts ReadOptions) []findings.Finding {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, err := Read(f, opts)
	if err != nil {
		t.Fatalf("Read %s: %v", path, err)
	}
	return fs
}

// The facts each tool's log states, checked one by one (the golden files
// hold the rest).
func TestReadToolsFacts(t *testing.T) {
	type want struct {
		scanner, rule string
		cat           findings.Category
		sev           findings.Severity
		cwe           []int
		path          string
		line          int
	}
	tests := []struct {
		file string
		want []want
	}{
		{"semgrep", []want{
			{"semgrep", "python.django.security.injection.sql.sql-injection-using-db-cursor-execute", findings.SAST, findings.High, []int{89}, "shop/views.py", 18},
			// note → low, then lowered one step for precision low.
			{"semgrep", "python.django.security.audit.django-debug-true", findings.SAST, findings.Info, []int{489}, "shop/settings.py", 26},
		}},
		{"codeql", []want{
			{"codeql", "js/reflected-xss", findings.SAST, findings.High, []int{79, 116}, "src/server.js", 14},
			{"codeql", "js/unused-local-variable", findings.SAST, findings.Low, nil, "src/util.js", 3},
		}},
		{"eslint", []want{
			{"eslint", "security/detect-eval-with-expression", findings.SAST, findings.Medium, nil, "web/src/app.js", 12},
			{"eslint", "security/detect-non-literal-fs-filename", findings.SAST, findings.High, nil, "web/src/app.js", 20},
		}},
		{"gosec", []want{
			{"gosec", "G401", findings.SAST, findings.Medium, []int{328}, "internal/hash/hash.go", 12},
			{"gosec", "G101", findings.SAST, findings.High, []int{798}, "internal/db/db.go", 8},
		}},
		{"bandit", []want{
			{"bandit", "B602", findings.SAST, findings.High, []int{78}, "tools/run.py", 9},
			{"bandit", "B105", findings.SAST, findings.Low, []int{259}, "tools/config.py", 3},
		}},
		{"trivy", []want{
			{"trivy", "CVE-2023-39325", findings.Deps, findings.High, nil, "go.mod", 1},
			{"trivy", "DS002", findings.IaC, findings.High, nil, "Dockerfile", 1},
			{"trivy", "github-pat", findings.Secrets, findings.Critical, nil, "web/config.js", 4},
		}},
		{"checkov", []want{
			{"checkov", "CKV_AWS_20", findings.IaC, findings.High, nil, "infra/main.tf", 1},
			{"checkov", "CKV_K8S_16", findings.IaC, findings.High, nil, "k8s/web.yaml", 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			fs := readFile(t, filepath.Join("testdata", "tools", tt.file+".sarif"), ReadOptions{Root: "/home/dev/goodbooks"})
			if len(fs) != len(tt.want) {
				t.Fatalf("%d findings, want %d", len(fs), len(tt.want))
			}
			for i, w := range tt.want {
				f := fs[i]
				got := want{f.Scanner, f.RuleID, f.Category, f.Severity, f.CWE, f.Location.Path, f.Location.StartLine}
				if diff := cmp.Diff(w, got, cmp.AllowUnexported(want{})); diff != "" {
					t.Errorf("finding %d (-want +got):\n%s", i, diff)
				}
				if len(f.Fingerprint) != 32 || len(f.Sources) != 1 || f.Title == "" {
					t.Errorf("finding %d: fingerprint %q sources %v title %q", i, f.Fingerprint, f.Sources, f.Title)
				}
			}
		})
	}
}

func TestReadDetails(t *testing.T) {
	dir := filepath.Join("testdata", "tools")
	trivy := readFile(t, filepath.Join(dir, "trivy.sarif"), ReadOptions{})
	dep := trivy[0].Location
	if dep.Package != "golang.org/x/net" || dep.Version != "v0.7.0" || trivy[0].FixedVersion != "0.17.0" {
		t.Errorf("trivy package facts: %+v fixed %q", dep, trivy[0].FixedVersion)
	}
	if !slices.Contains(trivy[0].OWASP2021, "A06:2021") {
		t.Errorf("a vulnerable package is in A06:2021: %v", trivy[0].OWASP2021)
	}

	codeql := readFile(t, filepath.Join(dir, "codeql.sarif"), ReadOptions{Scanner: "codeql-js"})
	xss := codeql[0]
	if xss.Scanner != "codeql-js" || xss.Properties["fingerprint:primaryLocationLineHash"] != "39fa2ee980eb94b0:1" {
		t.Errorf("hint or tool fingerprint lost: %q %v", xss.Scanner, xss.Properties)
	}
	if !slices.Equal(xss.OWASP2021, []string{"A03:2021"}) || xss.Location.StartCol != 12 || xss.Location.EndLine != 14 {
		t.Errorf("xss: OWASP %v location %+v", xss.OWASP2021, xss.Location)
	}

	gosec := readFile(t, filepath.Join(dir, "gosec.sarif"), ReadOptions{})
	if gosec[0].Snippet != "\th := md5.New()" {
		t.Errorf("gosec snippet %q: want the region's line without its number", gosec[0].Snippet)
	}
	// An inSource suppression (gosec's #nosec) is an inline ignore.
	if !gosec[1].InlineIgnored || gosec[1].Properties[PropJustification] != "test fixture" || gosec[1].Properties[PropSuppressed] != "" {
		t.Errorf("suppression lost: inline ignored %v, properties %v", gosec[1].InlineIgnored, gosec[1].Properties)
	}
	if gosec[0].InlineIgnored {
		t.Errorf("a result without suppressions is inline-ignored")
	}

	semgrep := readFile(t, filepath.Join(dir, "semgrep.sarif"), ReadOptions{})
	if !slices.Contains(semgrep[0].OWASP2021, "A03:2021") || semgrep[0].Fix != "Use parameterized queries." {
		t.Errorf("semgrep: OWASP %v fix %q", semgrep[0].OWASP2021, semgrep[0].Fix)
	}

	// Without a root, absolute file URIs stay absolute.
	eslint := readFile(t, filepath.Join(dir, "eslint.sarif"), ReadOptions{})
	if eslint[0].Location.Path != "/home/dev/goodbooks/web/src/app.js" {
		t.Errorf("eslint path without root: %q", eslint[0].Location.Path)
	}
}

// A gosec snippet carries line numbers; the fingerprint must not.
func TestReadFingerprintSurvivesLineShift(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "tools", "gosec.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	shifted := strings.NewReplacer(`"startLine": 12, "endLine": 12`, `"startLine": 40, "endLine": 40`,
		"11: func", "39: func", "12: \\th", "40: \\th", "13: \\th", "41: \\th").Replace(string(raw))
	if shifted == string(raw) {
		t.Fatal("the replacement did not apply")
	}
	a, err := ReadSARIF(bytes.NewReader(raw), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadSARIF(strings.NewReader(shifted), "")
	if err != nil {
		t.Fatal(err)
	}
	if b[0].Location.StartLine != 40 || a[0].Fingerprint != b[0].Fingerprint {
		t.Errorf("line %d: fingerprint %s → %s", b[0].Location.StartLine, a[0].Fingerprint, b[0].Fingerprint)
	}
}

// What sluice writes, it reads back unchanged.
func TestRoundTrip(t *testing.T) {
	fs, health := fixture()
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, fs, health, ToolInfo{Name: "sluice", SourceRoot: "/src/goodbooks"}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSARIF(&buf, "")
	if err != nil {
		t.Fatal(err)
	}
	findings.Sort(got)
	// A SARIF region without an end line ends on its start line.
	for i := range fs {
		if l := &fs[i].Location; l.StartLine > 0 && l.EndLine == 0 {
			l.EndLine = l.StartLine
		}
	}
	if diff := cmp.Diff(fs, got); diff != "" {
		t.Errorf("round trip (-written +read):\n%s", diff)
	}
}

func TestReadMalformed(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  string
		partial  int // findings expected alongside a *MalformedError; -1 for a hard error
	}{
		{"empty", "", "not a SARIF JSON document", -1},
		{"not json", "<xml/>", "not a SARIF JSON document", -1},
		{"array", "[]", "not a SARIF JSON document", -1},
		{"no version", `{"runs": []}`, `no "version"`, -1},
		{"old version", `{"version": "1.0.0", "runs": []}`, `version "1.0.0" is not supported`, -1},
		{"no runs", `{"version": "2.1.0"}`, `no "runs"`, -1},
		{"runs not a list", `{"version": "2.1.0", "runs": {}}`, "not a SARIF JSON document", -1},
		{"trailing garbage", `{"version": "2.1.0", "runs": []} {}`, "not a SARIF JSON document", -1},
		{"bad run", `{"version": "2.1.0", "runs": [3, {"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r", "message": {"text": "m"}}]}]}`,
			"runs[0]", 1},
		{"bad result among good ones", `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [
			{"ruleId": "a", "message": {"text": "m"}}, {"ruleId": 7}, {"ruleId": "b", "level": ["error"]}, {"ruleId": "c"}]}]}`,
			"2 malformed part(s): runs[0].results[1]", 2},
		{"bad rule", `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rules": [{"id": 1}]}}, "results": [{"ruleId": "a", "ruleIndex": 0}]}]}`,
			"runs[0].tool.driver.rules[0]", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := ReadSARIF(strings.NewReader(tt.in), "")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			var me *MalformedError
			isPartial := errors.As(err, &me)
			if tt.partial < 0 {
				if isPartial || fs != nil {
					t.Errorf("want a hard error, got %T and %d findings", err, len(fs))
				}
				return
			}
			if !isPartial || len(fs) != tt.partial {
				t.Errorf("want a *MalformedError with %d findings, got %T and %d", tt.partial, err, len(fs))
			}
		})
	}
}

// TestReadSuppressions checks how suppressions map to findings: inSource
// ones mark the finding InlineIgnored, others leave it open with a
// property, and one under review or rejected cancels them all.
func TestReadSuppressions(t *testing.T) {
	tests := []struct {
		name          string
		suppressions  string
		wantIgnored   bool
		wantKind      string
		justification string
	}{
		{"none", `[]`, false, "", ""},
		{"inSource", `[{"kind": "inSource"}]`, true, "", ""},
		{"inSource accepted, justified", `[{"kind": "inSource", "status": "accepted", "justification": "fixture"}]`, true, "", "fixture"},
		{"sluice's own justification adds nothing", `[{"kind": "inSource", "justification": "` + InlineIgnoreJustification + `"}]`, true, "", ""},
		{"external stays open", `[{"kind": "external", "justification": "dismissed in the dashboard"}]`, false, "external", "dismissed in the dashboard"},
		{"inSource under review", `[{"kind": "inSource", "status": "underReview"}]`, false, "", ""},
		{"inSource rejected", `[{"kind": "inSource", "status": "rejected"}]`, false, "", ""},
		{"one rejected cancels the others", `[{"kind": "inSource"}, {"kind": "external", "status": "rejected"}]`, false, "", ""},
		{"both kinds", `[{"kind": "external", "justification": "ticket 12"}, {"kind": "inSource"}]`, true, "external", "ticket 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "tool"}}, "results": [
				{"ruleId": "r", "message": {"text": "m"}, "suppressions": ` + tt.suppressions + `}]}]}`
			fs, err := ReadSARIF(strings.NewReader(in), "")
			if err != nil || len(fs) != 1 {
				t.Fatalf("got %d findings, %v", len(fs), err)
			}
			f := fs[0]
			if f.InlineIgnored != tt.wantIgnored || f.Properties[PropSuppressed] != tt.wantKind || f.Properties[PropJustification] != tt.justification {
				t.Errorf("inline ignored %v, properties %v; want %v, kind %q, justification %q",
					f.InlineIgnored, f.Properties, tt.wantIgnored, tt.wantKind, tt.justification)
			}
		})
	}
}

// TestWriteSuppressions checks that an inline-ignored finding, and only
// one, is written with an inSource suppression, and is read back so.
func TestWriteSuppressions(t *testing.T) {
	fs, _ := fixture()
	var lg struct {
		Runs []struct {
			Results []struct {
				RuleID       string
				Suppressions []map[string]string
			}
		}
	}
	if err := json.Unmarshal(writeFixture(t), &lg); err != nil {
		t.Fatal(err)
	}
	got := map[string][]map[string]string{}
	for _, r := range lg.Runs {
		for _, res := range r.Results {
			got[res.RuleID] = res.Suppressions
		}
	}
	want := map[string][]map[string]string{}
	for _, f := range fs {
		want[f.RuleID] = nil
	}
	want["G404"] = []map[string]string{{"kind": "inSource", "justification": InlineIgnoreJustification}}
	want["security/detect-object-injection"] = []map[string]string{{"kind": "inSource", "justification": "keys come from a fixed list"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suppressions by rule (-want +got):\n%s", diff)
	}
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, fs, nil, ToolInfo{}); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSARIF(&buf, "")
	if err != nil {
		t.Fatal(err)
	}
	var ignored []string
	for _, f := range back {
		if f.InlineIgnored {
			ignored = append(ignored, f.RuleID)
		}
	}
	slices.Sort(ignored)
	if !slices.Equal(ignored, []string{"G404", "security/detect-object-injection"}) {
		t.Errorf("read back as inline-ignored: %v", ignored)
	}
}

func TestReadSkipsNonFindings(t *testing.T) {
	in := `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Some Tool Pro"}}, "results": [
		{"ruleId": "a", "kind": "pass", "message": {"text": "ok"}},
		{"ruleId": "b", "kind": "notApplicable", "message": {"text": "n/a"}},
		{"ruleId": "c", "baselineState": "absent", "message": {"text": "fixed"}},
		{"ruleId": "d", "message": {"id": "default", "arguments": ["x.js", "42"]}}],
		"originalUriBaseIds": {}}]}`
	in = strings.Replace(in, `"name": "Some Tool Pro"}`, `"name": "Some Tool Pro", "rules": [{"id": "d", "messageStrings": {"default": {"text": "Bad call in {0} at {1}."}}}]}`, 1)
	fs, err := ReadSARIF(strings.NewReader(in), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].RuleID != "d" || fs[0].Scanner != "some-tool" || fs[0].Title != "Bad call in x.js at 42." {
		t.Fatalf("got %+v", fs)
	}
	if fs[0].Severity != findings.Medium || fs[0].Category != findings.SAST {
		t.Errorf("default level warning → medium, category sast; got %v %v", fs[0].Severity, fs[0].Category)
	}
}
