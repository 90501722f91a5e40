package secrets

// filterShift sizes the prefilter: 1<<filterShift bits (32 KiB), so that a
// few hundred patterns leave a false hit at about one position in a thousand.
const filterShift = 18

// prefilter answers quickly where the first match could start: a text
// position cannot start any pattern unless its first two bytes are in pairs
// (a small table that stays in cache) and a hash of its first four bytes is
// in bits. It lets Mask skip the full scan on the common line that holds no
// secret.
type prefilter struct {
	pairs []uint64
	bits  []uint64
	// off disables the filter when a pattern is shorter than four bytes.
	off bool
}

func newPrefilter(patterns []string) prefilter {
	f := prefilter{pairs: make([]uint64, (1<<16)/64), bits: make([]uint64, (1<<filterShift)/64)}
	for _, p := range patterns {
		if len(p) < 4 {
			f.off = true
			continue
		}
		pair := uint32(p[0]) | uint32(p[1])<<8
		f.pairs[pair/64] |= 1 << (pair % 64)
		h := hash4(uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16 | uint32(p[3])<<24)
		f.bits[h/64] |= 1 << (h % 64)
	}
	return f
}

func hash4(w uint32) uint32 {
	return (w * 0x9E3779B1) >> (32 - filterShift)
}

// first returns the first position of s where a pattern may start, or -1
// if none can.
func (f prefilter) first(s string) int {
	if f.off {
		return 0
	}
	if len(s) < 4 {
		return -1
	}
	w := uint32(s[0])<<8 | uint32(s[1])<<16 | uint32(s[2])<<24
	for i := 3; i < len(s); i++ {
		w = w>>8 | uint32(s[i])<<24
		if pair := w & 0xffff; f.pairs[pair/64]&(1<<(pair%64)) == 0 {
			continue
		}
		h := hash4(w)
		if f.bits[h/64]&(1<<(h%64)) != 0 {
			return i - 3
		}
	}
	return -1
}
