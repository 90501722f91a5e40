package local

import (
	"context"
	"sync"
	"time"
)

// SupervisorInterval is how often a Supervisor checks its instances.
const SupervisorInterval = 200 * time.Millisecond

// Crash reports a watched replica whose process is gone.
type Crash struct {
	Instance *Instance
	// Status is how the process ended ("exit status 2", "signal: killed")
	// when it was a child of this sluice process; empty otherwise.
	Status string
	// LogTail holds the last lines of its log.
	LogTail []string
}

// Supervisor watches running replicas and reports each one whose process
// ends through a callback, so the release controller can react (a replica
// that crashes after promotion triggers a rollback). It checks Alive every
// SupervisorInterval. Stop a watched replica through Supervisor.Stop (or
// Unwatch it first) so that a deliberate stop is not reported as a crash.
type Supervisor struct {
	onCrash func(Crash)

	mu      sync.Mutex
	watched map[childKey]*Instance
	wake    chan struct{}
}

// NewSupervisor returns a Supervisor calling onCrash once for every watched
// replica that ends. onCrash runs on the goroutine of Run, one call at a
// time; it must not block for long.
func NewSupervisor(onCrash func(Crash)) *Supervisor {
	return &Supervisor{onCrash: onCrash, watched: map[childKey]*Instance{}, wake: make(chan struct{}, 1)}
}

// Watch adds inst to the watched replicas. A replica already gone when it
// is checked is reported too.
func (s *Supervisor) Watch(inst *Instance) {
	s.mu.Lock()
	s.watched[keyOf(inst)] = inst
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Unwatch removes inst; its end is no longer reported.
func (s *Supervisor) Unwatch(inst *Instance) {
	s.mu.Lock()
	delete(s.watched, keyOf(inst))
	s.mu.Unlock()
}

// Watched returns the replicas being watched, in no particular order.
func (s *Supervisor) Watched() []*Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Instance, 0, len(s.watched))
	for _, inst := range s.watched {
		out = append(out, inst)
	}
	return out
}

// Stop unwatches inst and stops it (see the package function Stop).
func (s *Supervisor) Stop(ctx context.Context, inst *Instance, grace time.Duration) error {
	s.Unwatch(inst)
	return Stop(ctx, inst, grace)
}

// Run checks the watched replicas until ctx ends. Start it once, in its own
// goroutine.
func (s *Supervisor) Run(ctx context.Context) {
	tick := time.NewTicker(SupervisorInterval)
	defer tick.Stop()
	for {
		s.check()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.wake:
		}
	}
}

// check reports and drops every watched replica that has ended.
func (s *Supervisor) check() {
	for _, inst := range s.Watched() {
		if Alive(inst) {
			continue
		}
		s.mu.Lock()
		_, still := s.watched[keyOf(inst)]
		delete(s.watched, keyOf(inst))
		s.mu.Unlock()
		if !still {
			continue // unwatched meanwhile
		}
		s.onCrash(Crash{Instance: inst, Status: awaitStatus(inst), LogTail: logTail(inst, 10)})
	}
}
