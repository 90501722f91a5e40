package web

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTalksOnlyToTheAPI: the UI's code (its tests aside, which build a
// real store to serve the API from) imports no store, engine, executor or
// delivery package: every piece of data comes through the API.
func TestTalksOnlyToTheAPI(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"internal/store", "internal/engine", "internal/executor", "internal/delivery", "internal/gatekeeper",
		"internal/server"}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		n++
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if strings.HasPrefix(p, "github.com/sluice-ci/sluice/"+bad) {
					t.Errorf("%s imports %s: the web UI reads and acts only through the API", f, p)
				}
			}
		}
	}
	if n < 5 {
		t.Fatalf("only %d source files checked", n)
	}
}
