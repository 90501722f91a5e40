package findings

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name     string
		in       Finding
		want2021 []string
		want2025 []string
	}{
		{"xss", Finding{Category: SAST, CWE: []int{79}}, []string{"A03:2021"}, []string{"A05:2025"}},
		{"ssrf", Finding{Category: SAST, CWE: []int{918}}, []string{"A10:2021"}, []string{"A01:2025"}},
		{"cwe in two 2021 categories", Finding{Category: Secrets, CWE: []int{259}},
			[]string{"A02:2021", "A07:2021"}, []string{"A07:2025"}},
		{"several cwes, sorted and unique", Finding{Category: SAST, CWE: []int{89, 22, 79}},
			[]string{"A01:2021", "A03:2021"}, []string{"A01:2025", "A05:2025"}},
		{"unmapped cwe", Finding{Category: SAST, CWE: []int{99999}}, nil, nil},
		{"no cwe", Finding{Category: SAST}, nil, nil},
		{"vulnerable package without cwe", Finding{Category: Deps, Location: Location{Package: "lodash"}},
			[]string{"A06:2021"}, []string{"A03:2025"}},
		{"container package with cwe", Finding{Category: Container, CWE: []int{502}, Location: Location{Package: "openssl"}},
			[]string{"A06:2021", "A08:2021"}, []string{"A03:2025", "A08:2025"}},
		{"deps finding without a package is not a component", Finding{Category: Deps}, nil, nil},
		{"keeps categories already set", Finding{Category: DAST, CWE: []int{79}, OWASP2021: []string{"A05:2021"}},
			[]string{"A03:2021", "A05:2021"}, []string{"A05:2025"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.in
			Classify(&f)
			if diff := cmp.Diff(tt.want2021, f.OWASP2021); diff != "" {
				t.Errorf("OWASP2021 (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want2025, f.OWASP2025); diff != "" {
				t.Errorf("OWASP2025 (-want +got):\n%s", diff)
			}
			again := f
			Classify(&again)
			if !slices.Equal(again.OWASP2021, f.OWASP2021) || !slices.Equal(again.OWASP2025, f.OWASP2025) {
				t.Errorf("Classify is not idempotent: %v %v", again.OWASP2021, again.OWASP2025)
			}
		})
	}
}

func TestOWASPName(t *testing.T) {
	tests := map[string]string{
		"A03:2021":  "Injection",
		"a03:2021":  "Injection",
		"A03:2025":  "Software Supply Chain Failures",
		"A10:2025":  "Mishandling of Exceptional Conditions",
		"A06:2021":  "Vulnerable and Outdated Components",
		"A11:2021":  "",
		"":          "",
		"Injection": "",
	}
	for id, want := range tests {
		if got := OWASPName(id); got != want {
			t.Errorf("OWASPName(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestOWASPIDsCoverBothEditions(t *testing.T) {
	ids := OWASPIDs()
	if len(ids) != 20 || ids[0] != "A01:2021" || ids[19] != "A10:2025" {
		t.Fatalf("OWASPIDs() = %v, want A01:2021 … A10:2025 (20 ids)", ids)
	}
	if got := OWASPFor("2021", 798); !slices.Equal(got, []string{"A07:2021"}) {
		t.Errorf("OWASPFor(2021, 798) = %v", got)
	}
	if got := OWASPFor("2030", 79); got != nil {
		t.Errorf("OWASPFor(2030, 79) = %v, want nil", got)
	}
}

// The embedded file keeps its provenance line.
func TestEmbeddedMappingKeepsSource(t *testing.T) {
	var doc struct {
		Source string `json:"source"`
	}
	if err := json.Unmarshal(owaspData, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Source == "" {
		t.Fatal("data/owasp-top10-cwe.json lost its source line")
	}
}
