package scanreport

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// Column limits of the table; longer cells are cut with "…".
const (
	maxRule     = 48
	maxLocation = 60
	maxTitle    = 80
	maxReason   = 70
	// maxInputErrors caps the input errors listed under the scanners.
	maxInputErrors = 20
)

// ANSI colours, used only when asked for.
const (
	reset  = "\x1b[0m"
	bold   = "\x1b[1m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	green  = "\x1b[32m"
	cyan   = "\x1b[36m"
	dim    = "\x1b[2m"
)

var severityColor = map[findings.Severity]string{
	findings.Critical: bold + red, findings.High: red, findings.Medium: yellow,
	findings.Low: cyan, findings.Info: dim,
}

var statusColor = map[scan.Status]string{scan.Ran: green, scan.Skipped: yellow, scan.Failed: red}

// TableOptions tunes WriteTableOptions.
type TableOptions struct {
	// Color colours severities and statuses with ANSI escapes.
	Color bool
	// ShowIgnored lists the findings an inline marker turned off
	// (InlineIgnored) in a table of their own, after the open ones;
	// without it, one line counts them and names the --show-ignored flag
	// of sluice scan.
	ShowIgnored bool
}

// WriteTable writes the scan as WriteTableOptions does, without listing
// inline-ignored findings.
func WriteTable(w io.Writer, fs []findings.Finding, health []scan.Health, color bool) error {
	return WriteTableOptions(w, fs, health, TableOptions{Color: color})
}

// WriteTableOptions writes the scan for a person at a terminal: a table of
// the open findings (severity, rule, location, title) in the order given;
// the inline-ignored ones, counted in a line or, with opts.ShowIgnored,
// listed in a table of their own under a heading that marks them; a table
// of scanners (status and reason, files, findings, duration) sorted by
// name; the input errors scanners met; and a summary line, which counts
// inline-ignored findings apart. With opts.Color, severities and statuses
// are coloured with ANSI escapes. Control characters in cells (from
// imported reports) are replaced, so a report cannot drive the terminal.
func WriteTableOptions(w io.Writer, fs []findings.Finding, health []scan.Health, opts TableOptions) error {
	color := opts.Color
	tw := &errWriter{w: w}
	open := findings.Open(fs)
	var ignored []findings.Finding
	if len(open) < len(fs) {
		for _, f := range fs {
			if f.InlineIgnored {
				ignored = append(ignored, f)
			}
		}
	}
	switch {
	case len(open) > 0:
		findingsTable(open).write(tw, color)
	case len(ignored) > 0:
		tw.line("No open findings.")
	default:
		tw.line("No findings.")
	}
	if n := len(ignored); n > 0 {
		tw.line("")
		if opts.ShowIgnored {
			tw.line(fmt.Sprintf("%d finding%s ignored inline (sluice:ignore), not counted:", n, plural(n)))
			findingsTable(ignored).write(tw, color)
		} else {
			tw.line(fmt.Sprintf("%d finding%s ignored inline (sluice:ignore); --show-ignored lists %s", n, plural(n), pronoun(n)))
		}
	}
	hs := sortedHealth(health)
	if len(hs) > 0 {
		tw.line("")
		t := table{header: []string{"SCANNER", "STATUS", "FILES", "FINDINGS", "DURATION"}, right: []bool{false, false, true, true, true}}
		for _, h := range hs {
			t.add([]cell{
				{text: clean(h.Scanner)},
				{text: cut(clean(status(h)), maxReason), color: statusColor[h.Status]},
				{text: files(h)},
				{text: findingCount(h)},
				{text: duration(h)},
			})
		}
		t.write(tw, color)
		inputErrors(tw, hs)
	}
	tw.line("")
	tw.line(summaryLine(fs, health))
	return tw.err
}

// findingsTable lays out findings, one row each, in the order given.
func findingsTable(fs []findings.Finding) *table {
	t := &table{header: []string{"SEVERITY", "RULE", "LOCATION", "TITLE"}}
	for _, f := range fs {
		t.add([]cell{
			{text: f.Severity.String(), color: severityColor[f.Severity]},
			{text: cut(clean(f.RuleID), maxRule)},
			{text: cut(clean(f.Location.String()), maxLocation)},
			{text: cut(clean(f.Title), maxTitle)},
		})
	}
	return t
}

// findingCount is what a scanner reported: "3", or "3 (1 ignored)" when
// inline markers turned some off.
func findingCount(h scan.Health) string {
	s := strconv.Itoa(h.Findings)
	if h.Ignored > 0 {
		s += fmt.Sprintf(" (%d ignored)", h.Ignored)
	}
	return s
}

// status is a scanner's status with its reason and what qualifies it.
func status(h scan.Health) string {
	s := string(h.Status)
	if h.Reason != "" {
		s += ": " + h.Reason
	}
	var notes []string
	if h.Partial || len(h.Errors) > 0 {
		n := len(h.Errors)
		notes = append(notes, fmt.Sprintf("partial, %d input error%s", n, plural(n)))
	}
	if !h.DBUpdated.IsZero() {
		notes = append(notes, "db "+h.DBUpdated.UTC().Format(time.DateOnly))
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, "; ") + ")"
	}
	return s
}

