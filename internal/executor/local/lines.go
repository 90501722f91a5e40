//go:build unix

package local

import (
	"bytes"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/executor"
)

// minRead is the least free space offered to each Read.
const minRead = 32 << 10

// maxBatch caps the lines handed to deliver at once, keeping the batch in
// cache and the other stream's wait for the lock short.
const maxBatch = 256

// readLines reads r until it fails (EOF or closed), splitting the bytes into
// lines of at most max bytes, and passes each read's lines to deliver in one
// call. Lines from one read share the time of that read. A final line without
// a newline is delivered too. Memory use is bounded by max+minRead bytes of
// buffer plus one read's worth of lines, whatever the input size.
func readLines(r io.Reader, stream executor.Stream, max int, deliver func([]executor.Line)) {
	buf := make([]byte, max+minRead)
	var batch []executor.Line
	start, end := 0, 0 // buf[start:end] is the pending partial line
	emit := func(b []byte, t time.Time) {
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
		batch = append(batch, executor.Line{Time: t, Stream: stream, Text: text(b)})
		if len(batch) == maxBatch {
			flush(&batch, deliver)
		}
	}
	for {
		if start == end {
			start, end = 0, 0
		} else if len(buf)-end < minRead {
			end = copy(buf, buf[start:end])
			start = 0
		}
		n, err := r.Read(buf[end:])
		if n > 0 {
			t := time.Now()
			scanFrom := end
			end += n
			for {
				i := bytes.IndexByte(buf[scanFrom:end], '\n')
				if i < 0 {
					break
				}
				nl := scanFrom + i
				for nl-start > max {
					c := cut(buf[start:nl], max)
					emit(buf[start:start+c], t)
					start += c
				}
				emit(buf[start:nl], t)
				start = nl + 1
				scanFrom = start
			}
			for end-start > max {
				c := cut(buf[start:end], max)
				emit(buf[start:start+c], t)
				start += c
			}
		}
		if err != nil {
			if end > start {
				emit(buf[start:end], time.Now())
			}
			flush(&batch, deliver)
			return
		}
		flush(&batch, deliver)
	}
}

func flush(batch *[]executor.Line, deliver func([]executor.Line)) {
	if len(*batch) == 0 {
		return
	}
	deliver(*batch)
	clear(*batch) // drop references to the strings
	*batch = (*batch)[:0]
}

// cut returns where to split b (longer than max bytes) so that the first
// chunk has at most max bytes and, when possible, does not end inside a
// UTF-8 sequence.
func cut(b []byte, max int) int {
	for j := max - 1; j >= 0 && j > max-utf8.UTFMax; j-- {
		if utf8.RuneStart(b[j]) {
			if utf8.FullRune(b[j:max]) || j == 0 {
				return max
			}
			return j
		}
	}
	return max
}

// text converts b to a string, replacing invalid UTF-8 with U+FFFD.
func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
