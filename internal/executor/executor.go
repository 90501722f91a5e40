// Package executor defines how a step's command is run. Implementations:
// local (a process group on this machine); kubernetes (a pod) later.
package executor

import (
	"context"
	"time"
)

// Step is everything an executor needs to run one step's command.
type Step struct {
	RunID string
	JobID string
	Index int
	Name  string
	// Command is a shell command line.
	Command string
	// Dir is the absolute working directory.
	Dir string
	// Env is the complete environment, KEY=VALUE; nothing else is inherited.
	Env []string
	// Timeout ends the step (and all its processes) after this long; 0: none.
	Timeout time.Duration
	// Grace is how long a cancelled step gets between SIGTERM and SIGKILL.
	Grace time.Duration
	// Started, if set, is called with the process group id once the process
	// has started, before any output is delivered.
	Started func(pgid int)
}

// Stream says which output a line came from.
type Stream int

// Output streams.
const (
	Stdout Stream = iota
	Stderr
)

// Line is one line of output, without its trailing newline.
type Line struct {
	Time   time.Time
	Stream Stream
	Text   string
}

// Result is how a step ended.
type Result struct {
	// ExitCode is the process's exit status; -1 when it was killed by a signal.
	ExitCode int
	// TimedOut is true when the step's own Timeout ended it.
	TimedOut bool
	// Cancelled is true when ctx ended it.
	Cancelled bool
	Duration  time.Duration
}

// Executor runs steps. Run blocks until the step and every process it started
// in its process group have ended; it is safe to call from many goroutines at
// once. out is called from one goroutine at a time, in order per stream.
// A non-nil error means the step could not be started at all (the working
// directory is missing, say); a command that ran and failed is a Result with
// a non-zero ExitCode.
type Executor interface {
	Run(ctx context.Context, s Step, out func(Line)) (Result, error)
}
