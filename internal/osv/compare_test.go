package osv

import "testing"

// Each list is in ascending order as the ecosystem documents it; versions
// joined by "=" are equal.
var orderings = map[string][][]string{
	// PEP 440's own example ordering, with epochs, local versions and
	// equivalent spellings.
	PyPI: {
		{"1.0.dev456"}, {"1.0a1", "1.0.0a1", "1.0alpha1"}, {"1.0a2.dev456"}, {"1.0a12.dev456"}, {"1.0a12"},
		{"1.0b1.dev456"}, {"1.0b2"}, {"1.0b2.post345.dev456"}, {"1.0b2.post345"},
		{"1.0rc1.dev456"}, {"1.0rc1", "1.0c1"}, {"1.0", "1.0.0", "1"}, {"1.0+abc.5"}, {"1.0+abc.7"}, {"1.0+5"},
		{"1.0.post456.dev34"}, {"1.0.post456"}, {"1.0.15"}, {"1.1.dev1"}, {"2013.10"}, {"1!0.1"}, {"1!1.0"},
	},
	// SemVer 2.0 §11.
	Npm: {
		{"1.0.0-alpha"}, {"1.0.0-alpha.1"}, {"1.0.0-alpha.beta"}, {"1.0.0-beta"}, {"1.0.0-beta.2"},
		{"1.0.0-beta.11"}, {"1.0.0-rc.1"}, {"1.0.0", "1.0.0+build.5"}, {"1.0.1"}, {"1.1.0"}, {"1.10.0"}, {"2.0.0"},
	},
	CratesIO: {{"0.9.9"}, {"1.0.0-rc.1"}, {"1.0.0"}, {"1.2.0"}, {"1.10.0"}},
	// Go: SemVer with a leading "v"; pseudo-versions sort as pre-releases.
	Go: {
		{"v0.0.0-20210101000000-abcdefabcdef"}, {"v0.3.7", "0.3.7"}, {"v0.3.8-pre"}, {"v0.3.8"}, {"v0.10.0"},
		{"v1.0.0"}, {"v2.0.0+incompatible"},
	},
	// Maven's ComparableVersion: qualifiers alpha < beta < milestone <
	// rc = cr < snapshot < release (= "", ga, final) < sp; trailing zeros
	// do not count.
	Maven: {
		{"1-alpha-1", "1.0-alpha1", "1-a1"}, {"1-alpha-2"}, {"1-beta-1", "1-b1"}, {"1-milestone-1", "1-m1"},
		{"1-rc1", "1-cr1", "1-RC1"}, {"1-SNAPSHOT"}, {"1", "1.0", "1.0.0", "1-ga", "1-final", "1.0.0.RELEASE"},
		{"1-sp1"}, {"1.0.1"}, {"1.1"}, {"1.9"}, {"1.10"}, {"2.0-beta9"}, {"2.0"}, {"2.3.1"},
	},
	// Gem::Version: a letter makes a prerelease; segments compare as
	// numbers.
	RubyGems: {
		{"1.0.a"}, {"1.0.a9"}, {"1.0.a10"}, {"1.0.b1"}, {"1.0.pre"}, {"1.0.rc1"}, {"1", "1.0", "1.0.0"},
		{"1.0.1"}, {"1.1"}, {"1.10"}, {"2.2.6.2"}, {"2.2.6.3"},
	},
	// Composer: dev < alpha < beta < RC < stable < patch, "v" ignored.
	Packagist: {
		{"1.0.0-dev"}, {"1.0.0-alpha1"}, {"1.0.0-beta2"}, {"1.0.0-RC1"}, {"1.0.0", "v1.0.0"}, {"1.0.0-p1"},
		{"1.0.1"}, {"4.4.49"}, {"v4.4.50"},
	},
	// dpkg: epoch, then upstream, then revision; "~" sorts before
	// everything, even the end of the string.
	Debian: {
		{"1.0~~"}, {"1.0~rc1"}, {"1.0"}, {"1.0-1"}, {"1.0-1+b1"}, {"1.0-1+deb12u1"}, {"1.0-2"}, {"1.0a"},
		{"1.0.1"}, {"3.0.11-1~deb11u1"}, {"3.0.11-1~deb12u1"}, {"3.0.11-1"}, {"1:0.9"},
	},
	// apk: pre-release suffixes before the release, then revisions, then
	// post-release suffixes.
	Alpine: {
		{"1.2.3_alpha1"}, {"1.2.3_beta1"}, {"1.2.3_pre1"}, {"1.2.3_rc1"}, {"1.2.3", "1.2.3-r0"}, {"1.2.3-r1"},
		{"1.2.3_p1"}, {"1.2.3a"}, {"1.2.4"}, {"8.3.0-r2"}, {"8.4.0-r0"},
	},
}

func TestCompareOrderings(t *testing.T) {
	for eco, groups := range orderings {
		for i, gi := range groups {
			for j, gj := range groups {
				want := 0
				switch {
				case i < j:
					want = -1
				case i > j:
					want = 1
				}
				for _, a := range gi {
					for _, b := range gj {
						got, err := Compare(eco, a, b)
						if err != nil {
							t.Errorf("%s: Compare(%q, %q): %v", eco, a, b, err)
							continue
						}
						if got != want {
							t.Errorf("%s: Compare(%q, %q) = %d, want %d", eco, a, b, got, want)
						}
					}
				}
			}
		}
	}
}

func TestCompareRejectsNonVersions(t *testing.T) {
	for _, tc := range []struct{ eco, a, b string }{
		{Npm, "latest", "1.0.0"},
		{Npm, "1.0.0", "git+ssh://example.invalid/repo.git"},
		{Go, "master", "v1.0.0"},
		{PyPI, "not a version!!", "1.0"},
		{"NoSuchEcosystem", "1", "2"},
	} {
		if _, err := Compare(tc.eco, tc.a, tc.b); err == nil {
			t.Errorf("Compare(%s, %q, %q): no error", tc.eco, tc.a, tc.b)
		}
	}
}
