package secrets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/findings"
)

// maxSnippet bounds a snippet, in bytes; longer lines are cut around the
// secret.
const maxSnippet = 300

// minShownLen is the shortest secret whose first characters are shown;
// shorter ones are redacted to ***.
const minShownLen = 16

// redact returns the form of a secret shown to people: its first four
// characters and an ellipsis, or *** when it is short.
func redact(r *rule, secret string) string {
	if r.redact != nil {
		return r.redact(secret)
	}
	if utf8.RuneCountInString(secret) < minShownLen {
		return "***"
	}
	i, n := 0, 0
	for n < 4 {
		_, size := utf8.DecodeRuneInString(secret[i:])
		i += size
		n++
	}
	return secret[:i] + "…"
}

// locator turns byte offsets into 1-based lines and columns. Offsets must
// be asked for in increasing order. Columns count characters (Unicode
// code points), not bytes.
type locator struct {
	content         []byte
	pos, line, from int // from: offset of the current line
}

func (l *locator) at(p int) (line, col int) {
	for {
		i := bytes.IndexByte(l.content[l.pos:p], '\n')
		if i < 0 {
			break
		}
		l.line++
		l.from = l.pos + i + 1
		l.pos = l.from
	}
	l.pos = p
	return l.line, utf8.RuneCount(l.content[l.from:p]) + 1
}

// toFindings turns the candidates of one file (ordered, not overlapping)
// into findings. The secret itself appears in none of their fields: the
// snippet and message show it redacted, and Properties carry its SHA-256.
func toFindings(f *file, cands []candidate) []findings.Finding {
	secrets := make([]string, len(cands))
	shown := make([]string, len(cands))
	for i, c := range cands {
		secrets[i] = string(f.content[c.start:c.end])
		shown[i] = redact(c.rule, secrets[i])
	}
	loc := &locator{content: f.content, line: 1}
	out := make([]findings.Finding, 0, len(cands))
	for i, c := range cands {
		r := c.rule
		startLine, startCol := loc.at(c.start)
		endLine, endCol := loc.at(c.end)
		sum := sha256.Sum256([]byte(secrets[i]))
		props := map[string]string{
			"secret_sha256":   hex.EncodeToString(sum[:]),
			"secret_redacted": shown[i],
		}
		for k, v := range c.props {
			props[k] = v
		}
		msg := fmt.Sprintf("%s found: %s", r.title, shown[i])
		if name := c.props["name"]; name != "" {
			msg = fmt.Sprintf("Secret-looking value assigned to %s: %s", name, shown[i])
		}
		out = append(out, findings.Finding{
			Scanner:  scannerName,
			RuleID:   r.id,
			RuleName: r.title,
			Category: findings.Secrets,
			Severity: c.severity,
			Title:    r.title,
			Message:  strings.ToValidUTF8(scrub(msg, secrets, shown, shown[i]), "\uFFFD"),
			CWE:      append([]int(nil), r.cwe...),
			Location: findings.Location{
				Path:      f.path,
				StartLine: startLine, StartCol: startCol,
				EndLine: endLine, EndCol: endCol,
			},
			Snippet:       scrub(snippet(f.content, cands, shown, i), secrets, shown, shown[i]),
			Fix:           r.fix,
			Sources:       []findings.Source{{Scanner: scannerName, RuleID: r.id}},
			InlineIgnored: c.ignored,
			Properties:    props,
		})
	}
	return out
}

// snippet returns the line where cands[i] starts, every secret on it
// redacted, cut around the secret when long.
func snippet(content []byte, cands []candidate, shown []string, i int) string {
	c := cands[i]
	from := bytes.LastIndexByte(content[:c.start], '\n') + 1
	to := len(content)
	if j := bytes.IndexByte(content[c.start:], '\n'); j >= 0 {
		to = c.start + j
	}
	var b strings.Builder
	at := 0 // where cands[i]'s redaction starts in b
	pos := from
	for k := range cands {
		o := cands[k]
		if o.end <= from || o.start >= to {
			continue
		}
		s := max(o.start, from)
		b.Write(content[pos:s])
		if k == i {
			at = b.Len()
		}
		if o.start >= from {
			b.WriteString(shown[k])
		} else {
			b.WriteString("…") // the rest of a secret that began on an earlier line
		}
		pos = min(o.end, to)
	}
	b.Write(content[pos:to])
	line := b.String()
	if len(line) > maxSnippet {
		lo := max(0, at-maxSnippet/3)
		hi := min(len(line), lo+maxSnippet)
		for lo > 0 && !utf8.RuneStart(line[lo]) {
			lo--
		}
		for hi < len(line) && !utf8.RuneStart(line[hi]) {
			hi++
		}
		cut := line[lo:hi]
		if lo > 0 {
			cut = "…" + cut
		}
		if hi < len(line) {
			cut += "…"
		}
		line = cut
	}
	return strings.ToValidUTF8(strings.TrimSpace(line), "\uFFFD")
}

// scrub makes sure no secret of the file appears in s, even one repeated
// where no rule matched it; if replacing cannot get rid of it, s becomes
// fallback.
func scrub(s string, secrets, shown []string, fallback string) string {
	for k, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, shown[k])
		}
	}
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			return fallback
		}
	}
	return s
}
