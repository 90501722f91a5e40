package compliance

import (
	"slices"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// Editions are the OWASP Top 10 editions the report shows.
var Editions = []string{"2021", "2025"}

// Matrix statuses of an OWASP Top 10 category.
const (
	// MatrixFindings: tested, with open findings in the category.
	MatrixFindings = "tested, findings"
	// MatrixClean: tested, no open findings (suppressed ones may remain).
	MatrixClean = "tested, clean"
	// MatrixNotTested: no scanner of the run is able to detect the
	// category, or none that is ran healthy.
	MatrixNotTested = "not tested"
)

// OWASPRow is one OWASP Top 10 category in a run.
type OWASPRow struct {
	// ID is the category id, "A03:2021"; Name its name, "Injection".
	ID   string `json:"id"`
	Name string `json:"name"`
	// TestedBy are the scanners that tested the category, sorted: those
	// that ran (status ran) and are able to detect it (Coverage), and
	// those with a finding in it in this run.
	TestedBy []string `json:"tested_by"`
	// Partial are the scanners of TestedBy that could not read every input.
	Partial []string `json:"partial,omitempty"`
	// Open counts the category's findings that nothing hides (open and
	// pre-existing ones); Suppressed those suppressed or inline-ignored.
	Open       Counts `json:"open"`
	Suppressed Counts `json:"suppressed"`
	Status     string `json:"status"`
}

// OWASPMatrix returns one row per OWASP Top 10 category of an edition
// ("2021" or "2025"), all ten in order, saying which scanners tested it,
// how many findings it has, open and suppressed, and its status. A finding
// counts in every category its CWEs (or its vulnerable package) map to.
// It returns nil for an edition the OWASP data does not have.
func OWASPMatrix(r *Report, edition string) []OWASPRow {
	var rows []OWASPRow
	index := map[string]int{}
	for _, id := range findings.OWASPIDs() {
		if len(editionOnly([]string{id}, edition)) == 1 {
			index[id] = len(rows)
			rows = append(rows, OWASPRow{ID: id, Name: findings.OWASPName(id)})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	tested := make([]map[string]bool, len(rows))
	for i := range tested {
		tested[i] = map[string]bool{}
	}
	partial := map[string]bool{}
	for _, h := range r.Scanners {
		if h.Status != scan.Ran {
			continue
		}
		partial[h.Scanner] = partial[h.Scanner] || h.Partial
		for _, id := range CoveredCategories(h.Scanner, edition) {
			if i, ok := index[id]; ok {
				tested[i][h.Scanner] = true
			}
		}
	}
	for _, row := range FindingRows(r) {
		for _, id := range categoriesOf(row.Finding, edition) {
			i, ok := index[id]
			if !ok {
				continue
			}
			for _, s := range scannersOf(row.Finding) {
				tested[i][s] = true
			}
			if row.Hidden() {
				rows[i].Suppressed.Add(row.Severity)
			} else {
				rows[i].Open.Add(row.Severity)
			}
		}
	}
	for i := range rows {
		rows[i].TestedBy = sortedKeys(tested[i])
		for _, s := range rows[i].TestedBy {
			if partial[s] {
				rows[i].Partial = append(rows[i].Partial, s)
			}
		}
		switch {
		case len(rows[i].TestedBy) == 0:
			rows[i].Status = MatrixNotTested
		case rows[i].Open.Total() > 0:
			rows[i].Status = MatrixFindings
		default:
			rows[i].Status = MatrixClean
		}
	}
	return rows
}

// categoriesOf returns the categories of an edition a finding belongs
// to: those it carries and those its CWEs and package map to.
func categoriesOf(f findings.Finding, edition string) []string {
	findings.Classify(&f) // f is a copy; Classify does not touch shared slices
	if edition == "2021" {
		return editionOnly(f.OWASP2021, edition)
	}
	return editionOnly(f.OWASP2025, edition)
}

// scannersOf returns every scanner that reported f, sorted; "unknown" when
// the finding names none.
func scannersOf(f findings.Finding) []string {
	set := map[string]bool{}
	if f.Scanner != "" {
		set[f.Scanner] = true
	}
	for _, s := range f.Sources {
		if s.Scanner != "" {
			set[s.Scanner] = true
		}
	}
	if len(set) == 0 {
		return []string{"unknown"}
	}
	return sortedKeys(set)
}

// sortedKeys returns the keys of a set, sorted; an empty slice, not nil,
// when there are none, so JSON shows [].
func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
