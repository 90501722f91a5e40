package deps

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParsers feeds arbitrary bytes to every lockfile parser: malformed
// input must be an error, never a panic. Seeds are the realistic samples.
func FuzzParsers(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/vulnerable/*/*")
	names := map[string]bool{}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(filepath.Base(p), data)
		names[filepath.Base(p)] = true
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if !names[name] {
			return
		}
		parse, _ := parserFor(name)
		res, err := parse(data)
		if err != nil {
			return
		}
		for _, p := range res.pkgs {
			if p.Name == "" || p.Version == "" || p.Ecosystem == "" {
				t.Fatalf("%s: incomplete package %+v", name, p)
			}
		}
	})
}
