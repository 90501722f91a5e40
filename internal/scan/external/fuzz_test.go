package external

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
)

// FuzzImport feeds every importer (and Detect) the same bytes: none may
// panic, and what they return must be well formed. The seeds are the
// hand-written reports of testdata/.
func FuzzImport(f *testing.F) {
	for _, r := range reports {
		data, err := os.ReadFile(filepath.Join("testdata", r.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"results": null}`))
	names := append(Formats(), None)
	f.Fuzz(func(t *testing.T, data []byte) {
		if tool, ok := Detect(data); ok {
			if _, err := Import(tool, bytes.NewReader(data), "/src"); err != nil && tool == None {
				t.Errorf("Detect said %q but Import failed: %v", tool, err)
			}
		}
		for _, name := range names {
			fs, err := Import(name, bytes.NewReader(data), "/src")
			if err != nil && err.Error() == "" {
				t.Errorf("%s: empty error message", name)
			}
			for _, fd := range fs {
				if fd.Scanner == "" || fd.RuleID == "" || fd.Category == "" {
					t.Errorf("%s: finding without scanner, rule or category: %+v", name, fd)
				}
				if fd.Severity < findings.Info || fd.Severity > findings.Critical {
					t.Errorf("%s: severity %d", name, fd.Severity)
				}
				if fd.Location.StartLine < 0 || fd.Location.EndLine < fd.Location.StartLine && fd.Location.EndLine != 0 {
					t.Errorf("%s: bad lines %+v", name, fd.Location)
				}
			}
		}
	})
}
