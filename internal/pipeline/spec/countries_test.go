package spec

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestCountriesMatchTZData checks the country list against the tz
// database's iso3166.tab, where the system has one.
func TestCountriesMatchTZData(t *testing.T) {
	f, err := os.Open("/usr/share/zoneinfo/iso3166.tab")
	if err != nil {
		t.Skipf("no tz database: %v", err)
	}
	defer f.Close()
	want := map[string]bool{"XK": true}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			want[strings.SplitN(line, "\t", 2)[0]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(isoCountries)
	if len(got) != len(want) {
		t.Errorf("%d codes, the tz database has %d (+ XK)", len(got), len(want)-1)
	}
	for _, cc := range got {
		if !want[cc] {
			t.Errorf("%s is not in iso3166.tab", cc)
		}
		if !isCountry(cc) {
			t.Errorf("isCountry(%q) = false", cc)
		}
	}
	for _, cc := range []string{"", "D", "de", "UK", "ZZ", "DEU", "D ", " D", "E "} {
		if isCountry(cc) {
			t.Errorf("isCountry(%q) = true", cc)
		}
	}
}
