package spec_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/pipeline/lint"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/invalid")

// TestInvalidGolden loads each testdata/invalid/*.yaml (parse and lint) and
// compares the diagnostics, one String() per line, with the .golden file
// beside it. Run with -update to rewrite the golden files.
func TestInvalidGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files in testdata/invalid")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			_, ds := lint.Load(file)
			if len(ds) == 0 {
				t.Fatal("no diagnostics for an invalid file")
			}
			var b strings.Builder
			for _, d := range ds {
				b.WriteString(d.String())
				b.WriteByte('\n')
			}
			got := b.String()
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden file (run go test -update to create it): %v", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestValidFiles checks that every testdata/valid/*.yaml parses and lints
// with no diagnostics at all.
func TestValidFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files in testdata/valid")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			p, ds := lint.Load(file)
			for _, d := range ds {
				t.Errorf("%s", d)
			}
			if p == nil || p.Version != 1 {
				t.Errorf("pipeline not read: %+v", p)
			}
		})
	}
}
