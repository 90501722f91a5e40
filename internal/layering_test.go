package internal_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/sluice-ci/sluice/"

// rules says which internal packages a folder's code must not import.
var rules = []struct {
	dir       string
	forbidden []string
	why       string
}{
	{"pipeline", []string{"internal/engine", "internal/executor", "internal/store", "internal/cli", "internal/ui", "internal/secrets"},
		"pipeline/ is pure: parsing and planning never touch the store, processes or the terminal"},
	{"store", []string{"internal/engine", "internal/executor", "internal/cli", "internal/ui", "internal/pipeline"},
		"the store persists entities; it knows nothing of how runs execute"},
	{"executor", []string{"internal/engine", "internal/store", "internal/cli", "internal/ui", "internal/pipeline"},
		"an executor runs one step; scheduling and persistence are the engine's"},
	{"engine", []string{"internal/cli", "internal/ui"},
		"the engine reports through events; presenting them is the CLI's job"},
	{"diag", []string{"internal/"}, "diag is a leaf"},
	{"gate", []string{"internal/engine", "internal/executor", "internal/store", "internal/cli", "internal/ui"},
		"a gate decision is a pure function of its evidence; loading and storing it is the caller's job"},
	{"gatekeeper", []string{"internal/cli", "internal/ui"},
		"the gatekeeper judges and records; presenting decisions is the CLI's job"},
	{"policy", []string{"internal/engine", "internal/store", "internal/cli", "internal/ui"},
		"policies are evaluated over evidence handed to them"},
	{"gateway/edge", []string{"internal/engine", "internal/store", "internal/server", "internal/delivery", "internal/cli", "internal/gateway/"},
		"the edge protection is configuration in, a handler out; it shares only auth's primitives"},
	{"findings", []string{"internal/scan", "internal/engine", "internal/store", "internal/cli"},
		"the findings model is below every scanner and report"},
	{"web", []string{"internal/store/pgstore", "internal/engine", "internal/executor", "internal/delivery"}, "the web UI talks to the API only (web's own TestTalksOnlyToTheAPI keeps every store package out of its non-test code; its tests open a real SQLite store)"},
}

// codeOnly are the folders whose rule holds for non-test files only: their
// tests may set up what the code must not reach (a routing table for the
// UI to read through the API).
var codeOnly = map[string]bool{"web": true}

func TestLayering(t *testing.T) {
	for _, r := range rules {
		err := filepath.WalkDir(r.dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			if codeOnly[r.dir] && strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if !strings.HasPrefix(p, module) {
					continue
				}
				rel := strings.TrimPrefix(p, module)
				for _, bad := range r.forbidden {
					if strings.HasPrefix(rel, bad) {
						t.Errorf("%s imports %s: %s", path, p, r.why)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
