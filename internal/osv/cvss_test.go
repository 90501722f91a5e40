package osv

import "testing"

func TestCVSS3Score(t *testing.T) {
	tests := []struct {
		vector string
		want   float64
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8},
		{"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2},
		{"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
		// Temporal metrics are ignored.
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", 9.8},
	}
	for _, tc := range tests {
		got, err := CVSS3Score(tc.vector)
		if err != nil {
			t.Errorf("CVSS3Score(%s): %v", tc.vector, err)
			continue
		}
		if got != tc.want {
			t.Errorf("CVSS3Score(%s) = %v, want %v", tc.vector, got, tc.want)
		}
	}
}

func TestCVSS3ScoreRejects(t *testing.T) {
	for _, v := range []string{
		"",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
		"AV:N/AC:L/Au:N/C:P/I:P/A:P",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H",          // no scope
		"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",      // bad value
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",          // missing A
		"CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", // twice
		"CVSS:3.1/AVN",
	} {
		if s, err := CVSS3Score(v); err == nil {
			t.Errorf("CVSS3Score(%q) = %v, want an error", v, s)
		}
	}
}

func TestRoundUp31(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{4.0, 4.0}, {4.000000001, 4.0}, {4.02, 4.1}, {4.1, 4.1}, {0.01, 0.1}, {9.99, 10},
	} {
		if got := roundUp31(tc.in); got != tc.want {
			t.Errorf("roundUp31(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
