package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// apiFinding is a finding as GET /api/v1/runs/{ref}/findings shows it.
type apiFinding struct {
	Fingerprint string   `json:"fingerprint"`
	Scanner     string   `json:"scanner"`
	RuleID      string   `json:"rule_id"`
	RuleName    string   `json:"rule_name"`
	Category    string   `json:"category"`
	Severity    string   `json:"severity"`
	Title       string   `json:"title"`
	Message     string   `json:"message"`
	CWE         []int    `json:"cwe"`
	OWASP2021   []string `json:"owasp_2021"`
	OWASP2025   []string `json:"owasp_2025"`
	Location    struct {
		Path      string `json:"path"`
		StartLine int    `json:"start_line"`
		Package   string `json:"package"`
		Version   string `json:"version"`
		Image     string `json:"image"`
		Resource  string `json:"resource"`
		URL       string `json:"url"`
		Method    string `json:"method"`
	} `json:"location"`
	Snippet       string            `json:"snippet"`
	Fix           string            `json:"fix"`
	FixedVersion  string            `json:"fixed_version"`
	Aliases       []string          `json:"aliases"`
	References    []string          `json:"references"`
	InlineIgnored bool              `json:"inline_ignored"`
	Properties    map[string]string `json:"properties"`
}

// Where says where a finding is in one line: a file and line, a package
// at a version, an image, a resource or a URL.
func (f apiFinding) Where() string {
	l := f.Location
	var parts []string
	file := l.Path
	if file != "" && l.StartLine > 0 {
		file += ":" + strconv.Itoa(l.StartLine)
	}
	if l.Package != "" {
		pkg := l.Package
		if l.Version != "" {
			pkg += "@" + l.Version
		}
		parts = append(parts, pkg)
	}
	if l.Image != "" {
		parts = append(parts, "in "+l.Image)
	}
	if file != "" {
		parts = append(parts, file)
	}
	if l.Resource != "" {
		parts = append(parts, "("+l.Resource+")")
	}
	if l.URL != "" {
		parts = append(parts, strings.TrimSpace(strings.ToUpper(l.Method)+" "+l.URL))
	}
	return strings.Join(parts, " ")
}

// severityRank orders severities, most severe first.
var severityRank = map[string]int{"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}

// findingFilter is the findings page's query: each field empty means any.
type findingFilter struct {
	Category, Severity, Scanner string
	// Suppressed is "" (all), "yes" (inline-ignored only) or "no".
	Suppressed string
}

func (ff findingFilter) keep(f apiFinding) bool {
	switch {
	case ff.Category != "" && f.Category != ff.Category,
		ff.Severity != "" && f.Severity != ff.Severity,
		ff.Scanner != "" && f.Scanner != ff.Scanner,
		ff.Suppressed == "yes" && !f.InlineIgnored,
		ff.Suppressed == "no" && f.InlineIgnored:
		return false
	}
	return true
}

type findingsView struct {
	Run      apiRun
	Filter   findingFilter
	Findings []apiFinding
	// Total counts the run's findings before filtering.
	Total int
	// The filters' choices, from the run's findings.
	Categories, Severities, Scanners []string
	ScannerHealth                    []apiScannerHealth
}

type apiScannerHealth struct {
	Scanner  string `json:"scanner"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Findings int    `json:"findings"`
	Ignored  int    `json:"ignored"`
}

// findingsPage lists a run's findings, filtered on the server by the
// query (?category=, ?severity=, ?scanner=, ?suppressed=yes|no), each with
// its detail in a <details> element: no script needed.
func (u *UI) findingsPage(w http.ResponseWriter, r *http.Request, s *session) {
	ref := r.PathValue("ref")
	if !refRE.MatchString(ref) {
		u.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no run "+ref+".")
		return
	}
	var fv findingsView
	base := apiPath("/api/v1/runs", ref)
	if err := u.getJSON(r, s, base, &fv.Run); err != nil {
		u.fail(w, r, s, err)
		return
	}
	var out struct {
		Findings []apiFinding       `json:"findings"`
		Scanners []apiScannerHealth `json:"scanners"`
	}
	if err := u.getJSON(r, s, apiPath("/api/v1/runs", fv.Run.ID)+"/findings", &out); err != nil {
		u.fail(w, r, s, err)
		return
	}
	q := r.URL.Query()
	fv.Filter = findingFilter{Category: q.Get("category"), Severity: q.Get("severity"), Scanner: q.Get("scanner"), Suppressed: q.Get("suppressed")}
	if fv.Filter.Suppressed != "yes" && fv.Filter.Suppressed != "no" {
		fv.Filter.Suppressed = ""
	}
	fv.Total, fv.ScannerHealth = len(out.Findings), out.Scanners
	seen := map[string]bool{}
	for _, f := range out.Findings {
		for _, c := range []struct {
			list *[]string
			v    string
		}{{&fv.Categories, "c:" + f.Category}, {&fv.Severities, "s:" + f.Severity}, {&fv.Scanners, "n:" + f.Scanner}} {
			if c.v[2:] != "" && !seen[c.v] {
				seen[c.v] = true
				*c.list = append(*c.list, c.v[2:])
			}
		}
		if fv.Filter.keep(f) {
			fv.Findings = append(fv.Findings, f)
		}
	}
	slices.Sort(fv.Categories)
	slices.Sort(fv.Scanners)
	slices.SortFunc(fv.Severities, func(a, b string) int { return severityRank[a] - severityRank[b] })
	slices.SortStableFunc(fv.Findings, func(a, b apiFinding) int { return severityRank[a.Severity] - severityRank[b.Severity] })
	u.page(w, r, s, http.StatusOK, "findings", "Findings of run #"+strconv.FormatInt(fv.Run.Number, 10), "runs", fv)
}

// severityClass colours a severity (its name is always shown beside it).
func severityClass(sev string) string {
	switch sev {
	case "critical", "high":
		return "rel-bad"
	case "medium":
		return "rel-wait"
	}
	return "rel-old"
}
