package ui

import (
	"time"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/store"
)

// jobState is what the renderers know about one job.
type jobState struct {
	id       string
	status   store.Status
	reason   string
	exitCode int
	attempt  int
	// step is the label of the step running now (or last run).
	step     string
	started  time.Time
	finished time.Time
	duration time.Duration
	// failed lists the job's failed steps with their last lines.
	failed []failedStep
}

// failedStep is a step that failed, with the end of its output.
type failedStep struct {
	label    string
	exitCode int
	reason   string
	lines    []logLine
	total    int
}

// elapsed is the job's duration: final once it has finished, growing while it runs.
func (j *jobState) elapsed(now time.Time) time.Duration {
	switch {
	case j.duration > 0:
		return j.duration
	case j.started.IsZero():
		return 0
	case !j.finished.IsZero():
		return j.finished.Sub(j.started)
	case j.status == store.StatusRunning:
		return now.Sub(j.started)
	}
	return 0
}

type stepKey struct {
	job  string
	step int
}

// tracker folds events into the state the live frame and the summary show.
// It is not safe for concurrent use; renderers guard it.
type tracker struct {
	tail int

	runID      string
	number     int64
	runStatus  store.Status
	runReason  string
	runStart   time.Time
	runEnd     time.Time
	runDur     time.Duration
	runEnded   bool
	lastEvent  time.Time
	jobs       []*jobState
	byID       map[string]*jobState
	rings      map[stepKey]*ring
	longestJob int
}

func newTracker(tail int) *tracker {
	return &tracker{tail: tail, byID: map[string]*jobState{}, rings: map[stepKey]*ring{}}
}

// job returns the state of job id, adding it in arrival order when new.
func (t *tracker) job(id string) *jobState {
	if j, ok := t.byID[id]; ok {
		return j
	}
	j := &jobState{id: id, status: store.StatusPending}
	t.byID[id] = j
	t.jobs = append(t.jobs, j)
	if n := len([]rune(id)); n > t.longestJob {
		t.longestJob = n
	}
	return j
}

// apply folds ev into the state.
func (t *tracker) apply(ev engine.Event) {
	if !ev.Time.IsZero() {
		t.lastEvent = ev.Time
	}
	if ev.RunID != "" && t.runID == "" {
		t.runID = ev.RunID
	}
	if ev.RunNumber != 0 {
		t.number = ev.RunNumber
	}
	switch ev.Type {
	case engine.RunStarted:
		t.runStart = ev.Time
		t.runStatus = store.StatusRunning
	case engine.RunFinished:
		t.runEnded = true
		t.runEnd = ev.Time
		t.runDur = ev.Duration
		t.runStatus = ev.Status
		t.runReason = ev.Reason
	case engine.JobQueued:
		j := t.job(ev.JobID)
		if ev.Status != "" {
			j.status = ev.Status
		}
		if ev.Reason != "" {
			j.reason = ev.Reason
		}
	case engine.JobStarted:
		j := t.job(ev.JobID)
		j.status = store.StatusRunning
		j.started = ev.Time
		j.finished = time.Time{}
		j.duration = 0
		j.attempt = ev.Attempt
		j.step = ""
		j.failed = nil
	case engine.StepStarted:
		j := t.job(ev.JobID)
		j.step = stepLabel(ev.StepName, ev.Step)
		t.rings[stepKey{ev.JobID, ev.Step}] = newRing(t.tail)
	case engine.LogLine:
		t.job(ev.JobID)
		k := stepKey{ev.JobID, ev.Step}
		r, ok := t.rings[k]
		if !ok {
			r = newRing(t.tail)
			t.rings[k] = r
		}
		r.add(logLine{stream: ev.Stream, text: ev.Text})
	case engine.StepFinished:
		t.stepFinished(ev)
	case engine.JobFinished:
		j := t.job(ev.JobID)
		j.status = ev.Status
		j.reason = ev.Reason
		j.exitCode = ev.ExitCode
		j.finished = ev.Time
		j.duration = ev.Duration
	}
}

// stepFinished keeps a failed step's last lines and forgets the lines of
// steps that did not fail, so memory stays bounded by Tail per failure.
func (t *tracker) stepFinished(ev engine.Event) {
	j := t.job(ev.JobID)
	k := stepKey{ev.JobID, ev.Step}
	r := t.rings[k]
	delete(t.rings, k)
	if ev.Status != store.StatusFailed {
		return
	}
	fs := failedStep{label: stepLabel(ev.StepName, ev.Step), exitCode: ev.ExitCode, reason: ev.Reason}
	if r != nil {
		fs.lines = r.lines()
		fs.total = r.total
	}
	j.failed = append(j.failed, fs)
}

// jobLines returns the job-level lines (not of any step) kept for a job.
func (t *tracker) jobLines(id string) ([]logLine, int) {
	r := t.rings[stepKey{id, -1}]
	if r == nil {
		return nil, 0
	}
	return r.lines(), r.total
}

// runDuration is how long the run took, or has taken so far.
func (t *tracker) runDuration(now time.Time) time.Duration {
	switch {
	case t.runDur > 0:
		return t.runDur
	case t.runStart.IsZero():
		return 0
	case t.runEnded && !t.runEnd.IsZero():
		return t.runEnd.Sub(t.runStart)
	}
	return now.Sub(t.runStart)
}
