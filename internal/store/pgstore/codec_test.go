package pgstore

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ p, want string }{
		{"abc", "abd"},
		{"ab\x7f", "ab\u0080"},
		{"aü", "aý"},
		{"a\uD7FF", "a\uE000"},
		{"a\U0010FFFF", "b"},
		{"\U0010FFFF\U0010FFFF", ""},
		{"", ""},
	} {
		got := prefixEnd(tc.p)
		if got != tc.want {
			t.Errorf("prefixEnd(%q) = %q, want %q", tc.p, got, tc.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("prefixEnd(%q) = %q is not valid UTF-8", tc.p, got)
		}
	}
	// Every string with the prefix sorts below the end, and the end does not
	// start with the prefix.
	for _, p := range []string{"run/", "a\u00ff", "x\U0010FFFF"} {
		end := prefixEnd(p)
		for _, s := range []string{p, p + "\x00", p + "\U0010FFFF\U0010FFFF", p + "zz"} {
			if end != "" && s >= end {
				t.Errorf("%q (prefix %q) sorts at or above the end %q", s, p, end)
			}
		}
		if strings.HasPrefix(end, p) {
			t.Errorf("prefixEnd(%q) = %q starts with the prefix", p, end)
		}
	}
}

func TestStorable(t *testing.T) {
	for s, want := range map[string]bool{"abc": true, "ü": true, "": true, "a\x00": false, "\xff": false} {
		if got := storable(s); got != want {
			t.Errorf("storable(%q) = %v, want %v", s, got, want)
		}
	}
}
