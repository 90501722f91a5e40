package junit

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// ansi matches terminal escape sequences: CSI (colours, cursor moves), OSC
// (titles, links) and two-byte escapes.
var ansi = regexp.MustCompile("\x1b(?:\\[[0-?]*[ -/]*[@-~]|\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|[@-_])")

// clean makes s safe as XML 1.0 text: escape sequences and characters XML
// cannot hold (most control characters, surrogates, U+FFFE and U+FFFF) are
// removed, carriage returns dropped and invalid UTF-8 replaced by U+FFFD.
// The encoder escapes what remains (&, <, > and quotes).
func clean(s string) string {
	s = ansi.ReplaceAllString(s, "")
	ok := true
	for i, r := range s {
		if !allowed(r) || r == '\r' || r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			b.WriteRune(utf8.RuneError)
		case r == '\r' || !allowed(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// allowed reports whether XML 1.0 allows r in a document.
func allowed(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
