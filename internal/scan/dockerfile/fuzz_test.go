package dockerfile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDockerfile checks that no input makes the analyzer panic, and that
// every finding names a known rule at lines inside the file. Seeds are the
// test Dockerfiles and the corpus in testdata/fuzz/FuzzDockerfile.
func FuzzDockerfile(f *testing.F) {
	for _, name := range []string{"insecure", "clean"} {
		data, err := os.ReadFile(filepath.Join("testdata", name, "Dockerfile"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := analyze("Dockerfile", data)
		if err != nil {
			return
		}
		lines := len(splitLines(data))
		for _, fd := range fs {
			if rulesByID[fd.RuleID] == nil {
				t.Fatalf("unknown rule %q", fd.RuleID)
			}
			if loc := fd.Location; loc.StartLine < 1 || loc.EndLine < loc.StartLine || loc.EndLine > lines {
				t.Fatalf("%s: lines %d-%d outside the file's %d lines", fd.RuleID, loc.StartLine, loc.EndLine, lines)
			}
		}
	})
}
