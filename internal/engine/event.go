package engine

import (
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// EventType names what happened.
type EventType string

// Event types, in the order they occur for a run.
const (
	RunStarted   EventType = "run.started"
	JobQueued    EventType = "job.queued"
	JobStarted   EventType = "job.started"
	StepStarted  EventType = "step.started"
	LogLine      EventType = "log"
	StepFinished EventType = "step.finished"
	JobFinished  EventType = "job.finished"
	RunFinished  EventType = "run.finished"
)

// Event is one thing that happened during a run. Observers receive events in
// the order they happened, from one goroutine at a time.
type Event struct {
	Type  EventType `json:"type"`
	Time  time.Time `json:"time"`
	RunID string    `json:"run"`
	// RunNumber is set on run events.
	RunNumber int64  `json:"number,omitempty"`
	JobID     string `json:"job,omitempty"`
	JobName   string `json:"job_name,omitempty"`
	// Step is the step index (0-based) on step and log events; -1 otherwise.
	Step     int          `json:"step"`
	StepName string       `json:"step_name,omitempty"`
	Status   store.Status `json:"status,omitempty"`
	// Reason says why a job was skipped or failed, or why a run failed.
	Reason   string        `json:"reason,omitempty"`
	ExitCode int           `json:"exit_code,omitempty"`
	Attempt  int           `json:"attempt,omitempty"`
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Stream and Text are set on log events; Text is already masked.
	Stream store.Stream `json:"stream,omitempty"`
	Text   string       `json:"text,omitempty"`
}

// Observer receives events. It must not block for long: the engine calls it
// inline.
type Observer func(Event)
