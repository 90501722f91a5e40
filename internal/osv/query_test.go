package osv

import (
	"slices"
	"strings"
	"testing"
)

func openTestDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open("testdata/db")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestQueryBoundaries checks every advisory in testdata/db at and around
// its range boundaries: exactly the fixed version, just before it,
// pre-releases around it, and versions outside every range.
func TestQueryBoundaries(t *testing.T) {
	db := openTestDB(t)
	tests := []struct {
		eco, name, version string
		want               string // advisory id, "" for none
		fixed              string
	}{
		// npm, two affected entries with one range each.
		{"npm", "minimist", "0.0.8", "GHSA-xvch-5gv4-984h", "0.2.4"},
		{"npm", "minimist", "0.2.3", "GHSA-xvch-5gv4-984h", "0.2.4"},
		{"npm", "minimist", "0.2.4", "", ""},
		{"npm", "minimist", "0.2.5", "", ""},
		{"npm", "minimist", "1.0.0-beta.1", "", ""}, // pre-release before 1.0.0, after 0.2.4
		{"npm", "minimist", "1.0.0", "GHSA-xvch-5gv4-984h", "1.2.6"},
		{"npm", "minimist", "1.2.5", "GHSA-xvch-5gv4-984h", "1.2.6"},
		{"npm", "minimist", "1.2.6-rc.1", "GHSA-xvch-5gv4-984h", "1.2.6"}, // pre-release of the fix is still vulnerable
		{"npm", "minimist", "1.2.6", "", ""},
		{"npm", "minimist", "1.2.8", "", ""},
		{"npm", "Minimist", "1.2.5", "", ""}, // npm names are case-sensitive
		{"npm", "minimist", "latest", "", ""},
		{"npm", "minimist", "file:../minimist", "", ""},
		// withdrawn advisory: never reported.
		{"npm", "left-pad", "1.3.0", "", ""},
		// PyPI: one range with three intervals, names per PEP 503.
		{"PyPI", "django", "2.1.15", "", ""},
		{"PyPI", "Django", "2.2", "PYSEC-2022-19", "2.2.27"},
		{"PyPI", "DJANGO", "2.2.26", "PYSEC-2022-19", "2.2.27"},
		{"PyPI", "django", "2.2.27", "", ""},
		{"PyPI", "django", "3.0", "", ""},
		{"PyPI", "django", "3.2a1", "", ""}, // pre-release before "introduced 3.2"
		{"PyPI", "django", "3.2.11", "PYSEC-2022-19", "3.2.12"},
		{"PyPI", "django", "3.2.12rc1", "PYSEC-2022-19", "3.2.12"},
		{"PyPI", "django", "3.2.12.dev1", "PYSEC-2022-19", "3.2.12"},
		{"PyPI", "django", "3.2.12", "", ""},
		{"PyPI", "django", "4.0.1", "PYSEC-2022-19", "4.0.2"},
		{"PyPI", "django", "4.0.1+ubuntu1", "PYSEC-2022-19", "4.0.2"},
		{"PyPI", "django", "4.0.1.post1", "PYSEC-2022-19", "4.0.2"},
		{"PyPI", "django", "4.0.2", "", ""},
		{"PyPI", "django", "4.0.2.post1", "", ""},
		{"PyPI", "django", "1!2.2.1", "", ""}, // epoch 1 is above every range
		{"PyPI", "django", "dev", "", ""},
		// An event that is not a version makes the range unusable.
		{"PyPI", "pyyaml", "5.3", "", ""},
		{"PyPI", "PyYAML", "5.3", "", ""},
		// Maven: three ranges, Maven qualifiers.
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.0-alpha1", "", ""},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.0-beta8", "", ""},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.0-beta9", "GHSA-jfh8-c2jp-5v3q", "2.3.1"},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.0", "GHSA-jfh8-c2jp-5v3q", "2.3.1"},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.3.1", "", ""},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.4", "GHSA-jfh8-c2jp-5v3q", "2.12.2"},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.12.2", "", ""},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", "GHSA-jfh8-c2jp-5v3q", "2.15.0"},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.15.0-rc1", "GHSA-jfh8-c2jp-5v3q", "2.15.0"},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.15.0", "", ""},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.15.0.0", "", ""},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.17.1", "", ""},
		{"Maven", "org.apache.logging.log4j:log4j-api", "2.14.1", "", ""},
		// Go: SEMVER range, module versions with "v", pseudo-versions.
		{"Go", "golang.org/x/text", "v0.3.7", "GO-2022-1059", "0.3.8"},
		{"Go", "golang.org/x/text", "v0.0.0-20210101000000-abcdefabcdef", "GO-2022-1059", "0.3.8"},
		{"Go", "golang.org/x/text", "v0.3.8-0.20221010000000-abcdefabcdef", "GO-2022-1059", "0.3.8"},
		{"Go", "golang.org/x/text", "v0.3.8", "", ""},
		{"Go", "golang.org/x/text", "v0.14.0", "", ""},
		// RubyGems: versions list only.
		{"RubyGems", "rack", "2.2.6.2", "GHSA-vvfq-8hwr-qm4m", ""},
		{"RubyGems", "rack", "2.2.6.3", "", ""},
		{"RubyGems", "rack", "2.2.6", "", ""},
		// crates.io: last_affected is inclusive.
		{"crates.io", "smallvec", "0.6.2", "", ""},
		{"crates.io", "smallvec", "0.6.3", "RUSTSEC-2021-0003", ""},
		{"crates.io", "smallvec", "1.6.0", "RUSTSEC-2021-0003", ""},
		{"crates.io", "smallvec", "1.6.1", "", ""},
		// Debian: release suffixes, "~" ordering.
		{"Debian:12", "openssl", "3.0.9-1", "DSA-5532-1", "3.0.11-1~deb12u1"},
		{"Debian:12", "openssl", "3.0.11-1~deb11u1", "DSA-5532-1", "3.0.11-1~deb12u1"},
		{"Debian:12", "openssl", "3.0.11-1~deb12u1", "", ""},
		{"Debian:12", "openssl", "3.0.11-1~deb12u2", "", ""},
		{"Debian:12", "openssl", "3.0.11-1", "", ""},
		{"Debian:11", "openssl", "3.0.9-1", "", ""},
		{"Debian", "openssl", "3.0.9-1", "DSA-5532-1", "3.0.11-1~deb12u1"},
		// Alpine.
		{"Alpine:v3.18", "curl", "8.3.0-r2", "ALPINE-CVE-2023-38545", "8.4.0-r0"},
		{"Alpine:v3.18", "curl", "8.4.0_rc1-r0", "ALPINE-CVE-2023-38545", "8.4.0-r0"},
		{"Alpine:v3.18", "curl", "8.4.0-r0", "", ""},
		{"Alpine:v3.18", "curl", "8.4.0-r1", "", ""},
		// Packagist: "v" prefixes, two intervals, names lowercase.
		{"Packagist", "symfony/http-kernel", "v4.4.49", "GHSA-q847-2q57-wmr3", "4.4.50"},
		{"Packagist", "Symfony/HTTP-Kernel", "4.4.49", "GHSA-q847-2q57-wmr3", "4.4.50"},
		{"Packagist", "symfony/http-kernel", "v4.4.50", "", ""},
		{"Packagist", "symfony/http-kernel", "v5.0.0-RC1", "", ""},
		{"Packagist", "symfony/http-kernel", "v5.4.19", "GHSA-q847-2q57-wmr3", "5.4.20"},
		{"Packagist", "symfony/http-kernel", "v5.4.20", "", ""},
		{"Packagist", "symfony/http-kernel", "dev-main", "", ""},
		// Unknown package and ecosystem.
		{"npm", "no-such-package", "1.0.0", "", ""},
		{"NoSuchEcosystem", "minimist", "1.0.0", "", ""},
	}
	for _, tc := range tests {
		got := db.Query(tc.eco, tc.name, tc.version)
		var ids []string
		for _, v := range got {
			ids = append(ids, v.ID)
		}
		if tc.want == "" {
			if len(got) != 0 {
				t.Errorf("Query(%s, %s, %s) = %v, want nothing", tc.eco, tc.name, tc.version, ids)
			}
			continue
		}
		if len(got) != 1 || got[0].ID != tc.want {
			t.Errorf("Query(%s, %s, %s) = %v, want [%s]", tc.eco, tc.name, tc.version, ids, tc.want)
			continue
		}
		if got[0].Fixed != tc.fixed {
			t.Errorf("Query(%s, %s, %s).Fixed = %q, want %q", tc.eco, tc.name, tc.version, got[0].Fixed, tc.fixed)
		}
	}
}

