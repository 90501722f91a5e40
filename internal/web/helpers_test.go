package web

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestDocs keeps docs/web.md in step: it names every page and the
// Content-Security-Policy's every directive.
func TestDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/web.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(string(b)), " ")
	for _, d := range strings.Split(cspHeader, "; ") {
		if !strings.Contains(doc, d) {
			t.Errorf("docs/web.md does not name the CSP directive %q", d)
		}
	}
	for _, p := range []string{"`/`", "`/runs/{run}`", "`/approvals`", "`/login`", "`/ui/api/runs/{run}/logs/stream`", "sluice_session",
		"`/runs`", "`/runs/{run}/findings`", "`/runs/{run}/report`", "`/environments/{env}`", "`/audit`",
		"`/ui/api/environments/{env}/traffic`",
		"SameSite=Strict", "csrf"} {
		if !strings.Contains(doc, p) {
			t.Errorf("docs/web.md does not mention %s", p)
		}
	}
}

func TestLayoutDAG(t *testing.T) {
	jobs := []apiJob{
		{ID: "deploy", Needs: []string{"build"}},
		{ID: "unit"},
		{ID: "lint"},
		{ID: "build", Needs: []string{"lint", "unit"}},
		{ID: "scan"},
		{ID: "report", Needs: []string{"scan", "nosuchjob"}},
		{ID: "a", Needs: []string{"b"}}, // a cycle is cut, not followed forever
		{ID: "b", Needs: []string{"a"}},
	}
	l := layoutDAG(jobs)
	at := map[string]dagNode{}
	for _, n := range l.Nodes {
		at[n.ID] = n
	}
	want := map[string][2]int{ // column, row
		"unit": {0, 0}, "lint": {0, 1}, "scan": {0, 2}, "build": {1, 0}, "report": {1, 1}, "a": {1, 2}, "b": {0, 3}, "deploy": {2, 0},
	}
	for id, cr := range want {
		if n := at[id]; n.Col != cr[0] || n.Row != cr[1] {
			t.Errorf("%s at column %d row %d, want %v", id, n.Col, n.Row, cr)
		}
	}
	if len(l.Nodes) != len(jobs) {
		t.Errorf("%d nodes for %d jobs", len(l.Nodes), len(jobs))
	}
	edges := map[string]bool{}
	for _, e := range l.Edges {
		edges[e.From+">"+e.To] = true
	}
	for _, e := range []string{"lint>build", "unit>build", "build>deploy", "scan>report"} {
		if !edges[e] {
			t.Errorf("no edge %s in %v", e, edges)
		}
	}
	if edges["nosuchjob>report"] {
		t.Error("an edge from a job the run does not have")
	}
	if n := at["deploy"]; l.Width < n.X+n.W || l.Height < 3*dagNodeH {
		t.Errorf("the picture (%dx%d) does not hold its nodes", l.Width, l.Height)
	}
	// The same jobs give the same picture.
	again := layoutDAG(jobs)
	for i := range l.Nodes {
		if l.Nodes[i] != again.Nodes[i] {
			t.Fatalf("layout is not deterministic: %+v vs %+v", l.Nodes[i], again.Nodes[i])
		}
	}
	if layoutDAG(nil) != nil {
		t.Error("a graph of no jobs")
	}
	if got := truncate("a-very-long-job-name-indeed", 10); got != "a-very-lo…" {
		t.Errorf("truncate: %q", got)
	}
}

func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                          "plain",
		"\x1b[1;31mred\x1b[0m and \ttab": "red and \ttab",
		"bell\x07 and \x1b(B charset":    "bell and  charset",
	} {
		if got := plainText(in); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocalPathAndOrigin(t *testing.T) {
	for in, want := range map[string]string{"/runs/1": "/runs/1", "": "/", "//evil.example": "/", "/\\evil.example": "/",
		"https://evil.example/": "/", "runs": "/", "/approvals?x=1": "/approvals?x=1"} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
	for hdr, want := range map[[2]string]bool{
		{"http://sluice.test:8080", ""}:                     true,
		{"https://sluice.test:8080", ""}:                    true,
		{"", "http://sluice.test:8080/approvals?x"}:         true,
		{"http://sluice.test:8080.evil.example", ""}:        false,
		{"http://evil.example", "http://sluice.test:8080/"}: false,
		{"", ""}:                       false,
		{"null", ""}:                   false,
		{"ftp://sluice.test:8080", ""}: false,
	} {
		r, _ := http.NewRequest("POST", "http://sluice.test:8080/approvals", nil)
		if hdr[0] != "" {
			r.Header.Set("Origin", hdr[0])
		}
		if hdr[1] != "" {
			r.Header.Set("Referer", hdr[1])
		}
		if got := sameOrigin(r); got != want {
			t.Errorf("sameOrigin(Origin %q, Referer %q) = %v", hdr[0], hdr[1], got)
		}
	}
	for path, api := range map[string]bool{"/api/v1/runs": true, "/hooks/github/x": true, "/metrics": true, "/healthz": true,
		"/readyz": true, "/": false, "/ui/api/runs/1": false, "/apiary": false, "/runs/1": false} {
		if IsAPIPath(path) != api {
			t.Errorf("IsAPIPath(%q) = %v", path, !api)
		}
	}
}

func TestRoundDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 45 * time.Second: "45s", 95 * time.Second: "1m 35s",
		5*time.Hour + 12*time.Minute: "5h 12m", 80 * time.Hour: "3d"} {
		if got := roundDuration(d); got != want {
			t.Errorf("roundDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
