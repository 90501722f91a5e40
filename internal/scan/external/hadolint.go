package external

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

type hadolintResult struct {
	Code    text   `json:"code"`
	Column  int    `json:"column"`
	File    string `json:"file"`
	Level   string `json:"level"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// importHadolint reads `hadolint -f json`: a list of rule violations.
// Severity from hadolint's level: error high, warning medium, info low,
// style info. DL rules link to hadolint's wiki, SC rules (ShellCheck, on
// RUN instructions) to ShellCheck's.
func importHadolint(data []byte, res *result) error {
	var raws []json.RawMessage
	if err := decode(data, &raws); err != nil {
		return err
	}
	each(res, "", raws, func(_ int, h *hadolintResult) error {
		code := strings.TrimSpace(string(h.Code))
		if code == "" {
			return errors.New("no code")
		}
		if h.Level == "" && h.Line == 0 && h.File == "" {
			return errors.New("no file, line or level: not a hadolint result")
		}
		f := findings.Finding{
			RuleID:   code,
			Category: findings.IaC,
			Title:    firstOf(h.Message, code),
		}
		switch strings.ToLower(h.Level) {
		case "error":
			f.Severity = findings.High
		case "warning":
			f.Severity = findings.Medium
		case "info":
			f.Severity = findings.Low
		default:
			f.Severity = findings.Info
		}
		switch {
		case strings.HasPrefix(code, "DL"):
			f.References = []string{"https://github.com/hadolint/hadolint/wiki/" + code}
		case strings.HasPrefix(code, "SC"):
			f.References = []string{"https://www.shellcheck.net/wiki/" + code}
		}
		l := &f.Location
		l.Path = res.relPath(h.File)
		l.StartLine, l.EndLine = h.Line, h.Line
		if h.Column > 0 {
			l.StartCol = h.Column
		}
		res.add(f)
		return nil
	})
	return nil
}
