package sbom

import "testing"

func TestPURLFor(t *testing.T) {
	tests := []struct {
		eco, name, version, want string
	}{
		{"Go", "github.com/google/go-cmp", "v0.7.0", "pkg:golang/github.com/google/go-cmp@v0.7.0"},
		{"Go", "stdlib", "1.22.1", "pkg:golang/stdlib@1.22.1"},
		{"Go", "example.com/app", "(devel)", "pkg:golang/example.com/app"},
		{"npm", "@babel/core", "7.24.0", "pkg:npm/%40babel/core@7.24.0"},
		{"npm", "lodash", "4.17.20", "pkg:npm/lodash@4.17.20"},
		{"PyPI", "Jinja2_Time", "0.2.0", "pkg:pypi/jinja2-time@0.2.0"},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		{"crates.io", "serde", "1.0.0", "pkg:cargo/serde@1.0.0"},
		{"RubyGems", "rails", "7.0.0", "pkg:gem/rails@7.0.0"},
		{"Packagist", "Monolog/Monolog", "2.0.0", "pkg:composer/monolog/monolog@2.0.0"},
		{"Debian:12", "zlib1g", "1:1.2.13.dfsg-1", "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?distro=debian-12&epoch=1"},
		{"Debian:12", "libssl3", "3.0.11-1~deb12u2+b1", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2%2Bb1?distro=debian-12"},
		{"Ubuntu:22.04:LTS", "bash", "5.1-6ubuntu1", "pkg:deb/ubuntu/bash@5.1-6ubuntu1?distro=ubuntu-22.04-LTS"},
		{"Alpine:v3.19", "musl", "1.2.4_git20230717-r4", "pkg:apk/alpine/musl@1.2.4_git20230717-r4?distro=alpine-3.19"},
		{"Rocky Linux:9", "openssl", "1:3.0.7-24.el9", "pkg:rpm/rocky/openssl@3.0.7-24.el9?distro=rocky-9&epoch=1"},
		{"Hackage", "aeson", "2.0.0", "pkg:generic/aeson@2.0.0"},
	}
	for _, tt := range tests {
		if got := PURLFor(tt.eco, tt.name, tt.version); got != tt.want {
			t.Errorf("PURLFor(%q, %q, %q) = %q, want %q", tt.eco, tt.name, tt.version, got, tt.want)
		}
	}
}

func TestPackageURLEscapes(t *testing.T) {
	got := PackageURL("DEB", "debian", "a b", "1:2+3", map[string]string{"z": "x/y", "arch": "amd64", "empty": ""})
	want := "pkg:deb/debian/a%20b@1%3A2%2B3?arch=amd64&z=x%2Fy"
	if got != want {
		t.Errorf("PackageURL = %q, want %q", got, want)
	}
}

func TestSPDXExpression(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"MIT OR Apache-2.0", "MIT OR Apache-2.0", true},
		{"(mit OR apache-2.0) AND bsd-3-clause", "(MIT OR Apache-2.0) AND BSD-3-Clause", true},
		{"GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0", true},
		{"MIT", "", false},
		{"GPL or Artistic", "", false},
		{"MIT OR SomethingElse", "", false},
	}
	for _, tt := range tests {
		got, ok := spdxExpression(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("spdxExpression(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
