package findings

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// owaspData is the CWE mapping of each OWASP Top 10 category, 2021 and
// 2025 editions, taken from the "List of Mapped CWEs" section of each
// category in the OWASP Top 10 documents (its "source" line says so).
//
//go:embed data/owasp-top10-cwe.json
var owaspData []byte

// taxonomy is owaspData decoded once.
type taxonomy struct {
	// names maps a category id ("A03:2021") to its name ("Injection").
	names map[string]string
	// byCWE maps a CWE id to the categories of each edition it belongs to,
	// sorted; a CWE may sit in several categories of one edition (CWE-259 is
	// in A02:2021 and A07:2021).
	byCWE map[string]map[int][]string
}

var (
	taxOnce sync.Once
	tax     *taxonomy
	taxErr  error
)

// loadTaxonomy decodes the embedded mapping on first use.
func loadTaxonomy() (*taxonomy, error) {
	taxOnce.Do(func() {
		var doc struct {
			Editions map[string]map[string]struct {
				Name string `json:"name"`
				CWEs []int  `json:"cwes"`
			} `json:"editions"`
		}
		if err := json.Unmarshal(owaspData, &doc); err != nil {
			taxErr = fmt.Errorf("decode embedded OWASP Top 10 mapping: %w", err)
			return
		}
		t := &taxonomy{names: map[string]string{}, byCWE: map[string]map[int][]string{}}
		for edition, cats := range doc.Editions {
			m := map[int][]string{}
			for id, c := range cats {
				t.names[id] = c.Name
				for _, cwe := range c.CWEs {
					m[cwe] = append(m[cwe], id)
				}
			}
			for cwe := range m {
				slices.Sort(m[cwe])
			}
			t.byCWE[edition] = m
		}
		tax = t
	})
	return tax, taxErr
}

// The categories about vulnerable third-party components, which every
// dependency and container package vulnerability belongs to whatever its
// CWE (A06:2021 "Vulnerable and Outdated Components", A03:2025 "Software
// Supply Chain Failures").
const (
	componentsOWASP2021 = "A06:2021"
	componentsOWASP2025 = "A03:2025"
)

// Classify fills f.OWASP2021 and f.OWASP2025 from f.CWE with the OWASP Top
// 10 mapping: every category any of the CWEs maps to, sorted, merged with
// the categories already set. A vulnerable package (a deps or container
// finding naming a package) also gets the vulnerable-components category
// of each edition. CWEs outside the mapping add nothing.
func Classify(f *Finding) {
	t, err := loadTaxonomy()
	if err != nil {
		// The mapping is embedded and tested; a decode failure cannot
		// happen in a built binary, and classification is best effort.
		return
	}
	o21 := slices.Clone(f.OWASP2021)
	o25 := slices.Clone(f.OWASP2025)
	for _, cwe := range f.CWE {
		o21 = append(o21, t.byCWE["2021"][cwe]...)
		o25 = append(o25, t.byCWE["2025"][cwe]...)
	}
	if (f.Category == Deps || f.Category == Container) && f.Location.Package != "" {
		o21 = append(o21, componentsOWASP2021)
		o25 = append(o25, componentsOWASP2025)
	}
	f.OWASP2021 = sortedUnique(o21)
	f.OWASP2025 = sortedUnique(o25)
}

// OWASPFor returns the OWASP Top 10 categories of one edition ("2021" or
// "2025") that a CWE maps to, sorted; nil when none.
func OWASPFor(edition string, cwe int) []string {
	t, err := loadTaxonomy()
	if err != nil {
		return nil
	}
	return slices.Clone(t.byCWE[edition][cwe])
}

// OWASPName returns the name of an OWASP Top 10 category ("A03:2021" →
// "Injection"), or "" for an unknown id. The id is matched
// case-insensitively.
func OWASPName(id string) string {
	t, err := loadTaxonomy()
	if err != nil {
		return ""
	}
	return t.names[strings.ToUpper(strings.TrimSpace(id))]
}

// OWASPIDs returns every category id of the mapping, sorted ("A01:2021" …
// "A10:2025").
func OWASPIDs() []string {
	t, err := loadTaxonomy()
	if err != nil {
		return nil
	}
	ids := make([]string, 0, len(t.names))
	for id := range t.names {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// sortedUnique sorts s and drops duplicates and empty strings; nil when
// nothing is left.
func sortedUnique(s []string) []string {
	out := slices.DeleteFunc(slices.Clone(s), func(v string) bool { return v == "" })
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return out
}
