package external

import (
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/findings"
)

// relPath makes a path from a report relative to root when it is under
// it, with forward slashes and no leading "./" or "/": tools print
// absolute paths (Bandit with an absolute target, tfsec), root-anchored
// ones (Checkov's "/main.tf") or relative ones.
func (r *result) relPath(p string) string {
	p = strings.TrimSpace(strings.ReplaceAll(p, "\\", "/"))
	if p == "" {
		return ""
	}
	if strings.HasPrefix(p, "file://") {
		if u, err := url.Parse(p); err == nil {
			p = u.Path
		}
	}
	if root := strings.TrimSuffix(strings.ReplaceAll(r.root, "\\", "/"), "/"); root != "" {
		if rest, ok := strings.CutPrefix(p, root+"/"); ok {
			p = rest
		}
	}
	p = path.Clean(p)
	p = strings.TrimLeft(strings.TrimPrefix(p, "./"), "/")
	if p == "." {
		return ""
	}
	return p
}

// minShown is the shortest secret whose first characters are shown.
const minShown = 16

// redactSecret returns how a secret is shown: its first four characters
// and an ellipsis, or *** when it is short (as sluice's secrets scanner).
func redactSecret(secret string) string {
	if utf8.RuneCountInString(secret) < minShown {
		return "***"
	}
	i := 0
	for range 4 {
		_, size := utf8.DecodeRuneInString(secret[i:])
		i += size
	}
	return secret[:i] + "…"
}

// hideSecret returns s with every occurrence of secret redacted.
func hideSecret(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, redactSecret(secret))
}

// sha256Hex returns the hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// severityWord reads a tool's severity word with findings.ParseSeverity;
// ok is false for words it does not know (and for "unknown" and "").
func severityWord(s string) (findings.Severity, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "unknown") || strings.EqualFold(s, "undefined") {
		return findings.Info, false
	}
	sev, err := findings.ParseSeverity(s)
	return sev, err == nil
}

// cweRe finds CWE ids in text: "CWE-79", "CWE-89: Improper …", "cwe_78".
var cweRe = regexp.MustCompile(`(?i)\bcwe[-_: ]?0*([1-9][0-9]{0,5})\b`)

// cwes collects the CWE ids named in texts, or given as bare numbers,
// sorted and unique; nil when there are none.
func cwes(texts ...string) []int {
	var out []int
	for _, t := range texts {
		t = strings.TrimSpace(t)
		if n, err := strconv.Atoi(t); err == nil {
			if n > 0 && n < 1e6 {
				out = append(out, n)
			}
			continue
		}
		for _, m := range cweRe.FindAllStringSubmatch(t, -1) {
			if n, err := strconv.Atoi(m[1]); err == nil {
				out = append(out, n)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// uniq drops empty and repeated strings, keeping the first of each in
// order; nil when nothing is left.
func uniq(ss ...string) []string {
	var out []string
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// firstOf returns the first non-empty string after trimming.
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// firstLine returns the first non-empty line of s, trimmed.
func firstLine(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// firstSentence returns the first sentence of the first line of s: up to
// a period followed by a space.
func firstSentence(s string) string {
	line := firstLine(s)
	if i := strings.Index(line, ". "); i > 0 {
		return line[:i+1]
	}
	return line
}

// maxText bounds long free text (descriptions, evidence) kept in a
// finding.
const maxText = 2000

// clip shortens s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

var (
	tagRe    = regexp.MustCompile(`(?s)<[^>]*>`)
	paraRe   = regexp.MustCompile(`(?i)</p>|<br\s*/?>|</li>`)
	spacesRe = regexp.MustCompile(`[ \t]+`)
	urlRe    = regexp.MustCompile(`https?://[^\s<>"']+`)
)

// plainText turns the small HTML ZAP writes into text: paragraphs become
// lines, tags go, entities are decoded.
func plainText(s string) string {
	s = paraRe.ReplaceAllString(s, "\n")
	s = tagRe.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	var lines []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(spacesRe.ReplaceAllString(line, " ")); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// urls returns the http(s) URLs in s, in order.
func urls(s string) []string {
	var out []string
	for _, u := range urlRe.FindAllString(html.UnescapeString(s), -1) {
		out = append(out, strings.TrimRight(u, ".,;)"))
	}
	return out
}

// cvssScore reads a CVSS base score written as text; ok is false when s
// is not a score in (0, 10].
func cvssScore(s string) (findings.Severity, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(f > 0 && f <= 10) {
		return findings.Info, false
	}
	return findings.FromCVSS(f), true
}

// str returns a loosely typed JSON value as text: strings as they are,
// numbers and booleans in their JSON spelling, anything else "".
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// strs returns a loosely typed JSON value as a list of texts: a list's
// scalar members, or a single scalar.
func strs(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s := str(e); s != "" {
				out = append(out, s)
			}
		}
		return out
	case nil:
		return nil
	}
	if s := str(v); s != "" {
		return []string{s}
	}
	return nil
}

// under says whether p is an absolute path inside the root.
func (r *result) under(p string) bool {
	root := strings.TrimSuffix(strings.ReplaceAll(r.root, "\\", "/"), "/")
	return root != "" && strings.HasPrefix(strings.ReplaceAll(p, "\\", "/"), root+"/")
}
