package sarif

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
)

// FuzzReadSARIF feeds the reader arbitrary bytes, seeded with the tool
// logs in testdata/tools and sluice's own output. It must never panic; what
// it accepts must be well-formed findings that survive a write and a
// second read. The seeds are a few kilobytes, so bound minimization when
// fuzzing:
//
//	go test ./internal/report/sarif -run '^$' -fuzz FuzzReadSARIF -fuzztime 60s -fuzzminimizetime 200x
func FuzzReadSARIF(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "tools", "*.sarif"))
	seeds = append(seeds, filepath.Join("testdata", "write.golden.sarif"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rules": [{"id": "r"}]}}, "results": [{"ruleIndex": 5, "rule": {"index": -3, "toolComponent": {"index": 9}}}]}]}`,
		`{"version": "2.1.0", "runs": [{"results": [{"locations": [{"physicalLocation": {"artifactLocation": {"uri": "%zz"}, "region": {"startLine": -4, "endLine": -9}}}]}]}]}`,
		`{"version": "2.1.0", "runs": [{"results": [{"properties": {"security-severity": "NaN", "cwe": [[["CWE-1"]]], "sources": 3}}]}]}`,
		`{"version": "2.1.0", "runs": [null, {}, []]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := ReadSARIF(bytes.NewReader(data), "")
		var me *MalformedError
		if err != nil && !errors.As(err, &me) {
			if fs != nil {
				t.Fatalf("hard error %v with %d findings", err, len(fs))
			}
			return
		}
		for i, f := range fs {
			if !slices.Contains(findings.Categories, f.Category) || f.Severity < findings.Info || f.Severity > findings.Critical ||
				f.Fingerprint == "" || len(f.Sources) == 0 || f.RuleID == "" || f.Title == "" {
				t.Fatalf("finding %d is malformed: %+v", i, f)
			}
		}
		var buf bytes.Buffer
		if err := WriteSARIF(&buf, fs, nil, ToolInfo{}); err != nil {
			t.Fatalf("write what was read: %v", err)
		}
		again, err := ReadSARIF(&buf, "")
		if err != nil {
			t.Fatalf("read what was written: %v", err)
		}
		if len(again) != len(fs) {
			t.Fatalf("%d findings written, %d read back", len(fs), len(again))
		}
	})
}
