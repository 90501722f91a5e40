package server

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryRoute keeps docs/server.md in step with the route
// table: every API path the server serves is named there (a path written
// relative to the one before it, like `/runs/{ref}/logs`, counts by its
// last part).
func TestDocsListEveryRoute(t *testing.T) {
	b, err := os.ReadFile("../../docs/server.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	s := New(Options{})
	for _, r := range s.routes {
		if r.Webhook || !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		short := r.Path[strings.LastIndex(r.Path, "/"):]
		if !strings.Contains(doc, r.Path) && !strings.Contains(doc, "`"+short+"`") && !strings.Contains(doc, short+"`,") {
			t.Errorf("docs/server.md does not mention %s %s", r.Method, r.Path)
		}
	}
}
