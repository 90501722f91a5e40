// Package diag carries user-facing problems with a configuration file: what is
// wrong, where (file:line:col and the field path), and how to fix it.
//
// Every parser and checker in sluice reports through Diagnostics so that a user
// sees every problem at once, each pointing at the exact place in the file.
package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a diagnostic stops the file from being used.
type Severity int

const (
	// Error makes the file unusable.
	Error Severity = iota
	// Warning is worth fixing but does not stop a run.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText lets Severity appear as a word in JSON output.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Pos is a 1-based line and column in a file. The zero Pos means "unknown".
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// Diagnostic is one problem found in a file.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	// Summary says what is wrong in one line.
	Summary string `json:"summary"`
	// Detail explains more, if there is more to say.
	Detail string `json:"detail,omitempty"`
	// Hint says how to fix it ("did you mean ...").
	Hint string `json:"hint,omitempty"`
	// Path is the field path, e.g. jobs.build.needs[1].
	Path string `json:"path,omitempty"`
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// Location renders file:line:col, leaving out what is unknown.
func (d Diagnostic) Location() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%d:%d", d.Line, d.Col)
	}
	return b.String()
}

// String renders the diagnostic the way compilers do:
// file:line:col: error: jobs.build.needs[1]: summary (hint: ...)
func (d Diagnostic) String() string {
	var b strings.Builder
	if loc := d.Location(); loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Summary)
	if d.Detail != "" {
		b.WriteString(": ")
		b.WriteString(d.Detail)
	}
	if d.Hint != "" {
		b.WriteString(" (hint: ")
		b.WriteString(d.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Diagnostics is a list of problems; it is an error when it holds any Error.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an Error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the Error diagnostics.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Sort orders diagnostics by file, line and column, keeping the order of equals.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Error joins every diagnostic, one per line, so Diagnostics can be returned
// as an error.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Err returns ds as an error when it holds an Error diagnostic, nil otherwise.
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ds
	}
	return nil
}
