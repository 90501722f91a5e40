//go:build unix && !linux

package local

import (
	"os"
	"os/exec"
	"syscall"
)

// proc tracks a started command. exited is closed once the process has
// exited. Without waitid(WNOWAIT) the process is reaped at once, so here a
// recycled pid could in theory be signalled after the group is gone.
type proc struct {
	exited chan struct{}
	state  *os.ProcessState
	err    error
}

func watch(cmd *exec.Cmd) *proc {
	p := &proc{exited: make(chan struct{})}
	go func() {
		defer close(p.exited)
		p.err = cmd.Wait()
		p.state = cmd.ProcessState
	}()
	return p
}

func (p *proc) reap() (*os.ProcessState, error) {
	<-p.exited
	return p.state, p.err
}

// groupAlive reports whether the group still has members (zombies included).
func groupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}
