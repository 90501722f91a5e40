package secrets

import (
	"bytes"
	"regexp"
	"sort"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// defaultWindow is how far, in bytes, around a keyword a rule's pattern
// looks on a long line (minified code, one-line JSON). Lines shorter than
// that are searched whole.
const defaultWindow = 1024

// detector finds secrets in the content of one file. It is immutable and
// safe for concurrent use.
type detector struct {
	rules []*rule
	kw    *keywordIndex
	// uses lists, for each keyword id, the rules it triggers.
	uses        [][]keywordUse
	allowValues []*regexp.Regexp
}

type keywordUse struct {
	rule  int
	exact []byte // nil: any ASCII case
}

// candidate is a secret found in a file: the byte range of the secret
// itself, and what the rule made of it.
type candidate struct {
	rule       *rule
	start, end int
	severity   findings.Severity
	props      map[string]string
	// ignored is set when an inline marker on the secret's line covers
	// the rule: the secret is reported, marked InlineIgnored.
	ignored bool
}

// file is the content under scan and what rules need to know about it.
type file struct {
	path    string
	content []byte
	// config is set for configuration files (YAML, .env, shell …), where
	// an unquoted value is a literal rather than a variable.
	config bool
}

// span is a part of the content a rule's pattern searches; clipStart and
// clipEnd record whether that end was cut inside a line.
type span struct {
	start, end         int
	clipStart, clipEnd bool
}

func newDetector(rules []*rule, allowValues []*regexp.Regexp) (*detector, error) {
	d := &detector{rules: rules, allowValues: allowValues}
	ids := map[string]int{}
	var words []string
	for ri, r := range rules {
		for _, w := range r.keywords {
			key := string(bytes.ToLower([]byte(w)))
			id, ok := ids[key]
			if !ok {
				id = len(words)
				ids[key] = id
				words = append(words, key)
				d.uses = append(d.uses, nil)
			}
			u := keywordUse{rule: ri}
			if r.exact {
				u.exact = []byte(w)
			}
			d.uses[id] = append(d.uses[id], u)
		}
	}
	var err error
	d.kw, err = newKeywordIndex(words)
	return d, err
}

// detect returns the secrets in f, ordered by position, one per secret:
// when rules overlap, the more specific one wins.
func (d *detector) detect(f *file) []candidate {
	content := f.content
	hits := d.kw.find(content, nil)
	if len(hits) == 0 {
		return nil
	}
	var cands []candidate
	spans := make([][]span, len(d.rules))
	cover := make([]int, len(d.rules))
	lineStart, lineEnd := -1, -1
	for _, h := range hits {
		start := h.end - d.kw.lengths[h.kw]
		for _, u := range d.uses[h.kw] {
			r := d.rules[u.rule]
			if h.end <= cover[u.rule] || r.matchAt != nil && start < cover[u.rule] {
				continue
			}
			if u.exact != nil && !bytes.Equal(content[start:h.end], u.exact) {
				continue
			}
			if r.matchAt != nil {
				c, consumed, ok := r.matchAt(f, r, start, h.end)
				cover[u.rule] = max(consumed, h.end)
				if ok && d.accept(f, &c) {
					cands = append(cands, c)
				}
				continue
			}
			if start < lineStart || h.end > lineEnd {
				lineStart = bytes.LastIndexByte(content[:start], '\n') + 1
				lineEnd = len(content)
				if i := bytes.IndexByte(content[h.end:], '\n'); i >= 0 {
					lineEnd = h.end + i
				}
			}
			sp := span{start: lineStart, end: lineEnd}
			window := max(defaultWindow, r.window)
			if start-window > lineStart {
				sp.start, sp.clipStart = start-window, true
			}
			if h.end+window < lineEnd {
				sp.end, sp.clipEnd = h.end+window, true
			}
			list := spans[u.rule]
			if n := len(list); n > 0 && list[n-1].end >= sp.start {
				list[n-1].end, list[n-1].clipEnd = sp.end, sp.clipEnd
			} else {
				spans[u.rule] = append(list, sp)
			}
			cover[u.rule] = sp.end
		}
	}

	for ri, list := range spans {
		r := d.rules[ri]
		for _, sp := range list {
			cands = d.match(f, r, sp, cands)
		}
	}
	return resolveOverlaps(cands)
}

// match runs r's pattern over one span and appends accepted candidates.
func (d *detector) match(f *file, r *rule, sp span, cands []candidate) []candidate {
	seg := f.content[sp.start:sp.end]
	for _, sub := range r.pattern.FindAllSubmatchIndex(seg, -1) {
		// A match that touches a cut end may be a piece of a longer string.
		if (sp.clipStart && sub[0] == 0) || (sp.clipEnd && sub[1] == len(seg)) {
			continue
		}
		for i := range sub {
			if sub[i] >= 0 {
				sub[i] += sp.start
			}
		}
		c := candidate{rule: r, start: sub[2*r.group], end: sub[2*r.group+1], severity: r.severity}
		if c.start < 0 || c.start == c.end {
			continue
		}
		if r.check != nil && !r.check(f, &c, sub) {
			continue
		}
		if !d.accept(f, &c) {
			continue
		}
		cands = append(cands, c)
	}
	return cands
}

// accept applies the checks every rule shares: placeholders, entropy,
// checksums and the allowlist. An inline ignore marker does not reject a
// candidate; it marks it ignored.
func (d *detector) accept(f *file, c *candidate) bool {
	r := c.rule
	secret := f.content[c.start:c.end]
	if r.id != privateKeyID && r.id != gcpServiceAccountID && isPlaceholder(string(secret)) {
		return false
	}
	if r.minEntropy > 0 && entropy(secret) < r.minEntropy {
		return false
	}
	if r.checksum != nil {
		if applicable, valid := r.checksum(string(secret)); applicable {
			if valid {
				c.setProp("checksum", "valid")
			} else {
				// Real tokens always carry a valid checksum: this one is
				// probably made up, but made-up tokens get copied too.
				c.setProp("checksum", "mismatch")
				if c.severity > findings.Low {
					c.severity--
				}
			}
		}
	}
	if r.lowInTests && c.severity > findings.Low && isTestPath(f.path) {
		c.severity = findings.Low
		c.setProp("test_file", "true")
	}
	for _, re := range d.allowValues {
		if re.Match(secret) {
			return false
		}
	}
	lineStart := bytes.LastIndexByte(f.content[:c.start], '\n') + 1
	lineEnd := len(f.content)
	if i := bytes.IndexByte(f.content[c.start:], '\n'); i >= 0 {
		lineEnd = c.start + i
	}
	c.ignored = scan.InlineIgnored(f.content[lineStart:lineEnd], scannerName, r.id)
	return true
}

func (c *candidate) setProp(k, v string) {
	if c.props == nil {
		c.props = map[string]string{}
	}
	c.props[k] = v
}

// resolveOverlaps keeps one candidate per stretch of text: the one of the
// highest priority, then the longest, then the first. Candidates that no
// marker covers are resolved first, among themselves, and ignored ones
// only fill the stretches left free: a marker scoped to one rule never
// hides what another rule finds in the same text, just as when marked
// candidates were dropped. The result is ordered by position.
func resolveOverlaps(cands []candidate) []candidate {
	if len(cands) < 2 {
		return cands
	}
	var open, ignored []candidate
	for _, c := range cands {
		if c.ignored {
			ignored = append(ignored, c)
		} else {
			open = append(open, c)
		}
	}
	return keepBest(ignored, keepBest(open, nil))
}

// keepBest adds to kept (ordered by start, spans not overlapping) the
// candidates that do not overlap anything kept, best first, and returns
// it still ordered and without overlaps.
func keepBest(cands, kept []candidate) []candidate {
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.rule.priority != b.rule.priority {
			return a.rule.priority > b.rule.priority
		}
		if la, lb := a.end-a.start, b.end-b.start; la != lb {
			return la > lb
		}
		return a.start < b.start
	})
	for _, c := range cands {
		i := sort.Search(len(kept), func(i int) bool { return kept[i].end > c.start })
		if i < len(kept) && kept[i].start < c.end {
			continue
		}
		kept = append(kept, candidate{})
		copy(kept[i+1:], kept[i:])
		kept[i] = c
	}
	return kept
}
