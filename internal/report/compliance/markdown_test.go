package compliance

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; run with -update if the change is right):\n%s", name, diff)
	}
}

func writeMarkdown(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteMarkdownGolden(t *testing.T) {
	golden(t, "sample.md", []byte(writeMarkdown(t, sampleReport())))
}

func TestWriteMarkdownContent(t *testing.T) {
	out := writeMarkdown(t, sampleReport())
	// Sections, in order.
	last := -1
	for _, h := range []string{"# Compliance report: shop run #42", "## Summary", "### Outcome per environment",
		"## Gate decisions", "## OWASP Top 10 2021", "## OWASP Top 10 2025", "## Findings", "## Scanners",
		"## Approvals", "## Audit trail", "## GDPR checklist"} {
		i := strings.Index(out, "\n"+h+"\n")
		if h[1] == ' ' { // the title is the first line
			i = strings.Index(out, h+"\n")
		}
		if i < 0 {
			t.Errorf("no heading %q", h)
			continue
		}
		if i < last {
			t.Errorf("heading %q out of order", h)
		}
		last = i
	}
	for _, want := range []string{
		"| production | **block** | 2 | 2025-03-14 09:32:53 UTC |",
		"| staging | **warn** | 1 | 2025-03-14 09:31:53 UTC |",
		"| Open findings | 1 critical, 2 high, 1 medium, 0 low, 0 info |",
		"| Audit chain | verified: the hash chain holds over 19 records (3 for this run) |",
		"### 3. production: pass (simulated)",
		"- artifact: `sha256:dd44`",
		"- **block** (require): required scanner zap failed: target unreachable",
		"Judged: 3. Suppressed: 1. Pre-existing: 1. Unfixable (not judged): 0. Stale suppressions: 0. Expired suppressions: 0.",
		// The 2021 matrix row of injection.
		"| A03:2021 | Injection | tested, findings | deps, gosec, semgrep (partial: gosec) | 0 | 2 | 1 | 0 | 0 | 0 |",
		"| A07:2021 | Identification and Authentication Failures | tested, clean | gosec, secrets (partial: gosec) | 0 | 0 | 0 | 0 | 0 | 1 |",
		"| critical | secrets | aws-access-key-id | deploy/dev.env:3 | A07:2021, A07:2025 | suppressed | AWS access key ID |",
		"| low | sast | G104 | cmd/tool/main.go:7 | A10:2025 | inline-ignored | Errors unhandled |",
		"| gosec | ran | 40 | 2 | 3s | partial: some inputs could not be scanned; 1 input error |",
		"| terraform | skipped | 0 | 0 | - | no Terraform files |",
		"## Approvals\n\nNone recorded.\n",
		"| 18 | 2025-03-14 09:32:53 UTC | sluice | gate.decide | run/01JPA7RUN42 | production: block | `sha256:0002` |",
		"| Stored secrets are encrypted at rest (Art. 32) | **manual** |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

func TestWriteMarkdownEscapes(t *testing.T) {
	out := writeMarkdown(t, sampleReport())
	for _, want := range []string{
		// Pipes in run text cannot split a table cell; markup is not HTML.
		"| medium | sast | js.xss\\|innerHTML | web/app.js:10 | A03:2021, A05:2025 | open | &lt;script&gt;alert(1)&lt;/script&gt; reaches innerHTML |",
		"- **warn** (threshold): 1 sast finding at or above high \\| would block",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q", want)
		}
	}
	if strings.Contains(out, "<script") {
		t.Error("raw <script in the Markdown")
	}
	r := &Report{Run: Run{Pipeline: "a\nb", Commit: "x`y"}}
	out = writeMarkdown(t, r)
	if !strings.Contains(out, "# Compliance report: a b\n") || !strings.Contains(out, "| Commit | x\\`y on none |") {
		t.Errorf("line breaks or backticks not escaped:\n%s", out)
	}
}

func TestWriteMarkdownEmpty(t *testing.T) {
	out := writeMarkdown(t, &Report{})
	for _, want := range []string{"# Compliance report\n", "No gate decisions recorded.", "No findings.",
		"No scanner health recorded.", "None recorded.", "Chain: no audit records for this run.",
		"| A06:2025 | Insecure Design | not tested |  | 0 | 0 | 0 | 0 | 0 | 0 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if err := WriteMarkdown(&bytes.Buffer{}, nil); !errors.Is(err, errNilReport) {
		t.Errorf("nil report: %v", err)
	}
	if err := WriteMarkdown(failWriter{}, sampleReport()); err == nil {
		t.Error("no error from a failing writer")
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
