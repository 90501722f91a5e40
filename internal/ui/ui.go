// Package ui shows a run to people and machines: it renders the engine's
// events live on a terminal, as timestamped plain lines when piped, or as one
// JSON object per line for tools.
package ui

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/engine"
)

// Mode chooses how events are rendered.
type Mode int

// Rendering modes. ModeAuto picks ModeLive on a capable terminal, ModePlain
// otherwise.
const (
	ModeAuto Mode = iota
	ModeLive
	ModePlain
	ModeJSON
)

var modeNames = []string{"auto", "live", "plain", "json"}

// String returns the mode's flag spelling.
func (m Mode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return fmt.Sprintf("Mode(%d)", int(m))
	}
	return modeNames[m]
}

// ParseMode reads a mode as spelled on the command line (auto, live, plain, json).
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if strings.EqualFold(s, n) {
			return Mode(i), nil
		}
	}
	return ModeAuto, fmt.Errorf("unknown output mode %q (want one of %s)", s, strings.Join(modeNames, ", "))
}

// Color chooses whether ANSI colours are used.
type Color int

// Colour choices. ColorAuto colours a terminal unless NO_COLOR is set, and
// colours anything when CLICOLOR_FORCE is set (to a value other than 0).
const (
	ColorAuto Color = iota
	ColorAlways
	ColorNever
)

var colorNames = []string{"auto", "always", "never"}

// String returns the colour choice's flag spelling.
func (c Color) String() string {
	if c < 0 || int(c) >= len(colorNames) {
		return fmt.Sprintf("Color(%d)", int(c))
	}
	return colorNames[c]
}

// ParseColor reads a colour choice as spelled on the command line (auto, always, never).
func ParseColor(s string) (Color, error) {
	for i, n := range colorNames {
		if strings.EqualFold(s, n) {
			return Color(i), nil
		}
	}
	return ColorAuto, fmt.Errorf("unknown color choice %q (want one of %s)", s, strings.Join(colorNames, ", "))
}

// DefaultTail is how many log lines of a failed step the summary shows when
// Options.Tail is zero.
const DefaultTail = 20

// DefaultInterval is the live mode's redraw period when Options.Interval is zero.
const DefaultInterval = 100 * time.Millisecond

// Options configure a Renderer. The zero value is usable.
type Options struct {
	Mode  Mode
	Color Color
	// ASCII replaces the UTF-8 status symbols with [ok] [FAIL] [skip] style
	// markers.
	ASCII bool
	// Tail is how many of a failed step's last log lines the summary shows:
	// 0 means DefaultTail, a negative value none.
	Tail int
	// Interval is the live redraw period; 0 means DefaultInterval.
	Interval time.Duration
	// Now tells the time, for durations of running jobs; nil means time.Now.
	Now func() time.Time
}

// Renderer shows a run's events. Handle may be passed as an engine.Observer;
// it must be called from one goroutine at a time, as the engine does. Close
// stops any background redraw and prints the summary; call it once the run
// has finished (or been abandoned). Write errors are kept and returned by Close.
type Renderer interface {
	Handle(ev engine.Event)
	Close() error
}

// New returns a Renderer writing to w in the mode opts ask for. In ModeLive it
// starts a goroutine redrawing the job list, which Close stops.
func New(w io.Writer, opts Options) Renderer {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Tail == 0 {
		opts.Tail = DefaultTail
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	fd, tty := terminalFD(w)
	mode := opts.Mode
	if mode == ModeAuto {
		mode = ModePlain
		if tty && os.Getenv("TERM") != "dumb" {
			mode = ModeLive
		}
	}
	st := style{color: useColor(opts.Color, tty), ascii: opts.ASCII}
	switch mode {
	case ModeJSON:
		return newJSON(w)
	case ModeLive:
		return newLive(w, st, opts, sizeFunc(fd, tty))
	default:
		return newPlain(w, st, opts)
	}
}
