package external

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// semgrepReport is `semgrep --json`.
type semgrepReport struct {
	Results []json.RawMessage `json:"results"`
	Errors  []struct {
		Level   string `json:"level"`
		Message string `json:"message"`
		Path    string `json:"path"`
		Type    any    `json:"type"`
	} `json:"errors"`
	Version *string `json:"version"`
	Paths   any     `json:"paths"`
}

type semgrepPos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

type semgrepResult struct {
	CheckID string     `json:"check_id"`
	Path    string     `json:"path"`
	Start   semgrepPos `json:"start"`
	End     semgrepPos `json:"end"`
	Extra   struct {
		Message   string         `json:"message"`
		Severity  string         `json:"severity"`
		Lines     string         `json:"lines"`
		Fix       string         `json:"fix"`
		IsIgnored bool           `json:"is_ignored"`
		Metadata  map[string]any `json:"metadata"`
	} `json:"extra"`
}

// semgrepLoginText is what Semgrep writes instead of the matched lines
// and fingerprint when not logged in.
const semgrepLoginText = "requires login"

// importSemgrep reads Semgrep's JSON output (`semgrep --json`); Semgrep's
// SARIF is read by the sarif package. Severity: the rule's
// metadata.security-severity or impact word when given, else the rule
// severity, ERROR high, WARNING medium, INFO low (and the newer CRITICAL,
// HIGH, MEDIUM, LOW as named). CWE and OWASP come from metadata.cwe and
// metadata.owasp; references from metadata.references and source. Rules
// whose id has a "secrets" segment are secrets: the matched text is hashed
// and not kept. Results marked is_ignored (a nosemgrep comment in the
// source) are kept, marked InlineIgnored, as an inSource suppression in
// Semgrep's SARIF is.
func importSemgrep(data []byte, res *result) error {
	var rep semgrepReport
	if err := decode(data, &rep); err != nil {
		return err
	}
	if rep.Results == nil {
		return errors.New(`no "results" member: not a Semgrep JSON report`)
	}
	for _, e := range rep.Errors {
		if strings.EqualFold(e.Level, "warn") || strings.EqualFold(e.Level, "info") {
			continue
		}
		res.note(res.relPath(e.Path), firstLine(firstOf(e.Message, "error")))
	}
	each(res, "results", rep.Results, func(_ int, s *semgrepResult) error {
		if s.CheckID == "" {
			return errors.New("no check_id")
		}
		md := s.Extra.Metadata
		f := findings.Finding{
			RuleID:   s.CheckID,
			RuleName: lastSegment(s.CheckID),
			Category: semgrepCategory(s.CheckID, md),
			Title:    firstOf(firstSentence(s.Extra.Message), s.CheckID),
			Message:  strings.TrimSpace(s.Extra.Message),
			Fix:      strings.TrimSpace(s.Extra.Fix),
		}
		if f.Message == f.Title {
			f.Message = ""
		}
		f.Severity = semgrepSeverity(s.Extra.Severity, md)
		f.CWE = cwes(strs(md["cwe"])...)
		for _, o := range strs(md["owasp"]) {
			id, _, _ := strings.Cut(strings.TrimSpace(o), " ")
			switch {
			case strings.HasSuffix(id, ":2021"):
				f.OWASP2021 = append(f.OWASP2021, id)
			case strings.HasSuffix(id, ":2025"):
				f.OWASP2025 = append(f.OWASP2025, id)
			}
		}
		f.References = uniq(append(strs(md["references"]), strs(md["source"])...)...)
		l := &f.Location
		l.Path = res.relPath(s.Path)
		l.StartLine, l.StartCol = s.Start.Line, s.Start.Col
		l.EndLine, l.EndCol = max(s.End.Line, s.Start.Line), s.End.Col
		props := map[string]string{}
		for _, k := range []string{"confidence", "likelihood", "impact"} {
			if v := str(md[k]); v != "" {
				props[k] = strings.ToLower(v)
			}
		}
		lines := s.Extra.Lines
		if lines == semgrepLoginText {
			lines = ""
		}
		if f.Category == findings.Secrets {
			if secret := semgrepSecret(lines, s.Start, s.End); secret != "" {
				props[findings.PropSecretSHA256] = sha256Hex(secret)
				props["redacted"] = redactSecret(secret)
				f.Snippet = clip(hideSecret(strings.TrimRight(lines, "\n"), secret), maxText)
			}
		} else {
			f.Snippet = clip(strings.TrimRight(lines, "\n"), maxText)
		}
		f.InlineIgnored = s.Extra.IsIgnored
		if len(props) > 0 {
			f.Properties = props
		}
		res.add(f)
		return nil
	})
	return nil
}

// semgrepSeverity applies the order documented on importSemgrep.
func semgrepSeverity(sev string, md map[string]any) findings.Severity {
	if s, ok := cvssScore(str(md["security-severity"])); ok {
		return s
	}
	switch strings.ToUpper(strings.TrimSpace(sev)) {
	case "ERROR":
		return findings.High
	case "WARNING":
		return findings.Medium
	case "INFO":
		return findings.Low
	case "INVENTORY", "EXPERIMENT":
		return findings.Info
	}
	if s, ok := severityWord(sev); ok {
		return s
	}
	if s, ok := severityWord(str(md["impact"])); ok {
		return s
	}
	return findings.Medium
}

// semgrepCategory tells secrets and supply-chain rules from code rules.
func semgrepCategory(id string, md map[string]any) findings.Category {
	if slices.Contains(strings.Split(strings.ToLower(id), "."), "secrets") ||
		strings.EqualFold(str(md["category"]), "secrets") || md["secret_type"] != nil {
		return findings.Secrets
	}
	if md["sca-kind"] != nil || strings.EqualFold(str(md["category"]), "supply-chain") {
		return findings.Deps
	}
	return findings.SAST
}

// lastSegment returns what follows the last dot of a dotted rule id.
func lastSegment(id string) string {
	if i := strings.LastIndex(id, "."); i >= 0 && i < len(id)-1 {
		return id[i+1:]
	}
	return ""
}

// semgrepSecret returns what a secrets rule matched: the columns of the
// match when it is on one line, else the matched lines.
func semgrepSecret(lines string, start, end semgrepPos) string {
	line := strings.TrimRight(lines, "\r\n")
	if start.Line == end.Line && !strings.Contains(line, "\n") &&
		start.Col >= 1 && end.Col > start.Col && end.Col-1 <= len(line) {
		return line[start.Col-1 : end.Col-1]
	}
	return strings.TrimSpace(lines)
}