func files(h scan.Health) string {
	s := strconv.Itoa(h.Files)
	if h.Packages > 0 {
		s += fmt.Sprintf(" (%d pkgs)", h.Packages)
	}
	return s
}

func duration(h scan.Health) string {
	if h.Status != scan.Ran && h.Duration == 0 {
		return "-"
	}
	switch d := h.Duration; {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}

// inputErrors lists the inputs scanners could not read, so a partial scan
// says what it missed.
func inputErrors(tw *errWriter, hs []scan.Health) {
	n := 0
	for _, h := range hs {
		for _, e := range h.Errors {
			if n == 0 {
				tw.line("")
				tw.line("Inputs not scanned:")
			}
			if n < maxInputErrors {
				tw.line("  " + clean(h.Scanner) + ": " + clean(e.Path) + ": " + cut(clean(e.Err), 120))
			}
			n++
		}
	}
	if n > maxInputErrors {
		tw.line(fmt.Sprintf("  … and %d more", n-maxInputErrors))
	}
}

// summaryLine is "3 findings: 1 critical, …; 2 ignored inline ·
// scanners: 4 ran, 1 skipped, 1 failed".
func summaryLine(fs []findings.Finding, health []scan.Health) string {
	s := Summarize(fs, health)
	line := s.Summary.String()
	if len(health) > 0 {
		line += fmt.Sprintf(" · scanners: %d ran, %d skipped, %d failed",
			s.Scanners[scan.Ran], s.Scanners[scan.Skipped], s.Scanners[scan.Failed])
	}
	return line
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// clean replaces control characters (escape sequences, newlines, tabs)
// with spaces and trims the result.
func clean(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) && utf8.ValidString(s) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// cut shortens s to n runes, ending in "…" when it was longer.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// cell is one table cell: its text and, for colour output, its colour.
type cell struct{ text, color string }

// table aligns cells in columns two spaces apart; widths are counted in
// runes, before colouring.
type table struct {
	header []string
	right  []bool
	rows   [][]cell
}

func (t *table) add(row []cell) { t.rows = append(t.rows, row) }

func (t *table) write(tw *errWriter, color bool) {
	width := make([]int, len(t.header))
	for i, h := range t.header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c.text))
		}
	}
	hdr := make([]cell, len(t.header))
	for i, h := range t.header {
		hdr[i] = cell{text: h, color: bold}
	}
	for _, r := range append([][]cell{hdr}, t.rows...) {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c.text))
			text := c.text
			if color && c.color != "" {
				text = c.color + text + reset
			}
			last := i == len(r)-1
			switch {
			case i < len(t.right) && t.right[i]:
				b.WriteString(pad + text)
			case last:
				b.WriteString(text)
			default:
				b.WriteString(text + pad)
			}
			if !last {
				b.WriteString("  ")
			}
		}
		tw.line(b.String())
	}
}

// errWriter writes lines and keeps the first error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) line(s string) {
	if e.err != nil {
		return
	}
	_, e.err = io.WriteString(e.w, s+"\n")
	if e.err != nil {
		e.err = fmt.Errorf("write table report: %w", e.err)
	}
}
