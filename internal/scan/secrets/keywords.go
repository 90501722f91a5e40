package secrets

import (
	"fmt"
	"math"
)

// keywordIndex finds every occurrence of a set of keywords in one pass
// over the content, ignoring ASCII case: an Aho-Corasick automaton turned
// into a dense table (a DFA) over byte classes. Bytes that occur in no
// keyword share class 0, which keeps the table small enough to stay in
// the CPU cache.
//
// A keywordIndex is immutable after newKeywordIndex and safe for
// concurrent use.
type keywordIndex struct {
	class  [256]uint8
	nclass int
	// delta[state*nclass+class] is the next state times nclass, so the
	// scan loop needs no multiplication, complemented (negative) when
	// keywords end in that state.
	delta   []int16
	out     [][]int32 // keyword ids that end in each state
	lengths []int     // length of each keyword
}

// hit is one occurrence of keyword kw ending just before byte end.
type hit struct {
	kw  int32
	end int
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

// newKeywordIndex builds the automaton; keyword i is reported as id i.
// Keywords are matched without regard to ASCII case.
func newKeywordIndex(keywords []string) (*keywordIndex, error) {
	k := &keywordIndex{lengths: make([]int, len(keywords))}
	// Byte classes: one per distinct (lowercased) byte used by a keyword;
	// at most 1+256-26 classes, so a uint8 holds them.
	k.nclass = 1
	for _, w := range keywords {
		for i := 0; i < len(w); i++ {
			b := lower(w[i])
			if k.class[b] == 0 {
				k.class[b] = uint8(k.nclass) // #nosec G115 -- at most 256 byte classes
				k.nclass++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		k.class[c] = k.class[c+('a'-'A')]
	}

	// Trie; state 0 is the root. -1 marks a missing edge.
	type node struct {
		next []int32
		out  []int32
	}
	newNode := func() node {
		n := node{next: make([]int32, k.nclass)}
		for i := range n.next {
			n.next[i] = -1
		}
		return n
	}
	nodes := []node{newNode()}
	for id, w := range keywords {
		k.lengths[id] = len(w)
		s := int32(0)
		for i := 0; i < len(w); i++ {
			c := k.class[lower(w[i])]
			if nodes[s].next[c] < 0 {
				nodes = append(nodes, newNode())
				nodes[s].next[c] = int32(len(nodes) - 1) // #nosec G115 -- the automaton has far fewer than 2^31 nodes (built from the rule keywords)
			}
			s = nodes[s].next[c]
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}

	// Breadth-first: failure links, then complete the transition table so
	// that scanning never follows a failure link.
	fail := make([]int32, len(nodes))
	next := make([]int32, len(nodes)*k.nclass)
	k.out = make([][]int32, len(nodes))
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < k.nclass; c++ {
		if t := nodes[0].next[c]; t >= 0 {
			next[c] = t
			queue = append(queue, t)
		}
	}
	k.out[0] = nodes[0].out
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		k.out[s] = append(append([]int32(nil), nodes[s].out...), k.out[fail[s]]...)
		for c := 0; c < k.nclass; c++ {
			t := nodes[s].next[c]
			if t < 0 {
				next[int(s)*k.nclass+c] = next[int(fail[s])*k.nclass+c]
				continue
			}
			next[int(s)*k.nclass+c] = t
			fail[t] = next[int(fail[s])*k.nclass+c]
			queue = append(queue, t)
		}
	}
	if len(next) > math.MaxInt16 {
		return nil, fmt.Errorf("keyword automaton too large: %d transitions", len(next))
	}
	// Premultiply, and mark the transitions into states with output. 16
	// bits per entry keep the table in the CPU's first-level cache.
	k.delta = make([]int16, len(next))
	for i, t := range next {
		v := int16(t * int32(k.nclass)) // #nosec G115 -- bounded by nodes x classes of the keyword automaton
		if len(k.out[t]) > 0 {
			v = ^v
		}
		k.delta[i] = v
	}
	return k, nil
}

// find appends every keyword occurrence in content to hits, in order of
// their end.
func (k *keywordIndex) find(content []byte, hits []hit) []hit {
	return k.scan(content, 0, hits)
}

// scan runs the automaton over content, whose first byte is at offset base.
func (k *keywordIndex) scan(content []byte, base int, hits []hit) []hit {
	var s int16
	delta, class := k.delta, &k.class
	for i, b := range content {
		s = delta[int(s)+int(class[b])]
		if s < 0 {
			s = ^s
			hits = k.emit(hits, s, base+i+1)
		}
	}
	return hits
}

// emit appends the keywords that end in state s (premultiplied) at end.
func (k *keywordIndex) emit(hits []hit, s int16, end int) []hit {
	for _, kw := range k.out[int(s)/k.nclass] {
		hits = append(hits, hit{kw: kw, end: end})
	}
	return hits
}
