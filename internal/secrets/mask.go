// Package secrets keeps secret values out of logs.
package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Redacted replaces every masked occurrence of a secret.
const Redacted = "***"

// minDerived is the shortest secret whose derived forms (base64, hex,
// escapes, lines) are masked too. Shorter secrets are masked in raw form
// only: their encodings are a handful of characters that occur by chance in
// ordinary output, so masking them would shred logs without protecting
// anything a guess could not find.
const minDerived = 4

// maxPasses bounds the re-scans done for secrets that contain characters of
// Redacted (see Mask).
const maxPasses = 4

// Masker replaces secrets in text with Redacted. The zero value masks
// nothing; Add teaches it secrets. It is safe for concurrent use: Mask never
// blocks, and Add swaps in a rebuilt matcher.
type Masker struct {
	mu      sync.Mutex // serializes Add
	secrets []string
	m       atomic.Pointer[maskMatcher]
}

type maskMatcher struct {
	*matcher
	filter prefilter
	// starry is set when a long pattern contains a byte of Redacted, so that
	// a replacement could join with its neighbours into a new occurrence.
	starry bool
}

// NewMasker returns a Masker for the given secrets; empty ones are ignored.
func NewMasker(secrets ...string) *Masker {
	m := &Masker{}
	for _, s := range secrets {
		if s != "" && !slices.Contains(m.secrets, s) {
			m.secrets = append(m.secrets, s)
		}
	}
	m.rebuild()
	return m
}

// Add starts masking secret (and its derived forms). Empty or already known
// secrets change nothing.
func (m *Masker) Add(secret string) {
	if secret == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if slices.Contains(m.secrets, secret) {
		return
	}
	m.secrets = append(m.secrets, secret)
	m.rebuild()
}

func (m *Masker) rebuild() {
	var patterns []string
	for _, s := range m.secrets {
		patterns = append(patterns, forms(s)...)
	}
	mm := &maskMatcher{matcher: newMatcher(patterns, minDerived), filter: newPrefilter(patterns)}
	for _, p := range patterns {
		if len(p) >= minDerived && strings.ContainsAny(p, Redacted) {
			mm.starry = true
		}
	}
	m.m.Store(mm)
}

// Mask returns s with every occurrence of every secret form replaced by
// Redacted. Overlapping or adjacent occurrences become one Redacted, so
// overlapping secrets leave no tails. Text without secrets is returned as is,
// without allocating.
//
// A secret containing '*' could reappear where a Redacted joins the text
// around it ("a***b" inside "aa***bb"); for such secrets Mask scans again,
// and if a secret of minDerived or more bytes still shows after maxPasses,
// the whole text is redacted.
func (m *Masker) Mask(s string) string {
	mm := m.m.Load()
	if mm == nil {
		return s
	}
	out, changed := mm.mask(s)
	if !changed || !mm.starry {
		return out
	}
	for range maxPasses {
		if !mm.hasLong(out) {
			return out
		}
		out, _ = mm.mask(out)
	}
	if mm.hasLong(out) {
		return Redacted
	}
	return out
}

// mask replaces each region covered by patterns with Redacted, once.
func (mm *maskMatcher) mask(s string) (string, bool) {
	from := mm.filter.first(s)
	if from < 0 {
		return s, false
	}
	var buf [8]region
	regions := mm.regions(s, from, buf[:0])
	if len(regions) == 0 {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, r := range regions {
		b.WriteString(s[last:r.start])
		b.WriteString(Redacted)
		last = r.end
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// forms returns the strings Mask looks for on behalf of secret: the secret
// itself and, from minDerived bytes on, its encodings: standard and URL
// base64 (padded and raw, and the parts that stay the same when the secret
// sits inside a longer base64 text), URL query and path escaping, JSON
// string escaping, hex, and each line of 4+ bytes of a multi-line secret.
func forms(secret string) []string {
	if secret == "" {
		return nil
	}
	if len(secret) < minDerived {
		return []string{secret}
	}
	b := []byte(secret)
	all := []string{secret}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		all = append(all, enc.EncodeToString(b), enc.WithPadding(base64.NoPadding).EncodeToString(b))
		for lead := range 3 {
			all = append(all, base64Middle(enc, b, lead))
		}
	}
	all = append(all,
		url.QueryEscape(secret),
		url.PathEscape(secret),
		jsonEscape(secret, true),
		jsonEscape(secret, false),
		hex.EncodeToString(b),
		strings.ToUpper(hex.EncodeToString(b)),
	)
	if strings.Contains(secret, "\n") {
		for line := range strings.SplitSeq(secret, "\n") {
			line = strings.TrimSuffix(line, "\r")
			if trimmed := strings.TrimSpace(line); len(trimmed) >= minDerived {
				all = append(all, line, trimmed) // indentation may differ in output
			}
		}
	}
	out := all[:1]
	for _, f := range all[1:] {
		if len(f) >= minDerived && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// base64Middle returns the characters of the encoding of b that do not
// depend on what surrounds b, when b starts lead bytes (0, 1 or 2) after a
// 3-byte group boundary of a longer encoded text. Each character carries 6
// bits; those whose bits all lie inside b are the same in any such text.
func base64Middle(enc *base64.Encoding, b []byte, lead int) string {
	buf := make([]byte, lead, lead+len(b))
	s := enc.WithPadding(base64.NoPadding).EncodeToString(append(buf, b...))
	first := (8*lead + 5) / 6       // first character starting at or after bit 8*lead
	last := (8*lead + 8*len(b)) / 6 // characters ending at or before the last bit of b
	if first >= last {
		return ""
	}
	return s[first:last]
}

// jsonEscape returns s as it appears inside a JSON string, with or without
// the HTML-safe escapes of <, > and & that some encoders add.
func jsonEscape(s string, html bool) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		return s // cannot happen for a string; fall back to the raw form
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	return strings.TrimSuffix(strings.TrimPrefix(out, `"`), `"`)
}
