package web

import (
	"net/url"
	"strings"
	"time"
)

// apiApprovalEvidence is GET /api/v1/runs/{ref}/approvals/{env}/evidence:
// the findings diff against the baseline the environment's gate used, and
// the changes against the release live there.
type apiApprovalEvidence struct {
	Findings struct {
		All        apiSeverityCounts `json:"all"`
		Suppressed int               `json:"suppressed"`
		Baseline   *struct {
			Run    string `json:"run"`
			Number int64  `json:"number"`
		} `json:"baseline"`
		BaselineNote  string             `json:"baseline_note"`
		New           *apiSeverityCounts `json:"new"`
		Fixed         *apiSeverityCounts `json:"fixed"`
		FixedFindings []struct {
			Severity string `json:"severity"`
			Title    string `json:"title"`
		} `json:"fixed_findings"`
		NewFilter bool `json:"new_filter"`
	} `json:"findings"`
	Changes struct {
		Commit string `json:"commit"`
		Branch string `json:"branch"`
		Live   *struct {
			Version   string    `json:"version"`
			Since     time.Time `json:"since"`
			Run       string    `json:"run"`
			RunNumber int64     `json:"run_number"`
			Commit    string    `json:"commit"`
			Branch    string    `json:"branch"`
		} `json:"live"`
		LiveNote    string                             `json:"live_note"`
		SameCommit  bool                               `json:"same_commit"`
		Range       string                             `json:"range"`
		CompareURL  string                             `json:"compare_url"`
		Ahead       *int                               `json:"ahead"`
		Behind      *int                               `json:"behind"`
		Commits     []struct{ Commit, Subject string } `json:"commits"`
		CommitsNote string                             `json:"commits_note"`
	} `json:"changes"`
}

// apiSeverityCounts counts findings by severity.
type apiSeverityCounts struct {
	Total    int `json:"total"`
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

// countLink is a number of findings of a severity ("" for all of them)
// and the findings page filtered to them ("" when none lists them).
type countLink struct {
	N        int
	Severity string
	Href     string
}

// countsView is a count of findings and its severities that have any,
// most severe first.
type countsView struct {
	Total countLink
	By    []countLink
}

// evidenceView is what a request's card shows of its evidence beyond
// the gate decision.
type evidenceView struct {
	*apiApprovalEvidence
	// New, Fixed and All count the findings; New and Fixed are nil when
	// the baseline is unknown. New links to the findings page only when
	// it judges newness against the same baseline.
	New, Fixed *countsView
	All        countsView
	Suppressed countLink
	// From and To are the live release's commit and the run's, when the
	// API gave their range; Counted the commits between them, when the
	// server's mirror told; MoreCommits how many the run adds beyond
	// those listed.
	From, To    string
	Counted     *commitCounts
	MoreCommits int
}

// commitCounts are the commits a run has that the live release has not
// (Ahead), and the other way round.
type commitCounts struct{ Ahead, Behind int }

// newEvidenceView prepares ev of run for its card.
func newEvidenceView(run string, ev *apiApprovalEvidence) *evidenceView {
	page := "/runs/" + url.PathEscape(run) + "/findings"
	f := ev.Findings
	v := &evidenceView{apiApprovalEvidence: ev, All: f.All.view(page), Suppressed: countLink{N: f.Suppressed}}
	if f.Suppressed > 0 {
		v.Suppressed.Href = page + "?suppressed=yes"
	}
	if f.New != nil && f.Baseline != nil {
		base := ""
		if f.NewFilter {
			base = page + "?new=yes"
		}
		nv := f.New.view(base)
		v.New = &nv
	}
	if f.Fixed != nil && f.Baseline != nil {
		// Fixed findings are the baseline's, not the run's: no filter of
		// the findings page lists them; the card names them instead.
		fv := f.Fixed.view("")
		v.Fixed = &fv
	}
	c := ev.Changes
	if from, to, ok := strings.Cut(c.Range, ".."); ok {
		v.From, v.To = from, to
	}
	if c.Ahead != nil && c.Behind != nil {
		v.Counted = &commitCounts{Ahead: *c.Ahead, Behind: *c.Behind}
		v.MoreCommits = max(0, *c.Ahead-len(c.Commits))
	}
	return v
}

// view links the counts to base (the findings page, filtered) and to base
// filtered by each severity; base "" links nothing, nor does a count of 0.
func (c apiSeverityCounts) view(base string) countsView {
	link := func(n int, sev string) countLink {
		l := countLink{N: n, Severity: sev}
		switch {
		case base == "" || n == 0:
		case sev == "":
			l.Href = base
		case strings.Contains(base, "?"):
			l.Href = base + "&severity=" + sev
		default:
			l.Href = base + "?severity=" + sev
		}
		return l
	}
	out := countsView{Total: link(c.Total, "")}
	for _, s := range []struct {
		n   int
		sev string
	}{{c.Critical, "critical"}, {c.High, "high"}, {c.Medium, "medium"}, {c.Low, "low"}, {c.Info, "info"}} {
		if s.n > 0 {
			out.By = append(out.By, link(s.n, s.sev))
		}
	}
	return out
}
