package deps

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parseFile(t *testing.T, path string) (parsed, error) {
	t.Helper()
	parse, ok := parserFor(path)
	if !ok {
		t.Fatalf("no parser for %s", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parse(data)
}

// pkgs renders packages as "ecosystem name version :line" for comparison.
func pkgs(ps []Package) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = fmt.Sprintf("%s %s %s :%d", p.Ecosystem, p.Name, p.Version, p.Line)
	}
	return out
}

// TestParsers reads each realistic sample in testdata/vulnerable and
// checks every package, version and declaration line, and what was
// skipped.
func TestParsers(t *testing.T) {
	tests := []struct {
		file    string
		want    []string
		skipped []string
	}{
		{"go/go.mod", []string{
			"Go github.com/gin-gonic/gin v1.9.0 :8", // replaced: example/legacy v1.0.0 => gin v1.9.0
			"Go github.com/google/uuid v1.6.0 :9",
			"Go golang.org/x/crypto v0.17.0 :10",
			"Go golang.org/x/text v0.3.7 :11",
			"Go golang.org/x/net v0.7.0 :16",
			"Go golang.org/x/sys v0.15.0 :17",
			"Go gopkg.in/yaml.v3 v3.0.0-20200313102051-9f266ea9e77c :20",
		}, []string{"github.com/sluice-demo/internal"}},
		{"gosum/go.sum", []string{
			"Go github.com/gorilla/websocket v1.4.0 :1",
			"Go github.com/pkg/errors v0.9.1 :4",
		}, nil},
		{"python/requirements.txt", []string{
			"PyPI Django 3.2.11 :4",
			"PyPI PyYAML 5.3.1 :6",
			"PyPI Jinja2 2.11.2 :9",
			"PyPI click 8.1.7 :13",
		}, []string{"requests", "gunicorn", "internal-lib"}},
		{"poetry/poetry.lock", []string{
			"PyPI certifi 2024.2.2 :4",
			"PyPI urllib3 1.26.4 :27",
		}, []string{"mylib"}},
		{"pipenv/Pipfile.lock", []string{
			"PyPI idna 3.7 :19",
			"PyPI requests 2.25.0 :26",
			"PyPI pytest 8.2.0 :39",
		}, []string{"toolbox"}},
		{"npm/package-lock.json", []string{
			"npm left-pad 1.3.0 :26",
			"npm minimist 1.2.5 :32",
			"npm mkdirp 0.5.1 :37",
			"npm minimist 0.0.8 :48",
			"npm string-width 4.2.3 :53", // installed under the alias string-width-cjs
		}, []string{"tarball-dep"}},
		{"npm-v1/package-lock.json", []string{
			"npm body-parser 1.19.0 :7",
			"npm qs 6.7.0 :15",
			"npm chalk 2.4.2 :27", // "chalk-alias": "npm:chalk@2.4.2"
			"npm lodash 4.17.15 :22",
		}, nil},
		{"npm-v2/package-lock.json", []string{"npm json5 2.2.1 :14"}, nil},
		{"yarn/yarn.lock", []string{
			"npm @babel/code-frame 7.22.13 :5",
			"npm axios 0.21.0 :13",
			"npm follow-redirects 1.15.6 :20",
			"npm string-width 4.2.3 :28",
		}, []string{"internal-widgets"}},
		{"yarn-berry/yarn.lock", []string{
			"npm resolve 1.22.8 :17",
			"npm semver 7.3.7 :23",
			"npm string-width 4.2.3 :34",
		}, nil},
		{"pnpm/pnpm-lock.yaml", []string{
			"npm express 4.17.1 :20",
			"npm @types/node 20.12.7 :24",
			"npm react-dom 18.2.0 :27",
			"npm react 18.2.0 :32",
		}, nil},
		{"pnpm-v6/pnpm-lock.yaml", []string{
			"npm json5 1.0.1 :17",
			"npm minimist 1.2.8 :24",
		}, []string{"vendored"}},
		{"cargo/Cargo.lock", []string{
			"crates.io libc 0.2.153 :14",
			"crates.io smallvec 1.6.0 :20",
			"crates.io time 0.1.43 :26",
		}, []string{"winapi"}},
		{"ruby/Gemfile.lock", []string{
			"RubyGems ruby-helpers 0.4.1 :5",
			"RubyGems mini_portile2 2.8.5 :16",
			"RubyGems nokogiri 1.13.3 :17",
			"RubyGems racc 1.7.3 :19",
			"RubyGems rack 2.2.6.2 :20",
			"RubyGems rack-test 2.1.0 :21",
		}, nil},
		{"php/composer.lock", []string{
			"Packagist guzzlehttp/guzzle 7.4.4 :10",
			"Packagist symfony/http-kernel v4.4.49 :23",
			"Packagist phpunit/phpunit 9.6.19 :40",
		}, []string{"acme/internal-tools"}},
		{"maven/pom.xml", []string{
			"Maven org.apache.commons:commons-text 1.9 :31", // managed version, used below
			"Maven org.apache.logging.log4j:log4j-core 2.14.1 :40",
			"Maven com.fasterxml.jackson.core:jackson-databind 2.9.10 :45",
			"Maven com.goodbooks:catalog-model 1.2.0 :58",
			"Maven junit:junit 4.13.2 :63",
		}, []string{"org.springframework:spring-framework-bom", "org.springframework:spring-core"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			res, err := parseFile(t, "testdata/vulnerable/"+tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, pkgs(res.pkgs)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if len(res.skipped) != len(tc.skipped) {
				t.Fatalf("skipped %q, want %d naming %q", res.skipped, len(tc.skipped), tc.skipped)
			}
			for i, s := range tc.skipped {
				if !strings.HasPrefix(res.skipped[i], s+" ") {
					t.Errorf("skipped[%d] = %q, want %s …", i, res.skipped[i], s)
				}
			}
		})
	}
}

// TestParsersRejectMalformed checks that every malformed sample is an
// error, not a panic or an empty success.
func TestParsersRejectMalformed(t *testing.T) {
	for _, f := range []string{
		"go/go.mod", "gosum/go.sum", "npm/package-lock.json", "yarn/yarn.lock", "pnpm/pnpm-lock.yaml",
		"cargo/Cargo.lock", "ruby/Gemfile.lock", "php/composer.lock", "maven/pom.xml",
		"pipenv/Pipfile.lock", "poetry/poetry.lock",
	} {
		if _, err := parseFile(t, "testdata/malformed/"+f); err == nil {
			t.Errorf("%s: no error", f)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error spans lines: %q", f, err)
		}
	}
}

func TestParserFor(t *testing.T) {
	for path, want := range map[string]bool{
		"go.mod": true, "svc/go.sum": true, "requirements.txt": true, "requirements-dev.txt": true,
		"dev-requirements.txt": true, "requirements/base.txt": true, "notes.txt": false,
		"a/b/package-lock.json": true, "npm-shrinkwrap.json": true, "package.json": false,
		"yarn.lock": true, "pnpm-lock.yaml": true, "Cargo.lock": true, "Cargo.toml": false,
		"Gemfile.lock": true, "Gemfile": false, "composer.lock": true, "pom.xml": true,
		"poetry.lock": true, "Pipfile.lock": true, "Pipfile": false,
	} {
		if _, got := parserFor(path); got != want {
			t.Errorf("parserFor(%s) = %v, want %v", path, got, want)
		}
	}
}
