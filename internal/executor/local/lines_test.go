//go:build unix

package local

import (
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/executor"
)

func collect(t *testing.T, in string, max int, oneByte bool) []string {
	t.Helper()
	var r = iotest.DataErrReader(strings.NewReader(in))
	if oneByte {
		r = iotest.OneByteReader(strings.NewReader(in))
	}
	var got []string
	readLines(r, executor.Stderr, max, func(lines []executor.Line) {
		for _, l := range lines {
			if l.Stream != executor.Stderr || l.Time.IsZero() {
				t.Errorf("line %q: stream %v time %v", l.Text, l.Stream, l.Time)
			}
			got = append(got, l.Text)
		}
	})
	return got
}

func TestReadLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"empty", "", 8, nil},
		{"lines", "a\nbb\n\nccc\n", 8, []string{"a", "bb", "", "ccc"}},
		{"final line without newline", "a\nlast", 8, []string{"a", "last"}},
		{"crlf", "dos\r\nunix\n", 8, []string{"dos", "unix"}},
		{"invalid utf8", "ok\xff\xfe!\n", 8, []string{"ok\uFFFD!"}},
		{"split long line", "0123456789abcdefXYZ\nnext\n", 8, []string{"01234567", "89abcdef", "XYZ", "next"}},
		{"exact max", "01234567\n", 8, []string{"01234567"}},
		{"exact max no newline", "01234567", 8, []string{"01234567"}},
		// é is 2 bytes: a cut at byte 8 would fall inside it.
		{"split keeps runes whole", "abcdefgé12\n", 8, []string{"abcdefg", "é12"}},
		{"three-byte rune", "abcdef€x\n", 8, []string{"abcdef", "€x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, oneByte := range []bool{false, true} {
				got := collect(t, tt.in, tt.max, oneByte)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("oneByte=%v (-want +got):\n%s", oneByte, diff)
				}
			}
		})
	}
}

func TestReadLinesLongLineChunks(t *testing.T) {
	line := strings.Repeat("é", 100_000) // 200 000 bytes, no newline
	got := collect(t, line+"\n", 1000, false)
	if strings.Join(got, "") != line {
		t.Fatal("chunks do not add up to the line")
	}
	for i, c := range got {
		if len(c) > 1000 || !utf8.ValidString(c) || strings.ContainsRune(c, utf8.RuneError) {
			t.Fatalf("chunk %d: len %d, valid %v", i, len(c), utf8.ValidString(c))
		}
	}
	if len(got) != 200 {
		t.Errorf("got %d chunks, want 200", len(got))
	}
}
