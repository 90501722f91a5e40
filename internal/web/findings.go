package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
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
	// New is whether the finding is not in the baseline the run's gate
	// used; nil when unknown.
	New          *bool             `json:"new"`
	Suppressed   bool              `json:"suppressed"`
	SuppressedBy []apiSuppressedBy `json:"suppressed_by"`
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

// apiSuppressedBy is one thing that suppresses a finding, as the API says.
type apiSuppressedBy struct {
	Kind      string     `json:"kind"`
	ID        int64      `json:"id"`
	Source    string     `json:"source"`
	Owner     string     `json:"owner"`
	Reason    string     `json:"reason"`
	Expires   *time.Time `json:"expires"`
	CreatedBy string     `json:"created_by"`
}

// apiBaseline names the baseline the run's findings are new against.
type apiBaseline struct {
	Env    string `json:"env"`
	Run    string `json:"run"`
	Number int64  `json:"number"`
	From   string `json:"from"`
}

// severityRank orders severities, most severe first.
var severityRank = map[string]int{"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}

// findingFilter is the findings page's query: each field empty means any.
type findingFilter struct {
	Category, Severity, Scanner string
	// OWASP is a Top 10 category ("A03:2021"), or its number ("A03") in
	// either edition.
	OWASP string
	// New is "" (all), "yes" (not in the baseline) or "no".
	New string
	// Suppressed is "" (all), "yes" (suppressed in any way) or "no".
	Suppressed string
}

func (ff findingFilter) keep(f apiFinding) bool {
	switch {
	case ff.Category != "" && f.Category != ff.Category,
		ff.Severity != "" && f.Severity != ff.Severity,
		ff.Scanner != "" && f.Scanner != ff.Scanner,
		ff.OWASP != "" && !f.inOWASP(ff.OWASP),
		ff.New != "" && (f.New == nil || *f.New != (ff.New == "yes")),
		ff.Suppressed == "yes" && !f.isSuppressed(),
		ff.Suppressed == "no" && f.isSuppressed():
		return false
	}
	return true
}

// query is the filter as a URL query ("" when it filters nothing).
func (ff findingFilter) query() string {
	q := url.Values{}
	for k, v := range map[string]string{"category": ff.Category, "severity": ff.Severity, "scanner": ff.Scanner, "owasp": ff.OWASP,
		"new": ff.New, "suppressed": ff.Suppressed} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

// parseFilter reads the filter from a query; unknown yes/no values mean any.
func parseFilter(q url.Values) findingFilter {
	ff := findingFilter{Category: q.Get("category"), Severity: q.Get("severity"), Scanner: q.Get("scanner"),
		OWASP: strings.ToUpper(strings.TrimSpace(q.Get("owasp"))), New: q.Get("new"), Suppressed: q.Get("suppressed")}
	for _, v := range []*string{&ff.New, &ff.Suppressed} {
		if *v != "yes" && *v != "no" {
			*v = ""
		}
	}
	return ff
}

// NewKnown reports whether the API knows if f is new (the run's gate
// judged against a baseline); IsNew whether it is.
func (f apiFinding) NewKnown() bool { return f.New != nil }

// IsNew reports whether f is not in the baseline (false when unknown).
func (f apiFinding) IsNew() bool { return f.New != nil && *f.New }

// isSuppressed reports whether anything suppresses f.
func (f apiFinding) isSuppressed() bool { return f.Suppressed || f.InlineIgnored }

// SuppressedByStore reports whether a stored suppression hides f (then
// there is nothing to suppress again).
func (f apiFinding) SuppressedByStore() bool {
	for _, b := range f.SuppressedBy {
		if b.Kind == "stored" {
			return true
		}
	}
	return false
}

// inOWASP reports whether f is in category id ("A03:2021"), or in "A03"
// of either edition.
func (f apiFinding) inOWASP(id string) bool {
	for _, c := range f.owasp() {
		if c == id || strings.HasPrefix(c, id+":") {
			return true
		}
	}
	return false
}

func (f apiFinding) owasp() []string {
	return append(slices.Clone(f.OWASP2021), f.OWASP2025...)
}

// suppressForm is what a person typed into a finding's suppress form,
// given back when the API refused it.
type suppressForm struct {
	Fingerprint, Reason, Owner, Expires string
}

// findingItem is a finding as the page draws it.
type findingItem struct {
	apiFinding
	// DOMID makes the finding's form fields' ids unique.
	DOMID string
	// Form holds the values of its suppress form; Open opens its details
	// (after a refused suppression).
	Form suppressForm
	Open bool
}

type findingsView struct {
	Run    apiRun
	Filter findingFilter
	// Query is Filter as a URL query, for the forms to come back to.
	Query    string
	Findings []findingItem
	// Total counts the run's findings before filtering.
	Total int
	// The filters' choices, from the run's findings.
	Categories, Severities, Scanners, OWASP []string
	ScannerHealth                           []apiScannerHealth
	// Baseline is what "new" means, nil when the run's gate used none
	// (the new filter is not offered then).
	Baseline *apiBaseline
	// CanSuppress shows each finding's suppress form (and revoke
	// buttons): the key may findings:suppress in the run's project.
	// SuppressNote says why a key that may suppress cannot here.
	CanSuppress  bool
	SuppressNote string
	// Error is the API's refusal of the last suppression.
	Error string
	// The expiry field's bounds and default (YYYY-MM-DD), and the owner
	// the form proposes.
	MinExpiry, MaxExpiry, DefaultExpiry, Owner string
}

type apiScannerHealth struct {
	Scanner  string `json:"scanner"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Findings int    `json:"findings"`
	Ignored  int    `json:"ignored"`
}

// findingsPage lists a run's findings, filtered on the server by the
// query (?category=, ?severity=, ?scanner=, ?owasp=, ?new=yes|no,
// ?suppressed=yes|no), each with its detail in a <details> element: no
// script needed.
func (u *UI) findingsPage(w http.ResponseWriter, r *http.Request, s *session) {
	ref := r.PathValue("ref")
	if !refRE.MatchString(ref) {
		u.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no run "+ref+".")
		return
	}
	fv, err := u.findings(r, s, ref, parseFilter(r.URL.Query()))
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	u.page(w, r, s, http.StatusOK, "findings", "Findings of run #"+strconv.FormatInt(fv.Run.Number, 10), "runs", fv)
}

// findings reads a run's findings through the API and filters them.
func (u *UI) findings(r *http.Request, s *session, ref string, filter findingFilter) (*findingsView, error) {
	fv := &findingsView{Filter: filter, Query: filter.query()}
	if err := u.getJSON(r, s, apiPath("/api/v1/runs", ref), &fv.Run); err != nil {
		return nil, err
	}
	var out struct {
		Findings []apiFinding       `json:"findings"`
		Scanners []apiScannerHealth `json:"scanners"`
		Baseline *apiBaseline       `json:"baseline"`
	}
	if err := u.getJSON(r, s, apiPath("/api/v1/runs", fv.Run.ID)+"/findings", &out); err != nil {
		return nil, err
	}
	fv.Total, fv.ScannerHealth, fv.Baseline = len(out.Findings), out.Scanners, out.Baseline
	seen := map[string]bool{}
	for _, f := range out.Findings {
		choices := []struct {
			list *[]string
			v    string
		}{{&fv.Categories, "c:" + f.Category}, {&fv.Severities, "s:" + f.Severity}, {&fv.Scanners, "n:" + f.Scanner}}
		for _, o := range f.owasp() {
			choices = append(choices, struct {
				list *[]string
				v    string
			}{&fv.OWASP, "o:" + strings.ToUpper(o)})
		}
		for _, c := range choices {
			if c.v[2:] != "" && !seen[c.v] {
				seen[c.v] = true
				*c.list = append(*c.list, c.v[2:])
			}
		}
		if fv.Filter.keep(f) {
			fv.Findings = append(fv.Findings, findingItem{apiFinding: f, DOMID: domID(f.Fingerprint)})
		}
	}
	slices.Sort(fv.Categories)
	slices.Sort(fv.Scanners)
	slices.Sort(fv.OWASP)
	slices.SortFunc(fv.Severities, func(a, b string) int { return severityRank[a] - severityRank[b] })
	slices.SortStableFunc(fv.Findings, func(a, b findingItem) int { return severityRank[a.Severity] - severityRank[b.Severity] })

	may := s.can(auth.SuppressFinding, fv.Run.Project, "")
	fv.CanSuppress = may && fv.Run.Project != ""
	if may && fv.Run.Project == "" {
		fv.SuppressNote = "This run belongs to no project: suppress its findings with sluice suppressions add on its data folder."
	}
	today := u.o.Now().UTC()
	fv.MinExpiry = today.Format(time.DateOnly)
	fv.MaxExpiry = today.AddDate(0, 0, maxSuppressDays).Format(time.DateOnly)
	fv.DefaultExpiry = today.AddDate(0, 0, defaultSuppressDays).Format(time.DateOnly)
	fv.Owner = s.user
	for i := range fv.Findings {
		fv.Findings[i].Form = suppressForm{Fingerprint: fv.Findings[i].Fingerprint, Owner: fv.Owner, Expires: fv.DefaultExpiry}
	}
	return fv, nil
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
