package ui

import "github.com/sluice-ci/sluice/internal/store"

// logLine is one remembered line of output.
type logLine struct {
	stream store.Stream
	text   string
}

// ring keeps the last few lines added to it and counts all of them.
type ring struct {
	buf   []logLine
	next  int // where the next line goes once buf is full
	total int
}

func newRing(size int) *ring {
	if size < 0 {
		size = 0
	}
	return &ring{buf: make([]logLine, 0, size)}
}

// add remembers l, forgetting the oldest line when full.
func (r *ring) add(l logLine) {
	r.total++
	if cap(r.buf) == 0 {
		return
	}
	if len(r.buf) < cap(r.buf) {
		r.buf = append(r.buf, l)
		return
	}
	r.buf[r.next] = l
	r.next = (r.next + 1) % len(r.buf)
}

// lines returns the remembered lines, oldest first.
func (r *ring) lines() []logLine {
	out := make([]logLine, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}
