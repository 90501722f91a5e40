package deps

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGoModReplace(t *testing.T) {
	mod := `module m

require (
	a.example/x v1.0.0
	a.example/y v1.2.0 // indirect
	a.example/z v0.1.0
)

replace (
	a.example/x => b.example/x v1.1.0
	a.example/y v1.1.0 => c.example/y v9.0.0 // another version: not this require
	a.example/y v1.2.0 => d.example/y v1.2.1
)
replace a.example/z => ../z
`
	res, err := parseGoMod([]byte(mod))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Go b.example/x v1.1.0 :4", "Go d.example/y v1.2.1 :5"}
	if diff := cmp.Diff(want, pkgs(res.pkgs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(res.skipped) != 1 || !strings.Contains(res.skipped[0], "../z") {
		t.Errorf("skipped = %q", res.skipped)
	}
	for _, bad := range []string{"require a.example/x\n", "replace a.example/x\n", "require a.example/x latest\n", "require \"a.example/x v1.0.0\n"} {
		if _, err := parseGoMod([]byte(bad)); err == nil {
			t.Errorf("parseGoMod(%q): no error", bad)
		}
	}
}

func TestRequirementsEdges(t *testing.T) {
	req := "A_B.c[extra1, extra2] == 1.0.post1 ; sys_platform == 'linux'\n" +
		"pkg==1.*\n" +
		"other==1.0,!=1.0.1\n" +
		"at @ https://example.invalid/at-1.0.tar.gz\n" +
		"frag==2.0 #comment\n" +
		"hash==3.0 --hash=sha256:abc\n" +
		"  # indented comment\n" +
		"-r base.txt\n" +
		"cont==\\\n4.0\n"
	res, err := parseRequirements([]byte(req))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PyPI A_B.c 1.0.post1 :1", "PyPI frag 2.0 :5", "PyPI hash 3.0 :6", "PyPI cont 4.0 :9"}
	if diff := cmp.Diff(want, pkgs(res.pkgs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(res.skipped) != 3 {
		t.Errorf("skipped = %q, want pkg, other and at", res.skipped)
	}
}

func TestYarnSpec(t *testing.T) {
	tests := []struct{ spec, name, proto string }{
		{"lodash@^4.17.21", "lodash", ""},
		{"@babel/core@^7.0.0", "@babel/core", ""},
		{"lodash@npm:4.17.21", "lodash", "npm"},
		{"string-width-cjs@npm:string-width@^4.2.0", "string-width", "npm"},
		{"@scope/alias@npm:@scope/real@^1.0.0", "@scope/real", "npm"},
		{"resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>", "resolve", "patch"},
		{"app@workspace:.", "app", "workspace"},
		{"dep@https://example.invalid/dep.tgz", "dep", "https"},
		{"dep@git+ssh://git@example.invalid/dep.git", "dep", "git+ssh"},
		{"range@>=1.0.0 <2.0.0", "range", ""},
	}
	for _, tc := range tests {
		name, proto, ok := yarnSpec(tc.spec)
		if !ok || name != tc.name || proto != tc.proto {
			t.Errorf("yarnSpec(%q) = %q, %q, %v; want %q, %q", tc.spec, name, proto, ok, tc.name, tc.proto)
		}
	}
	if _, _, ok := yarnSpec("noversion"); ok {
		t.Error("yarnSpec without @ accepted")
	}
}

func TestPnpmKey(t *testing.T) {
	tests := []struct {
		key           string
		major         int
		name, version string
	}{
		{"/lodash/4.17.21", 5, "lodash", "4.17.21"},
		{"/@babel/core/7.24.0_supports-color@8.1.1", 5, "@babel/core", "7.24.0"},
		{"/@babel/core@7.24.0(supports-color@8.1.1)", 6, "@babel/core", "7.24.0"},
		{"react-dom@18.2.0(react@18.2.0)", 9, "react-dom", "18.2.0"},
		{"@types/node@20.12.7", 9, "@types/node", "20.12.7"},
		{"/nonsense", 5, "", ""},
	}
	for _, tc := range tests {
		if n, v := pnpmKey(tc.key, tc.major); n != tc.name || v != tc.version {
			t.Errorf("pnpmKey(%q, %d) = %q, %q; want %q, %q", tc.key, tc.major, n, v, tc.name, tc.version)
		}
	}
}

func TestKeyLines(t *testing.T) {
	doc := `{
  "a": {"x\"y": 1, "b": [ {"c": 2},
    {"c": "{[,]}"} ]},
  "d": 3
}`
	got := keyLines([]byte(doc), func([]string) bool { return true })
	want := map[string]int{
		joinPath("a"): 2, joinPath("a", `x"y`): 2, joinPath("a", "b"): 2,
		joinPath("a", "b", "0", "c"): 2, joinPath("a", "b", "1", "c"): 3, joinPath("d"): 4,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPomProperties(t *testing.T) {
	props := map[string]string{"a": "${b}", "b": "${a}", "v": "1.${minor}", "minor": "2"}
	if got := resolveProps("${v}.3", props); got != "1.2.3" {
		t.Errorf("resolveProps = %q", got)
	}
	if got := resolveProps("${a}", props); !strings.Contains(got, "${") {
		t.Errorf("a property cycle resolved to %q", got)
	}
	if got := resolveProps("${missing}", props); got != "${missing}" {
		t.Errorf("missing property resolved to %q", got)
	}
	pom := `<project><artifactId>p</artifactId><parent><version>3.0</version></parent>
<dependencies>
<dependency><groupId>g</groupId><artifactId>a</artifactId><version>${project.version}</version></dependency>
<dependency><groupId>g</groupId><artifactId>r</artifactId><version>[1.0,2.0)</version></dependency>
<dependency><groupId>g</groupId><artifactId>u</artifactId><version>${unknown}</version></dependency>
</dependencies></project>`
	res, err := parsePom([]byte(pom))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Maven g:a 3.0 :3"}, pkgs(res.pkgs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(res.skipped) != 2 {
		t.Errorf("skipped = %q", res.skipped)
	}
	if _, err := parsePom([]byte(`<settings><x/></settings>`)); err == nil {
		t.Error("a non-POM XML file was accepted")
	}
}