func TestQueryResultFields(t *testing.T) {
	db := openTestDB(t)
	got := db.Query("npm", "minimist", "1.2.5")
	if len(got) != 1 {
		t.Fatalf("got %d results, want 1", len(got))
	}
	v := got[0]
	if v.Summary != "Prototype Pollution in minimist" || v.Score != 9.8 ||
		v.Vector != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" || v.SeverityLabel != "CRITICAL" {
		t.Errorf("summary/score/vector/label = %q %v %q %q", v.Summary, v.Score, v.Vector, v.SeverityLabel)
	}
	if !slices.Equal(v.Aliases, []string{"CVE-2021-44906"}) || !slices.Equal(v.CWEs, []string{"CWE-1321"}) {
		t.Errorf("aliases %v, CWEs %v", v.Aliases, v.CWEs)
	}
	if len(v.References) != 2 || !strings.Contains(v.References[0], "CVE-2021-44906") {
		t.Errorf("references %v", v.References)
	}

	// A record without a summary takes the first line of its details.
	py := db.Query("PyPI", "django", "4.0.1")
	if len(py) != 1 || !strings.HasPrefix(py[0].Summary, "An issue was discovered in MultiPartParser") {
		t.Errorf("PyPI summary: %+v", py)
	}
	// CVSS v4 only: not scored, vector kept, database word used.
	sf := db.Query("Packagist", "symfony/http-kernel", "4.4.1")
	if len(sf) != 1 || sf[0].Score != 0 || !strings.HasPrefix(sf[0].Vector, "CVSS:4.0/") || sf[0].SeverityLabel != "MODERATE" {
		t.Errorf("CVSS v4 record: %+v", sf)
	}
	// Scope changed: 10.0.
	l4j := db.Query("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1")
	if len(l4j) != 1 || l4j[0].Score != 10 || len(l4j[0].CWEs) != 4 {
		t.Errorf("log4j: %+v", l4j)
	}
}
