package compliance

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/scan"
)

// htmlSource is the HTML report's template, CSS included: the report is
// one file that loads nothing (no scripts, fonts, images or links out).
//
//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"stamp":       stamp,
	"orNone":      orNone,
	"outcome":     outcomeLabel,
	"sev":         severityName,
	"dur":         duration,
	"note":        healthNote,
	"join":        func(s []string) string { return strings.Join(s, ", ") },
	"outClass":    outcomeClass,
	"matrixClass": matrixClass,
	"checkClass":  checkClass,
	"healthClass": healthClass,
	"auditClass":  auditClass,
}).Parse(htmlSource))

// WriteHTML writes r as one self-contained HTML file: embedded CSS with
// print rules, no JavaScript and no external resources. A summary comes
// first (run, outcome per environment, open findings by severity, audit
// chain), then gate decisions, the OWASP Top 10 2021 and 2025 matrices,
// findings, scanners, approvals, the audit trail and the GDPR checklist.
// html/template escapes every string from the run.
func WriteHTML(w io.Writer, r *Report) error {
	if r == nil {
		return errNilReport
	}
	b := bufio.NewWriter(w)
	if err := htmlTemplate.Execute(b, newView(r)); err != nil {
		return fmt.Errorf("write compliance report as HTML: %w", err)
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("write compliance report as HTML: %w", err)
	}
	return nil
}

// The *Class functions map a status to a CSS class from a fixed set, so
// no run text reaches a class attribute.

func outcomeClass(o gate.Outcome) string {
	switch o {
	case gate.Pass, gate.Warn, gate.Block:
		return string(o)
	}
	return "unknown"
}

func matrixClass(status string) string {
	switch status {
	case MatrixFindings:
		return "findings"
	case MatrixClean:
		return "clean"
	}
	return "none"
}

func checkClass(status string) string {
	switch status {
	case CheckPass:
		return "pass"
	case CheckFail:
		return "fail"
	case CheckManual:
		return "manual"
	}
	return "na"
}

func healthClass(s scan.Status) string {
	switch s {
	case scan.Ran:
		return "pass"
	case scan.Skipped:
		return "na"
	}
	return "fail"
}

func auditClass(a Audit) string {
	switch {
	case a.VerifyError != "":
		return "fail"
	case a.Verified:
		return "pass"
	}
	return "manual"
}
