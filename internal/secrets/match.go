package secrets

import "slices"

// matcher finds every occurrence of a set of patterns in one pass over the
// text (Aho-Corasick). It is immutable once built and safe to share. Nodes
// live in flat arrays, node 0 being the root, to keep the scan cache-friendly.
type matcher struct {
	// root holds the transitions out of the root for every byte; 0 means the
	// byte starts no pattern.
	root [256]int32
	// edges[edgeAt[s]:edgeAt[s+1]] are the trie children of node s.
	edges  []edge
	edgeAt []int32
	fail   []int32
	// longest is the length of the longest pattern ending at each node,
	// found directly or through failure links; 0 if none.
	longest []int32
	// minLong is the length from which a pattern counts as "long" for
	// hasLong.
	minLong int
}

type edge struct {
	b  byte
	to int32
}

// region is a half-open byte range [start, end) to redact.
type region struct{ start, end int }

// trie is the build-time form of the matcher.
type trie struct {
	children [][]edge
	longest  []int32
}

func newMatcher(patterns []string, minLong int) *matcher {
	t := &trie{children: [][]edge{nil}, longest: []int32{0}}
	for _, p := range patterns {
		t.insert(p)
	}
	m := &matcher{minLong: minLong, longest: t.longest, fail: make([]int32, len(t.longest))}
	m.edgeAt = make([]int32, 0, len(t.children)+1)
	for s, cs := range t.children {
		m.edgeAt = append(m.edgeAt, int32(len(m.edges))) // #nosec G115 -- edge counts are bounded by the secrets' total length
		if s == 0 {
			for _, e := range cs {
				m.root[e.b] = e.to
			}
			continue
		}
		m.edges = append(m.edges, cs...)
	}
	m.edgeAt = append(m.edgeAt, int32(len(m.edges))) // #nosec G115 -- edge counts are bounded by the secrets' total length
	m.link(t)
	return m
}

func (t *trie) insert(p string) {
	if p == "" {
		return
	}
	s := int32(0)
	for i := 0; i < len(p); i++ {
		k := slices.IndexFunc(t.children[s], func(e edge) bool { return e.b == p[i] })
		if k >= 0 {
			s = t.children[s][k].to
			continue
		}
		n := int32(len(t.longest)) // #nosec G115 -- a secret's length fits in int32
		t.children = append(t.children, nil)
		t.longest = append(t.longest, 0)
		t.children[s] = append(t.children[s], edge{p[i], n})
		s = n
	}
	t.longest[s] = max(t.longest[s], int32(len(p))) // #nosec G115 -- a secret's length fits in int32
}

// link computes failure links breadth first; a node's longest match then
// also covers the patterns that end at its failure node.
func (m *matcher) link(t *trie) {
	var queue []int32
	for _, e := range t.children[0] {
		queue = append(queue, e.to) // fail = 0 (root)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, e := range t.children[s] {
			f := m.step(m.fail[s], e.b)
			m.fail[e.to] = f
			m.longest[e.to] = max(m.longest[e.to], m.longest[f])
			queue = append(queue, e.to)
		}
	}
}

// step follows b from state s, falling back along failure links.
func (m *matcher) step(s int32, b byte) int32 {
	for s != 0 {
		for _, e := range m.edges[m.edgeAt[s]:m.edgeAt[s+1]] {
			if e.b == b {
				return e.to
			}
		}
		s = m.fail[s]
	}
	return m.root[b]
}

// regions returns the merged ranges of s covered by any pattern occurrence
// that starts at or after from, overlapping or touching ranges joined, in
// order.
func (m *matcher) regions(s string, from int, dst []region) []region {
	state := int32(0)
	for i := from; i < len(s); i++ {
		state = m.step(state, s[i])
		l := int(m.longest[state])
		if l == 0 {
			continue
		}
		r := region{i + 1 - l, i + 1}
		// Ends only grow, so r can only swallow regions at the top.
		for n := len(dst); n > 0 && dst[n-1].end >= r.start; n = len(dst) {
			r.start = min(r.start, dst[n-1].start)
			dst = dst[:n-1]
		}
		dst = append(dst, r)
	}
	return dst
}

// hasLong reports whether s contains a pattern of at least minLong bytes.
func (m *matcher) hasLong(s string) bool {
	state := int32(0)
	for i := 0; i < len(s); i++ {
		state = m.step(state, s[i])
		if int(m.longest[state]) >= m.minLong {
			return true
		}
	}
	return false
}
