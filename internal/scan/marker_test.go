package scan

import "testing"

func TestInlineIgnored(t *testing.T) {
	cases := []struct {
		line    string
		scanner string
		rule    string
		want    bool
	}{
		{`x = 1`, "secrets", "generic-secret", false},
		{`x = 1 # sluice:ignore`, "secrets", "generic-secret", true},
		{`x = 1 # sluice:ignore`, "dockerfile", "DL3008", true},
		{`x = 1 // sluice:ignore secrets`, "secrets", "generic-secret", true},
		{`x = 1 // sluice:ignore secrets`, "deps", "GHSA-1", false},
		{`x = 1 // sluice:ignore deps,secrets`, "secrets", "jwt", true},
		{`x = 1 // sluice:ignore generic-secret`, "secrets", "generic-secret", true},
		{`x = 1 // sluice:ignore generic-secret`, "secrets", "jwt", false},
		{`RUN apt-get install x # sluice:ignore DL3008`, "dockerfile", "DL3008", true},
		{`RUN apt-get install x # sluice:ignore DL3008`, "dockerfile", "DL3009", false},
		{`x = 1 # sluice:ignore fixture for the tests`, "secrets", "jwt", true},
		{`x = 1 <!-- sluice:ignore -->`, "secrets", "jwt", true},
		{`x = 1 /* sluice:ignore */`, "secrets", "jwt", true},
		{`x = 1 # sluice:ignored`, "secrets", "jwt", false},
		{`x = 1 # sluice:ignored, sluice:ignore`, "secrets", "jwt", true},
		{`x = 1 # gitleaks:allow`, "secrets", "jwt", true},
		{`x = 1 # gitleaks:allow`, "deps", "GHSA-1", false},
		{`x = 1 # SLUICE:IGNORE`, "secrets", "jwt", false},
	}
	for _, tc := range cases {
		if got := InlineIgnored([]byte(tc.line), tc.scanner, tc.rule); got != tc.want {
			t.Errorf("InlineIgnored(%q, %s, %s) = %v, want %v", tc.line, tc.scanner, tc.rule, got, tc.want)
		}
	}
}

func TestPatternsExcludes(t *testing.T) {
	p, err := CompilePatterns([]string{"fixtures/", "/top/*.txt", "**/testdata/corpus/**", "!keep.txt"})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		"fixtures/a.go":             true,
		"deep/fixtures/b/c.go":      true,
		"fixtures":                  false, // a file named like the folder
		"top/a.txt":                 true,
		"top/sub/a.txt":             false,
		"x/testdata/corpus/a/b.env": true,
		"x/testdata/clean/a.env":    false,
		"fixtures/keep.txt":         true, // a file in an ignored folder stays ignored
		"src/main.go":               false,
	} {
		if got := p.Excludes(path); got != want {
			t.Errorf("Excludes(%q) = %v, want %v", path, got, want)
		}
	}
	var none *Patterns
	if none.Excludes("a") {
		t.Error("nil Patterns excluded a path")
	}
}
