package ui

import (
	"io"
	"os"

	"golang.org/x/term"
)

// Fallback terminal size when the writer is not a terminal or cannot tell.
const (
	fallbackWidth  = 80
	fallbackHeight = 24
)

// terminalFD returns w's file descriptor and whether it is a terminal.
func terminalFD(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok {
		return -1, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// useColor resolves a colour choice: an explicit choice wins, then NO_COLOR
// (any non-empty value) turns colour off, CLICOLOR_FORCE (non-empty, not 0)
// turns it on, and otherwise a terminal that is not "dumb" gets colour.
func useColor(c Color, tty bool) bool {
	switch c {
	case ColorAlways:
		return true
	case ColorNever:
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	if v := os.Getenv("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true
	}
	return tty && os.Getenv("TERM") != "dumb"
}

// sizeFunc returns a function reporting the terminal's width and height,
// falling back to 80x24 when they cannot be read.
func sizeFunc(fd int, tty bool) func() (int, int) {
	return func() (int, int) {
		if !tty {
			return fallbackWidth, fallbackHeight
		}
		w, h, err := term.GetSize(fd)
		if err != nil || w <= 0 || h <= 0 {
			return fallbackWidth, fallbackHeight
		}
		return w, h
	}
}
