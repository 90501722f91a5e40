package compliance

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteMarkdown writes r as a Markdown document (CommonMark with GitHub
// tables): summary, gate decisions, the OWASP Top 10 matrices, findings,
// scanners, approvals, audit trail and GDPR checklist. Text from the run
// is escaped so that it cannot add Markdown structure or raw HTML.
func WriteMarkdown(w io.Writer, r *Report) error {
	if r == nil {
		return errNilReport
	}
	v := newView(r)
	b := bufio.NewWriter(w)
	m := &mdWriter{w: b}
	m.header(v)
	m.summary(v)
	m.decisions(v)
	m.matrices(v)
	m.findings(v)
	m.scanners(v)
	m.approvals(v)
	m.audit(v)
	m.checklist(v)
	if err := b.Flush(); err != nil {
		return fmt.Errorf("write compliance report as Markdown: %w", err)
	}
	return nil
}

// mdWriter writes Markdown; bufio.Writer keeps the first write error, which
// WriteMarkdown returns from Flush.
type mdWriter struct{ w *bufio.Writer }

func (m *mdWriter) line(format string, args ...any) {
	fmt.Fprintf(m.w, format, args...)
	m.w.WriteByte('\n')
}

func (m *mdWriter) table(header []string, rows [][]string) {
	m.line("| %s |", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---"
	}
	m.line("| %s |", strings.Join(seps, " | "))
	for _, r := range rows {
		m.line("| %s |", strings.Join(r, " | "))
	}
	m.line("")
}

func (m *mdWriter) header(v *view) {
	m.line("# %s", md(v.Title))
	m.line("")
	m.line("Generated %s by %s.", stamp(v.R.GeneratedAt), md(orNone(v.R.Tool)))
	m.line("")
}

func (m *mdWriter) summary(v *view) {
	run, s := v.R.Run, v.Summary
	m.line("## Summary")
	m.line("")
	m.table([]string{"Run", "Value"}, [][]string{
		{"Number", md(fmt.Sprintf("#%d", run.Number)) + " " + code(run.ID)},
		{"Pipeline", md(orNone(run.Pipeline))},
		{"Commit", code(run.Commit) + " on " + md(orNone(run.Branch))},
		{"Trigger", md(orNone(run.Event)) + " by " + md(orNone(run.Actor))},
		{"Status", md(orNone(run.Status))},
		{"Started", stamp(run.StartedAt)},
		{"Finished", stamp(run.FinishedAt)},
		{"Open findings", s.Open.String()},
		{"Other findings", fmt.Sprintf("%d pre-existing (counted as open), %d suppressed, %d inline-ignored, %d in all",
			s.PreExisting, s.Suppressed, s.InlineIgnored, s.Total)},
		{"Scanners", fmt.Sprintf("%d ran, %d skipped, %d failed", s.ScannersRan, s.ScannersSkipped, s.ScannersFailed)},
		{"Audit chain", md(s.Audit)},
	})
	m.line("### Outcome per environment")
	m.line("")
	if len(s.Outcomes) == 0 {
		m.line("No gate decisions recorded.")
		m.line("")
	} else {
		var rows [][]string
		for _, o := range s.Outcomes {
			rows = append(rows, []string{md(o.Env), "**" + md(outcomeLabel(o.Outcome, o.Simulated)) + "**",
				strconv.Itoa(o.Blocking), stamp(o.DecidedAt)})
		}
		m.table([]string{"Environment", "Outcome", "Blocking findings", "Decided"}, rows)
	}
	if len(run.Jobs) > 0 {
		m.line("### Jobs")
		m.line("")
		var rows [][]string
		for _, j := range run.Jobs {
			rows = append(rows, []string{md(j.ID), md(j.Status), md(j.Reason)})
		}
		m.table([]string{"Job", "Status", "Reason"}, rows)
	}
}

func (m *mdWriter) decisions(v *view) {
	m.line("## Gate decisions")
	m.line("")
	if len(v.Decisions) == 0 {
		m.line("No gate decisions recorded.")
		m.line("")
		return
	}
	for _, d := range v.Decisions {
		m.line("### %d. %s: %s", d.N, md(d.Env), md(outcomeLabel(d.Outcome, d.Simulated)))
		m.line("")
		m.line("Decided %s by %s.", stamp(d.DecidedAt), md(orNone(d.Actor)))
		m.line("")
		if len(d.Digests) > 0 {
			m.line("Evidence:")
			m.line("")
			for _, kv := range d.Digests {
				m.line("- %s: %s", md(kv.Key), code(kv.Value))
			}
			m.line("")
		}
		if len(d.Reasons) > 0 {
			m.line("Reasons:")
			m.line("")
			for _, r := range d.Reasons {
				m.line("- **%s** (%s): %s", md(string(r.Effect)), md(r.Kind), md(r.Message))
			}
			m.line("")
		}
		if len(d.Blocking) > 0 {
			var rows [][]string
			for _, j := range d.Blocking {
				rows = append(rows, []string{severityName(j.Severity), md(j.RuleID), md(j.Where), md(j.Title), md(j.Why)})
			}
			m.line("Blocking findings:")
			m.line("")
			m.table([]string{"Severity", "Rule", "Location", "Title", "Why"}, rows)
		}
		m.line("Judged: %d. Suppressed: %d. Pre-existing: %d. Unfixable (not judged): %d. Stale suppressions: %d. Expired suppressions: %d.",
			d.Judged, len(d.Suppressed), len(d.PreExisting), len(d.Unfixable), len(d.Stale), len(d.Expired))
		m.line("")
	}
}

func (m *mdWriter) matrices(v *view) {
	for _, mv := range v.Matrices {
		m.line("## OWASP Top 10 %s", mv.Edition)
		m.line("")
		var rows [][]string
		for _, r := range mv.Rows {
			tested := md(strings.Join(r.TestedBy, ", "))
			if len(r.Partial) > 0 {
				tested += " (partial: " + md(strings.Join(r.Partial, ", ")) + ")"
			}
			rows = append(rows, append(append([]string{r.ID, md(r.Name), r.Status, tested}, r.Open.cells()...),
				strconv.Itoa(r.Suppressed.Total())))
		}
		m.table([]string{"Category", "Name", "Status", "Tested by", "Critical", "High", "Medium", "Low", "Info", "Suppressed"}, rows)
	}
}

func (m *mdWriter) findings(v *view) {
	m.line("## Findings")
	m.line("")
	if len(v.Findings) == 0 {
		m.line("No findings.")
		m.line("")
		return
	}
	var rows [][]string
	for _, f := range v.Findings {
		rows = append(rows, []string{severityName(f.Severity), md(string(f.Category)), md(f.RuleID), md(f.Where),
			md(f.OWASP), f.Status, md(f.Title)})
	}
	m.table([]string{"Severity", "Category", "Rule", "Location", "OWASP", "Status", "Title"}, rows)
}

func (m *mdWriter) scanners(v *view) {
	m.line("## Scanners")
	m.line("")
	if len(v.Scanners) == 0 {
		m.line("No scanner health recorded.")
		m.line("")
		return
	}
	var rows [][]string
	for _, h := range v.Scanners {
		rows = append(rows, []string{md(h.Scanner), md(string(h.Status)), strconv.Itoa(h.Files), strconv.Itoa(h.Findings),
			duration(h.Duration), md(healthNote(h))})
	}
	m.table([]string{"Scanner", "Status", "Files", "Findings", "Duration", "Notes"}, rows)
}

func (m *mdWriter) approvals(v *view) {
	m.line("## Approvals")
	m.line("")
	if len(v.R.Approvals) == 0 {
		m.line("None recorded.")
		m.line("")
		return
	}
	var rows [][]string
	for _, a := range v.R.Approvals {
		rows = append(rows, []string{md(a.Env), md(a.Approver), md(a.Verdict), stamp(a.At), md(a.Comment)})
	}
	m.table([]string{"Environment", "Approver", "Verdict", "At", "Comment"}, rows)
}

func (m *mdWriter) audit(v *view) {
	m.line("## Audit trail")
	m.line("")
	m.line("Chain: %s.", md(v.Summary.Audit))
	m.line("")
	if len(v.R.Audit.Entries) == 0 {
		return
	}
	var rows [][]string
	for _, e := range v.R.Audit.Entries {
		rows = append(rows, []string{strconv.FormatInt(e.Seq, 10), stamp(e.Time), md(e.Actor), md(e.Action),
			md(e.Subject), md(e.Detail), code(e.Hash)})
	}
	m.table([]string{"Seq", "Time", "Actor", "Action", "Subject", "Detail", "Hash"}, rows)
}

func (m *mdWriter) checklist(v *view) {
	m.line("## GDPR checklist")
	m.line("")
	m.line("Pass means the run's record shows it; manual means a person has to check.")
	m.line("")
	var rows [][]string
	for _, c := range v.Checklist {
		rows = append(rows, []string{md(c.Title), "**" + c.Status + "**", md(c.Evidence)})
	}
	m.table([]string{"Item", "Status", "Evidence"}, rows)
}

// mdEscaper escapes what would add structure to a table cell or a line:
// Markdown punctuation, pipes, and angle brackets (raw HTML); line breaks
// become spaces.
var mdEscaper = strings.NewReplacer(
	"\\", "\\\\", "|", "\\|", "`", "\\`", "*", "\\*", "[", "\\[", "]", "\\]",
	"<", "&lt;", ">", "&gt;", "\r\n", " ", "\n", " ", "\r", " ",
)

// md escapes run text for Markdown.
func md(s string) string { return mdEscaper.Replace(s) }

// code writes s as a code span, or escaped text when it holds a backtick
// or a line break; "none" when it is empty.
func code(s string) string {
	if s == "" {
		return "none"
	}
	if strings.ContainsAny(s, "`\r\n") {
		return md(s)
	}
	return "`" + s + "`"
}
