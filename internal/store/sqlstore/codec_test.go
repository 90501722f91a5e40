package sqlstore

import (
	"database/sql"
	"strings"
	"testing"
	"time"
)

func TestSafeName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"build", "build"},
		{"test[go=1.22,os=linux]", "test[go=1.22,os=linux]"},
		{"a/b", "a%2Fb"},
		{"a b", "a%20b"},
		{"%41", "%2541"},
		{"..", "%2E."},
		{".hidden", "%2Ehidden"},
		{"v1.2", "v1.2"},
		{"", "%"},
		{"ü", "%C3%BC"},
		{`a\b:c*`, "a%5Cb%3Ac%2A"},
	} {
		if got := safeName(tc.in); got != tc.want {
			t.Errorf("safeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abc", "abd"},
		{"ab\xff", "ac"},
		{"\xff\xff", ""},
		{"", ""},
	} {
		got := prefixEnd(tc.in)
		if got != tc.want {
			t.Errorf("prefixEnd(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got != "" && (tc.in+"\xff\xff" >= got || got <= tc.in) {
			t.Errorf("prefixEnd(%q) = %q is not above every extension", tc.in, got)
		}
	}
}

func TestNewRunID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id, err := newRunID()
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != 10 || strings.Trim(id, "0123456789abcdef") != "" || allDigits(id) {
			t.Fatalf("bad run id %q", id)
		}
		if seen[id] {
			t.Fatalf("run id %q generated twice", id)
		}
		seen[id] = true
	}
}

func TestTimes(t *testing.T) {
	if got := nanos(time.Time{}); got != nil {
		t.Errorf("nanos(zero) = %v, want nil (NULL)", got)
	}
	local := time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	n, _ := nanos(local).(int64)
	back := fromNanos(sql.NullInt64{Int64: n, Valid: true})
	if !back.Equal(local) || back.Location() != time.UTC {
		t.Errorf("round trip of %v gave %v", local, back)
	}
}
