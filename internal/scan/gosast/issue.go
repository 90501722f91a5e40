package gosast

import (
	"go/ast"
	"go/token"
	"strconv"
	"strings"

	"github.com/securego/gosec/v2/issue"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// Snippet limits: a finding on a whole function or loop shows its first
// lines only.
const (
	maxSnippetLines = 8
	maxSnippetBytes = 1000
)

// convert turns a gosec issue in file rel into a finding. A sluice:ignore
// marker on a flagged line does not drop the finding: it comes back with
// InlineIgnored set, and the marking changes nothing else. file is the
// parsed file the issue is in (nil if unknown), used to find where the
// flagged code ends.
func convert(is *issue.Issue, rel string, fset *token.FileSet, file *ast.File) findings.Finding {
	start, end := lineRange(is.Line)
	col, _ := strconv.Atoi(is.Col)
	lines := codeLines(is.Code, start, end)
	ignored := false
	for _, l := range lines {
		if scan.InlineIgnored([]byte(l), scannerName, is.RuleID) {
			ignored = true
			break
		}
	}
	title := ruleTitle(is.RuleID)
	f := findings.Finding{
		Scanner:  scannerName,
		RuleID:   is.RuleID,
		RuleName: title,
		Category: findings.SAST,
		Severity: Severity(is.Severity, is.Confidence),
		Title:    title,
		Message:  strings.TrimSpace(is.What),
		Location: findings.Location{
			Path: rel, StartLine: start, EndLine: end, StartCol: col,
		},
		Snippet:       snippet(lines),
		Fix:           Fix(is.RuleID),
		References:    References(is.RuleID),
		Sources:       []findings.Source{{Scanner: scannerName, RuleID: is.RuleID}},
		InlineIgnored: ignored,
		Properties: map[string]string{
			"gosec_severity":   is.Severity.String(),
			"gosec_confidence": is.Confidence.String(),
		},
	}
	if f.Message == "" {
		f.Message = title
	}
	if cwe := CWE(is); cwe > 0 {
		f.CWE = []int{cwe}
	}
	if col > 0 {
		f.Location.EndCol = endColumn(fset, file, start, col, end, lines)
	}
	return f
}

// Severity maps gosec's severity and confidence to sluice's scale: HIGH
// severity is high unless gosec is not confident (then medium), MEDIUM is
// medium and LOW is low whatever the confidence.
func Severity(severity, confidence issue.Score) findings.Severity {
	switch severity {
	case issue.High:
		if confidence == issue.Low {
			return findings.Medium
		}
		return findings.High
	case issue.Medium:
		return findings.Medium
	}
	return findings.Low
}

// CWE returns the CWE number gosec gives the issue (or its rule), 0 when
// none.
func CWE(is *issue.Issue) int {
	if is.Cwe != nil {
		if n, err := strconv.Atoi(is.Cwe.ID); err == nil {
			return n
		}
	}
	return ruleCWE(is.RuleID)
}

// lineRange reads gosec's line field: "12" or "12-14".
func lineRange(s string) (start, end int) {
	a, b, ok := strings.Cut(s, "-")
	start, _ = strconv.Atoi(a)
	end = start
	if ok {
		if n, err := strconv.Atoi(b); err == nil && n >= start {
			end = n
		}
	}
	return start, end
}

// codeLines returns the lines start..end of gosec's code field, whose
// lines read "12: text" and include a line of context either side.
func codeLines(code string, start, end int) []string {
	var out []string
	for l := range strings.SplitSeq(code, "\n") {
		num, text, ok := strings.Cut(l, ": ")
		if !ok {
			num, text, ok = strings.Cut(l, ":") // an empty source line
			if !ok || text != "" {
				continue
			}
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < start || n > end {
			continue
		}
		out = append(out, strings.TrimRight(text, " \t\r"))
	}
	return out
}

// snippet joins the flagged lines, cut when long.
func snippet(lines []string) string {
	cut := len(lines) > maxSnippetLines
	if cut {
		lines = lines[:maxSnippetLines]
	}
	s := strings.Join(lines, "\n")
	if len(s) > maxSnippetBytes {
		s, cut = strings.ToValidUTF8(s[:maxSnippetBytes], ""), true
	}
	if cut {
		s += "\n…"
	}
	return s
}

// endColumn returns the column just after the flagged code: the end of
// the outermost syntax node that starts at the issue's position and ends
// on its last line; else (SSA rules report the position of a call's
// parenthesis) of the innermost node around the position that ends there;
// else the end of that line's text.
func endColumn(fset *token.FileSet, file *ast.File, line, col, endLine int, lines []string) int {
	if fset != nil && file != nil {
		if tf := fset.File(file.Pos()); tf != nil && line >= 1 && line <= tf.LineCount() && endLine <= tf.LineCount() {
			pos := tf.LineStart(line) + token.Pos(col-1)
			starting, around := token.NoPos, token.NoPos
			ast.Inspect(file, func(n ast.Node) bool {
				if n == nil || n.Pos() > pos || n.End() <= pos {
					return false
				}
				if tf.Line(n.End()) == endLine {
					if n.Pos() == pos && starting == token.NoPos {
						starting = n.End() // Inspect visits outer nodes first
					}
					around = n.End()
				}
				return true
			})
			if starting.IsValid() {
				return tf.Position(starting).Column
			}
			if around.IsValid() {
				return tf.Position(around).Column
			}
		}
	}
	if len(lines) > 0 && endLine == line+len(lines)-1 {
		return len(lines[len(lines)-1]) + 1
	}
	return 0
}
