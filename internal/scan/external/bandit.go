package external

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// banditReport is `bandit -f json`: results, and errors for files Bandit
// could not scan.
type banditReport struct {
	Results     []json.RawMessage `json:"results"`
	Errors      []banditError     `json:"errors"`
	GeneratedAt *string           `json:"generated_at"`
}

type banditError struct {
	Filename string `json:"filename"`
	Reason   string `json:"reason"`
}

type banditResult struct {
	TestID          string `json:"test_id"`
	TestName        string `json:"test_name"`
	Filename        string `json:"filename"`
	LineNumber      int    `json:"line_number"`
	LineRange       []int  `json:"line_range"`
	ColOffset       *int   `json:"col_offset"`
	EndColOffset    *int   `json:"end_col_offset"`
	Code            string `json:"code"`
	IssueText       string `json:"issue_text"`
	IssueSeverity   string `json:"issue_severity"`
	IssueConfidence string `json:"issue_confidence"`
	IssueCWE        *struct {
		ID   number `json:"id"`
		Link string `json:"link"`
	} `json:"issue_cwe"`
	MoreInfo string `json:"more_info"`
}

// importBandit reads Bandit's JSON report. Severity is Bandit's
// issue_severity as is (HIGH high, MEDIUM medium, LOW low, UNDEFINED
// info); its confidence is kept in Properties["confidence"]. The CWE is
// Bandit's issue_cwe (1.7.3 and later), else the CWE Bandit assigns to the
// test id, so older Bandits (Debian's 1.6) classify the same. The snippet
// is the code of the reported lines without Bandit's line numbers.
func importBandit(data []byte, res *result) error {
	var rep banditReport
	if err := decode(data, &rep); err != nil {
		return err
	}
	if rep.Results == nil && rep.GeneratedAt == nil {
		return errors.New(`no "results" member: not a Bandit JSON report`)
	}
	for _, e := range rep.Errors {
		res.note(res.relPath(e.Filename), firstOf(e.Reason, "could not scan"))
	}
	each(res, "results", rep.Results, func(_ int, b *banditResult) error {
		if b.TestID == "" {
			return errors.New("no test_id")
		}
		f := findings.Finding{
			RuleID:     b.TestID,
			RuleName:   b.TestName,
			Category:   findings.SAST,
			Title:      firstOf(b.IssueText, b.TestName, b.TestID),
			References: uniq(b.MoreInfo),
			Properties: map[string]string{},
		}
		f.Severity, _ = severityWord(b.IssueSeverity)
		if c := strings.ToLower(b.IssueConfidence); c != "" && c != "undefined" {
			f.Properties["confidence"] = c
		}
		if b.IssueCWE != nil && b.IssueCWE.ID.Int() > 0 {
			f.CWE = []int{b.IssueCWE.ID.Int()}
		} else if n, ok := banditCWE[b.TestID]; ok {
			f.CWE = []int{n}
		}
		l := &f.Location
		l.Path = res.relPath(b.Filename)
		l.StartLine, l.EndLine = b.LineNumber, b.LineNumber
		for _, n := range b.LineRange {
			if n > 0 && (l.StartLine == 0 || n < l.StartLine) {
				l.StartLine = n
			}
			l.EndLine = max(l.EndLine, n)
		}
		if b.ColOffset != nil && *b.ColOffset >= 0 {
			l.StartCol = *b.ColOffset + 1
		}
		if b.EndColOffset != nil && *b.EndColOffset >= 0 && l.StartLine == l.EndLine {
			l.EndCol = *b.EndColOffset + 1
		}
		f.Snippet = banditSnippet(b.Code, b.LineNumber, l.StartLine, l.EndLine)
		if len(f.Properties) == 0 {
			f.Properties = nil
		}
		res.add(f)
		return nil
	})
	return nil
}

// banditSnippet keeps the reported lines of Bandit's code excerpt (which
// carries a line of context around them, each line prefixed with its
// number) without the numbers, so the snippet does not change when lines
// shift.
func banditSnippet(code string, line, start, end int) string {
	if start == 0 {
		start, end = line, line
	}
	var kept []string
	for raw := range strings.SplitSeq(strings.TrimRight(code, "\n"), "\n") {
		num, rest, ok := strings.Cut(raw, " ")
		n := 0
		for _, c := range num {
			if c < '0' || c > '9' {
				ok = false
				break
			}
			n = n*10 + int(c-'0')
			if n > 1e8 {
				ok = false
				break
			}
		}
		if !ok || num == "" {
			return clip(strings.TrimRight(code, "\n"), maxText)
		}
		if n >= start && n <= end {
			kept = append(kept, rest)
		}
	}
	return clip(strings.Join(kept, "\n"), maxText)
}

// banditCWE is the CWE Bandit itself assigns to each of its tests (the
// issue_cwe of Bandit 1.7.3 and later), for reports that lack it.
var banditCWE = map[string]int{
	"B101": 703, "B102": 78, "B103": 732, "B104": 605, "B105": 259, "B106": 259,
	"B107": 259, "B108": 377, "B110": 703, "B112": 703, "B113": 400, "B201": 94,
	"B202": 22, "B301": 502, "B302": 502, "B303": 327, "B304": 327, "B305": 327,
	"B306": 377, "B307": 78, "B308": 79, "B310": 22, "B311": 330, "B312": 319,
	"B313": 20, "B314": 20, "B315": 20, "B316": 20, "B317": 20, "B318": 20,
	"B319": 20, "B320": 20, "B321": 319, "B323": 295, "B324": 327, "B401": 319,
	"B402": 319, "B403": 502, "B404": 78, "B405": 20, "B406": 20, "B407": 20,
	"B408": 20, "B409": 20, "B410": 20, "B411": 20, "B412": 319, "B413": 327,
	"B415": 327, "B501": 295, "B502": 327, "B503": 327, "B504": 327, "B505": 326,
	"B506": 20, "B507": 295, "B508": 319, "B509": 319, "B601": 78, "B602": 78,
	"B603": 78, "B604": 78, "B605": 78, "B606": 78, "B607": 78, "B608": 89,
	"B609": 78, "B610": 89, "B611": 89, "B612": 94, "B613": 838, "B614": 502,
	"B615": 494, "B701": 94, "B702": 80, "B703": 80, "B704": 80,
}
