package osv

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseRecord feeds arbitrary bytes to the record parser and, when a
// record comes out, queries it: neither may panic. Seeds are the records
// in testdata/db and testdata/fuzz/FuzzParseRecord.
func FuzzParseRecord(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/db/*/*.json")
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := ParseRecord(data)
		if err != nil {
			return
		}
		if rec.ID == "" {
			t.Fatal("record without id accepted")
		}
		db := newDB("")
		db.add(rec)
		rec.Specific()
		for _, a := range rec.Affected {
			versions := append([]string{"0", "1.0.0", "v1.2.3", "1.0a1", "2:1.0-1~deb12u1", "1.2.3-r0"}, a.Versions...)
			for _, r := range a.Ranges {
				for _, e := range r.Events {
					versions = append(versions, e.Introduced, e.Fixed, e.LastAffected)
				}
			}
			for _, v := range versions {
				db.Query(a.Package.Ecosystem, a.Package.Name, v)
			}
		}
	})
}
