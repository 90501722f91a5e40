package gate

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadSuppressions(t *testing.T) {
	sups, ds := LoadSuppressions(filepath.Join("testdata", "ignore.yaml"))
	if len(ds) > 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	if len(sups) != 3 {
		t.Fatalf("got %d suppressions, want 3: %+v", len(sups), sups)
	}
	s := sups[0]
	if s.Fingerprint != "fp-sast" || s.Owner != "alice" || s.Reason != "input is a constant" || s.Source != "testdata/ignore.yaml:2" {
		t.Errorf("first = %+v", s)
	}
	if want := time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC); !s.Expires.Equal(want) {
		t.Errorf("expires = %v, want end of 2026-12-31", s.Expires)
	}
	if sups[1].Rule != "go.weak-rand" || sups[1].Path != "cmd/**" || !sups[1].Expires.Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("second = %+v", sups[1])
	}
	if sups[2].Advisory != "CVE-2026-1" || sups[2].Package != "example.org/lib" || !sups[2].Expires.IsZero() {
		t.Errorf("third = %+v", sups[2])
	}
}

func TestLoadSuppressionsMissing(t *testing.T) {
	sups, ds := LoadSuppressions(filepath.Join(t.TempDir(), "ignore.yaml"))
	if sups != nil || ds != nil {
		t.Errorf("missing file: %v %v, want nothing", sups, ds)
	}
}

func TestLoadSuppressionsErrors(t *testing.T) {
	sups, ds := LoadSuppressions(filepath.Join("testdata", "bad.yaml"))
	if len(sups) != 0 {
		t.Errorf("kept %d bad suppressions, want none", len(sups))
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"testdata/bad.yaml:2:5: error: suppressions[0].reason: suppression has no reason",
		"testdata/bad.yaml:4:5: error: suppressions[1].owner: suppression has no owner",
		"testdata/bad.yaml:7:5: error: suppressions[2]: suppression selects no finding",
		`testdata/bad.yaml:12:14: error: suppressions[3].expires: expires "next year" is not a date`,
		`testdata/bad.yaml:16:5: error: suppressions[4].color: unknown key "color"`,
		`testdata/bad.yaml:17:1: error: extra: unknown key "extra"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing diagnostic %q; got:\n%s", want, all)
		}
	}
	if len(ds) != 6 {
		t.Errorf("got %d diagnostics, want 6:\n%s", len(ds), all)
	}
}

func TestParseSuppressionsSyntax(t *testing.T) {
	_, ds := ParseSuppressions("i.yaml", []byte("suppressions:\n  - fingerprint: [a\n"))
	if len(ds) != 1 || !strings.Contains(ds[0].String(), "YAML syntax error") || ds[0].Line == 0 {
		t.Errorf("diagnostics = %v, want one syntax error with a line", ds)
	}
}
