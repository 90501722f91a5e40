package external

import "testing"

func TestFixFor(t *testing.T) {
	for _, c := range []struct {
		installed string
		fixes     []string
		want      string
	}{
		{"1.2.5", []string{"0.2.4", "1.2.6"}, "1.2.6"},
		{"0.2.1", []string{"0.2.4", "1.2.6"}, "0.2.4"},
		{"1.2.5", []string{"1.2.6, 0.2.4"}, "1.2.6"},
		{"1.26.4", []string{"1.26.17", "2.0.6"}, "1.26.17"},
		{"2.2.0", []string{"2.2.24", "3.1.12", "3.2.4"}, "2.2.24"},
		{"2.36-9+deb12u4", []string{"2.36-9+deb12u6"}, "2.36-9+deb12u6"},
		{"9.0", []string{"1.0", "2.0"}, "1.0"}, // nothing above: the first
		{"", []string{"3.0", "2.0"}, "2.0"},
		{"1.0", nil, ""},
		{"1.0", []string{" , "}, ""},
	} {
		if got := fixFor(c.installed, c.fixes); got != c.want {
			t.Errorf("fixFor(%q, %q) = %q, want %q", c.installed, c.fixes, got, c.want)
		}
	}
}
