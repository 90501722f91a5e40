package scan

import (
	"strings"
	"testing"
)

func TestPatterns(t *testing.T) {
	cases := []struct {
		patterns string
		path     string
		dir      bool
		want     bool
	}{
		{"*.log", "a.log", false, true},
		{"*.log", "deep/er/a.log", false, true},
		{"*.log", "a.log.txt", false, false},
		{"*.log", "logs/a", false, false},
		{"/root.txt", "root.txt", false, true},
		{"/root.txt", "sub/root.txt", false, false},
		{"build/", "build", true, true},
		{"build/", "build", false, false},
		{"build/", "src/build", true, true},
		{"build", "src/build", false, true},
		{"doc/*.md", "doc/a.md", false, true},
		{"doc/*.md", "doc/sub/a.md", false, false},
		{"doc/*.md", "x/doc/a.md", false, false},
		{"**/testdata/corpus/**", "internal/scan/secrets/testdata/corpus/aws.env", false, true},
		{"**/testdata/corpus/**", "testdata/corpus/a/b.txt", false, true},
		{"**/testdata/corpus/**", "testdata/corpusx/b.txt", false, false},
		{"**/foo", "foo", false, true},
		{"**/foo", "a/b/foo", false, true},
		{"a/**/b", "a/b", false, true},
		{"a/**/b", "a/x/y/b", false, true},
		{"a/**/b", "ab", false, false},
		{"a/**", "a/x/y", false, true},
		{"a/**", "b/a/x", false, false},
		{"file?.txt", "file1.txt", false, true},
		{"file?.txt", "file10.txt", false, false},
		{"file[0-9].txt", "file7.txt", false, true},
		{"file[!0-9].txt", "file7.txt", false, false},
		{"file[!0-9].txt", "filex.txt", false, true},
		{"a[!x]b", "a/b", false, false},
		{"[.txt", "[.txt", false, true},
		{`\#hash`, "#hash", false, true},
		{`\!bang`, "!bang", false, true},
		{"# comment", "# comment", false, false},
		{"trailing   ", "trailing", false, true},
		{"a.(b)+", "a.(b)+", false, true},
		{"a.(b)+", "a.bb", false, false},
		{"*.md\n!README.md", "README.md", false, false},
		{"*.md\n!README.md", "CHANGES.md", false, true},
		{"!README.md\n*.md", "README.md", false, true},
		{"*\n!*.go", "main.go", false, false},
		{"*\n!*.go", "main.py", false, true},
		{"*.txt\r\n", "a.txt", false, true},
	}
	for _, tc := range cases {
		p, err := ParsePatterns("test", []byte(tc.patterns))
		if err != nil {
			t.Fatalf("ParsePatterns(%q): %v", tc.patterns, err)
		}
		if got := p.Match(tc.path, tc.dir); got != tc.want {
			t.Errorf("patterns %q: Match(%q, dir=%v) = %v, want %v", tc.patterns, tc.path, tc.dir, got, tc.want)
		}
	}
}

func TestPatternsEmpty(t *testing.T) {
	var p *Patterns
	if p.Match("a", false) || p.Len() != 0 {
		t.Error("nil Patterns matched")
	}
	p, err := CompilePatterns([]string{"", "# only comments", "   "})
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 0 || p.Match("x", false) {
		t.Errorf("blank patterns: Len = %d", p.Len())
	}
	if _, err := ParsePatterns("long", []byte(strings.Repeat("a", 2<<20))); err == nil {
		t.Error("a 2 MiB line: no error")
	}
}
