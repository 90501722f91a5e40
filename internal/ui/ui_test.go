package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sluice-ci/sluice/internal/store"
)

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0.0s"},
		{0, "0.0s"},
		{49 * time.Millisecond, "0.0s"},
		{1250 * time.Millisecond, "1.2s"},
		{59999 * time.Millisecond, "59.9s"},
		{time.Minute, "1m00s"},
		{63*time.Second + 900*time.Millisecond, "1m03s"},
		{59*time.Minute + 59*time.Second, "59m59s"},
		{2*time.Hour + 5*time.Minute + 30*time.Second, "2h05m"},
	}
	for _, tc := range tests {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestRingKeepsLastLines(t *testing.T) {
	tests := []struct {
		size, add int
		want      []string
	}{
		{3, 0, []string{}},
		{3, 2, []string{"1", "2"}},
		{3, 3, []string{"1", "2", "3"}},
		{3, 7, []string{"5", "6", "7"}},
		{0, 4, []string{}},
	}
	for _, tc := range tests {
		r := newRing(tc.size)
		for i := 1; i <= tc.add; i++ {
			r.add(logLine{text: string(rune('0' + i))})
		}
		got := []string{}
		for _, l := range r.lines() {
			got = append(got, l.text)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ring(%d) after %d adds (-want +got):\n%s", tc.size, tc.add, diff)
		}
		if r.total != tc.add {
			t.Errorf("ring(%d).total = %d, want %d", tc.size, r.total, tc.add)
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		in, clean, keep string
	}{
		{"plain text", "plain text", "plain text"},
		{"tab\tkept", "tab\tkept", "tab\tkept"},
		{"\x1b[1;31mred\x1b[0m", "red", "\x1b[1;31mred\x1b[0m"},
		{"up\x1b[2Aand\x1b[K", "upand", "upand"},
		{"title\x1b]0;hi\x07done", "titledone", "titledone"},
		{"progress 10%\rprogress 100%", "progress 10%progress 100%", "progress 10%progress 100%"},
		{"bell\x07nul\x00del\x7f", "bellnuldel", "bellnuldel"},
		{"trailing escape\x1b", "trailing escape", "trailing escape"},
		{"cut csi\x1b[12", "cut csi", "cut csi"},
	}
	for _, tc := range tests {
		if got := sanitize(tc.in, false); got != tc.clean {
			t.Errorf("sanitize(%q, false) = %q, want %q", tc.in, got, tc.clean)
		}
		if got := sanitize(tc.in, true); got != tc.keep {
			t.Errorf("sanitize(%q, true) = %q, want %q", tc.in, got, tc.keep)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"too long", 5, "too …"},
		{"ünïcödé", 4, "ünï…"},
		{"abc", 1, "a"},
		{"abc", 0, ""},
	}
	for _, tc := range tests {
		if got := truncate(tc.s, tc.n, "…"); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

func TestParseModeAndColor(t *testing.T) {
	for _, m := range []Mode{ModeAuto, ModeLive, ModePlain, ModeJSON} {
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	for _, c := range []Color{ColorAuto, ColorAlways, ColorNever} {
		got, err := ParseColor(c.String())
		if err != nil || got != c {
			t.Errorf("ParseColor(%q) = %v, %v", c.String(), got, err)
		}
	}
	if _, err := ParseMode("fancy"); err == nil {
		t.Error("ParseMode(fancy) succeeded")
	}
	if _, err := ParseColor("sometimes"); err == nil {
		t.Error("ParseColor(sometimes) succeeded")
	}
}

func TestUseColor(t *testing.T) {
	tests := []struct {
		name           string
		choice         Color
		tty            bool
		noColor, force string
		term           string
		want           bool
	}{
		{"always wins over NO_COLOR", ColorAlways, false, "1", "", "xterm", true},
		{"never wins over CLICOLOR_FORCE", ColorNever, true, "", "1", "xterm", false},
		{"terminal", ColorAuto, true, "", "", "xterm", true},
		{"pipe", ColorAuto, false, "", "", "xterm", false},
		{"NO_COLOR on a terminal", ColorAuto, true, "1", "", "xterm", false},
		{"CLICOLOR_FORCE on a pipe", ColorAuto, false, "", "1", "xterm", true},
		{"CLICOLOR_FORCE=0", ColorAuto, false, "", "0", "xterm", false},
		{"NO_COLOR beats CLICOLOR_FORCE", ColorAuto, false, "1", "1", "xterm", false},
		{"dumb terminal", ColorAuto, true, "", "", "dumb", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tc.noColor)
			t.Setenv("CLICOLOR_FORCE", tc.force)
			t.Setenv("TERM", tc.term)
			if got := useColor(tc.choice, tc.tty); got != tc.want {
				t.Errorf("useColor = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewPicksMode(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	t.Setenv("CLICOLOR_FORCE", "")
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	tests := []struct {
		name string
		r    Renderer
		want string
	}{
		{"auto on a buffer", New(&buf, Options{}), "*ui.plain"},
		{"auto on a regular file", New(f, Options{}), "*ui.plain"},
		{"forced live", New(&buf, Options{Mode: ModeLive}), "*ui.live"},
		{"json", New(f, Options{Mode: ModeJSON}), "*ui.jsonLines"},
	}
	for _, tc := range tests {
		if got := typeName(tc.r); got != tc.want {
			t.Errorf("%s: New = %s, want %s", tc.name, got, tc.want)
		}
		if err := tc.r.Close(); err != nil {
			t.Errorf("%s: Close: %v", tc.name, err)
		}
	}
	if p := New(f, Options{}).(*plain); p.st.color {
		t.Error("auto colour is on for a regular file")
	}
	if fd, tty := terminalFD(f); fd < 0 || tty {
		t.Errorf("terminalFD(regular file) = %d, %v", fd, tty)
	}
	if w, h := sizeFunc(-1, false)(); w != fallbackWidth || h != fallbackHeight {
		t.Errorf("size of a non-terminal = %dx%d, want the fallback", w, h)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *plain:
		return "*ui.plain"
	case *live:
		return "*ui.live"
	case *jsonLines:
		return "*ui.jsonLines"
	}
	return "?"
}

func TestSymbolsCoverEveryStatus(t *testing.T) {
	all := []store.Status{store.StatusPending, store.StatusRunning, store.StatusSucceeded,
		store.StatusFailed, store.StatusSkipped, store.StatusCancelled, store.StatusInterrupted}
	for _, ascii := range []bool{false, true} {
		seen := map[string]store.Status{}
		for _, s := range all {
			sym := style{ascii: ascii}.symbol(s)
			if other, dup := seen[sym]; dup {
				t.Errorf("ascii=%v: %s and %s share symbol %q", ascii, s, other, sym)
			}
			seen[sym] = s
		}
	}
}
