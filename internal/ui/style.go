package ui

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/store"
)

// ANSI SGR codes used by the renderers.
const (
	sgrBold    = "1"
	sgrDim     = "2"
	sgrRed     = "31"
	sgrGreen   = "32"
	sgrYellow  = "33"
	sgrMagenta = "35"
	sgrCyan    = "36"
)

// style knows whether to colour and whether to stay within ASCII.
type style struct {
	color bool
	ascii bool
}

// paint wraps text in an SGR sequence when colour is on.
func (s style) paint(code, text string) string {
	if !s.color || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// statusColor is the SGR code a status is painted with.
func statusColor(st store.Status) string {
	switch st {
	case store.StatusSucceeded:
		return sgrGreen
	case store.StatusFailed:
		return sgrRed
	case store.StatusRunning:
		return sgrCyan
	case store.StatusCancelled:
		return sgrYellow
	case store.StatusInterrupted:
		return sgrMagenta
	}
	return sgrDim
}

// symbol is the marker of a final or pending status, uncoloured.
func (s style) symbol(st store.Status) string {
	type pair struct{ utf, ascii string }
	m := map[store.Status]pair{
		store.StatusSucceeded:   {"✓", "[ok]"},
		store.StatusFailed:      {"✗", "[FAIL]"},
		store.StatusSkipped:     {"↷", "[skip]"},
		store.StatusCancelled:   {"⊘", "[cancel]"},
		store.StatusInterrupted: {"!", "[intr]"},
		store.StatusRunning:     {"▶", "[run]"},
		store.StatusPending:     {"·", "[wait]"},
	}
	p, ok := m[st]
	if !ok {
		p = pair{"?", "[" + string(st) + "]"}
	}
	if s.ascii {
		return p.ascii
	}
	return p.utf
}

// mark is symbol painted in the status's colour.
func (s style) mark(st store.Status) string {
	return s.paint(statusColor(st), s.symbol(st))
}

var (
	spinnerUTF   = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
	spinnerASCII = []string{"[|]", "[/]", "[-]", "[\\]"}
)

// spinner returns the running marker for the frame shown at now; it advances
// every 100ms of wall time, so it turns at the redraw rate.
func (s style) spinner(now time.Time) string {
	frames := spinnerUTF
	if s.ascii {
		frames = spinnerASCII
	}
	i := int((now.UnixMilli() / 100) % int64(len(frames)))
	if i < 0 {
		i = -i
	}
	return frames[i]
}

// dash, ellipsis and sep are punctuation with ASCII stand-ins.
func (s style) dash() string     { return pick(s.ascii, "-", "—") }
func (s style) ellipsis() string { return pick(s.ascii, "...", "…") }
func (s style) sep() string      { return pick(s.ascii, ">", "›") }
func (s style) stepMark() string { return pick(s.ascii, "[step]", "▸") }

func pick(ascii bool, a, u string) string {
	if ascii {
		return a
	}
	return u
}

// streamMark marks a log line's stream: | for stdout, ! for stderr and a
// chevron for sluice's own lines.
func (s style) streamMark(st store.Stream) string {
	switch st {
	case store.Stderr:
		return s.paint(sgrYellow, "!")
	case store.System:
		return s.paint(sgrCyan, s.sep())
	}
	return s.paint(sgrDim, "|")
}

// formatDuration prints d as 0.4s, 12.3s, 1m03s or 2h05m.
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		d = d.Truncate(100 * time.Millisecond)
		return fmt.Sprintf("%d.%ds", int(d/time.Second), int(d%time.Second/(100*time.Millisecond)))
	case d < time.Hour:
		d = d.Truncate(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	default:
		d = d.Truncate(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
}

// stepLabel names a step by its name, or by its 1-based number.
func stepLabel(name string, index int) string {
	if name != "" {
		return name
	}
	return fmt.Sprintf("step %d", index+1)
}

// clean removes ANSI escape sequences and control characters other than tab
// from a log line, so a captured line cannot move the cursor or recolour the
// summary.
func clean(s string) string { return sanitize(s, false) }

// sanitize is clean, keeping colour (SGR) sequences when keepColor is set.
func sanitize(s string, keepColor bool) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x1b:
			end := skipEscape(s, i)
			if keepColor && s[end] == 'm' && end > i+1 && s[i+1] == '[' {
				b.WriteString(s[i : end+1])
			}
			i = end
		case c == '\t' || c >= 0x20 && c != 0x7f:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// skipEscape returns the index of the last byte of the escape sequence that
// starts at s[i] (an ESC).
func skipEscape(s string, i int) int {
	if i+1 >= len(s) {
		return i
	}
	switch s[i+1] {
	case '[': // CSI: parameters, then one final byte in 0x40..0x7e
		for j := i + 2; j < len(s); j++ {
			if s[j] >= 0x40 && s[j] <= 0x7e {
				return j
			}
		}
		return len(s) - 1
	case ']': // OSC: ends with BEL or ESC backslash
		for j := i + 2; j < len(s); j++ {
			if s[j] == 0x07 {
				return j
			}
			if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
				return j + 1
			}
		}
		return len(s) - 1
	}
	return i + 1
}

// truncate shortens s to at most n runes, ending it with ell when cut.
func truncate(s string, n int, ell string) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	el := utf8.RuneCountInString(ell)
	if n <= el {
		return string([]rune(s)[:n])
	}
	return string([]rune(s)[:n-el]) + ell
}

// pad right-pads s with spaces to n runes.
func pad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

// padLeft left-pads s with spaces to n runes.
func padLeft(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return strings.Repeat(" ", n-k) + s
	}
	return s
}
