package local

import (
	"os"
	"sync"
	"time"
)

// children records the processes this sluice process started, so that their
// exit status can be reported and a wait can end at once instead of polling.
// Entries of processes that exited long ago are pruned by the next Start;
// Stop removes its instance's entry.
var children = struct {
	sync.Mutex
	m map[childKey]*child
}{m: map[childKey]*child{}}

// keepExited is how long the exit status of a child stays known.
const keepExited = 10 * time.Minute

type childKey struct {
	pid   int
	ticks uint64
}

func keyOf(inst *Instance) childKey { return childKey{inst.PID, inst.StartTicks} }

type child struct {
	done   chan struct{} // closed once reaped
	ended  time.Time
	status string // "exit status 1", "signal: killed", or a wait error
}

// addChild registers a started child and prunes old exited ones.
func addChild(k childKey) *child {
	c := &child{done: make(chan struct{})}
	children.Lock()
	defer children.Unlock()
	now := time.Now()
	for ok, oc := range children.m {
		select {
		case <-oc.done:
			if now.Sub(oc.ended) > keepExited {
				delete(children.m, ok)
			}
		default:
		}
	}
	children.m[k] = c
	return c
}

// reaped records the end of a child; called once by its reaper goroutine.
func reaped(k childKey, c *child, state *os.ProcessState, err error) {
	children.Lock()
	c.ended = time.Now()
	switch {
	case state != nil:
		c.status = state.String()
	case err != nil:
		c.status = err.Error()
	}
	children.Unlock()
	close(c.done)
}

// childOf returns the child record of inst, or nil when inst was not started
// by this process (or its record was pruned).
func childOf(inst *Instance) *child {
	children.Lock()
	defer children.Unlock()
	return children.m[keyOf(inst)]
}

// exitStatus returns how inst ended ("exit status 3") when it was a child of
// this process and has been reaped.
func exitStatus(inst *Instance) (string, bool) {
	c := childOf(inst)
	if c == nil {
		return "", false
	}
	select {
	case <-c.done:
		children.Lock()
		defer children.Unlock()
		return c.status, c.status != ""
	default:
		return "", false
	}
}

// doneChan returns a channel closed when inst, a child of this process, has
// been reaped; nil (blocks forever in a select) for other processes.
func doneChan(inst *Instance) <-chan struct{} {
	if c := childOf(inst); c != nil {
		return c.done
	}
	return nil
}

func forgetChild(inst *Instance) {
	children.Lock()
	defer children.Unlock()
	if c, ok := children.m[keyOf(inst)]; ok {
		select {
		case <-c.done:
			delete(children.m, keyOf(inst))
		default:
		}
	}
}
