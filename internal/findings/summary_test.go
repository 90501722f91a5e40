package findings

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAtLeast(t *testing.T) {
	tests := []struct {
		sev, min Severity
		want     bool
	}{
		{Critical, High, true}, {High, High, true}, {Medium, High, false}, {Info, Info, true}, {Low, Medium, false},
	}
	for _, tt := range tests {
		if got := (Finding{Severity: tt.sev}).AtLeast(tt.min); got != tt.want {
			t.Errorf("%v.AtLeast(%v) = %v, want %v", tt.sev, tt.min, got, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	fs := []Finding{{Severity: High, Category: SAST}, {Severity: High, Category: Deps}, {Severity: Low, Category: Deps}}
	s := Summarize(fs)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"total":3,"by_severity":{"critical":0,"high":2,"info":0,"low":1,"medium":0},` +
		`"by_category":{"container":0,"dast":0,"deps":2,"iac":0,"sast":1,"secrets":0},"ignored":0}`
	if string(b) != want {
		t.Errorf("json:\n got %s\nwant %s", b, want)
	}
	if got := s.String(); got != "3 findings: 0 critical, 2 high, 0 medium, 1 low, 0 info" {
		t.Errorf("String() = %q", got)
	}
	if m, ok := s.Max(); !ok || m != High {
		t.Errorf("Max() = %v, %v", m, ok)
	}
	empty := Summarize(nil)
	if _, ok := empty.Max(); ok || empty.String() != "no findings" || len(empty.BySeverity) != 5 {
		t.Errorf("empty summary: %+v %q", empty, empty.String())
	}
	if got := Summarize(fs[:1]).String(); got != "1 finding: 0 critical, 1 high, 0 medium, 0 low, 0 info" {
		t.Errorf("String() = %q", got)
	}
	if c := CountBySeverity(fs); c[High] != 2 || c[Low] != 1 || c[Critical] != 0 {
		t.Errorf("CountBySeverity = %v", c)
	}
}

// Inline-ignored findings are counted apart: not in the total, the
// severities, the categories or Max.
func TestSummarizeIgnored(t *testing.T) {
	fs := []Finding{
		{Severity: Critical, Category: Secrets, InlineIgnored: true},
		{Severity: High, Category: SAST},
		{Severity: Low, Category: SAST, InlineIgnored: true},
	}
	s := Summarize(fs)
	if s.Total != 1 || s.Ignored != 2 || s.BySeverity[Critical] != 0 || s.BySeverity[High] != 1 || s.BySeverity[Low] != 0 ||
		s.ByCategory[Secrets] != 0 || s.ByCategory[SAST] != 1 {
		t.Errorf("summary %+v", s)
	}
	if m, ok := s.Max(); !ok || m != High {
		t.Errorf("Max() = %v, %v; want high (the critical one is ignored)", m, ok)
	}
	if got := s.String(); got != "1 finding: 0 critical, 1 high, 0 medium, 0 low, 0 info; 2 ignored inline" {
		t.Errorf("String() = %q", got)
	}
	only := Summarize([]Finding{fs[0]})
	if _, ok := only.Max(); ok || only.Total != 0 || only.Ignored != 1 || only.String() != "no open findings; 1 ignored inline" {
		t.Errorf("only ignored: %+v %q", only, only.String())
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"total":1,`) || !strings.HasSuffix(string(b), `,"ignored":2}`) {
		t.Errorf("json %s", b)
	}
	open := Open(fs)
	if len(open) != 1 || open[0].Severity != High || len(fs) != 3 {
		t.Errorf("Open = %+v (input now %d long)", open, len(fs))
	}
	if all := fs[1:2]; &Open(all)[0] != &all[0] {
		t.Errorf("Open copied a slice with nothing to drop")
	}
}

func TestLocationString(t *testing.T) {
	tests := []struct {
		in   Location
		want string
	}{
		{Location{Path: "internal/db.go", StartLine: 12, EndLine: 14}, "internal/db.go:12"},
		{Location{Path: "README.md"}, "README.md"},
		{Location{Package: "minimist", Version: "1.2.5", Path: "package-lock.json", StartLine: 812}, "minimist@1.2.5 (package-lock.json:812)"},
		{Location{Package: "golang.org/x/net"}, "golang.org/x/net"},
		{Location{Package: "openssl", Version: "3.0.7", Image: "ghcr.io/acme/app:1.4"}, "openssl@3.0.7 in ghcr.io/acme/app:1.4"},
		{Location{Path: "infra/main.tf", StartLine: 4, Resource: "aws_s3_bucket.logs"}, "infra/main.tf:4 (aws_s3_bucket.logs)"},
		{Location{URL: "http://127.0.0.1/search?q=1", Method: "get"}, "GET http://127.0.0.1/search?q=1"},
		{Location{Resource: "Deployment/web"}, "Deployment/web"},
		{Location{Image: "nginx:latest"}, "nginx:latest"},
		{Location{}, ""},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}
