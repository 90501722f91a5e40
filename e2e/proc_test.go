//go:build linux

package e2e

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// proc identifies one process: its id and its start time, so a recycled id
// is never taken for the process the test saw.
type proc struct {
	pid   int
	start string
}

// procStat reads the state and start time of pid from /proc/PID/stat.
func procStat(pid int) (state, start string, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", "", false
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// fields are counted after its closing parenthesis.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", "", false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", "", false
	}
	return f[0], f[19], true // field 3 is the state, field 22 the start time
}

// observe returns the live process pid and makes sure the test kills it at
// the end if it is still running then, whatever the outcome.
func observe(t *testing.T, pid int) proc {
	t.Helper()
	state, start, ok := procStat(pid)
	if !ok || state == "Z" || state == "X" {
		t.Fatalf("process %d is not running (state %q)", pid, state)
	}
	p := proc{pid: pid, start: start}
	t.Cleanup(func() {
		if p.alive() {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
	return p
}

// alive reports whether the process still runs; a zombie (dead, waiting to
// be reaped by whoever adopted it) counts as gone.
func (p proc) alive() bool {
	state, start, ok := procStat(p.pid)
	return ok && start == p.start && state != "Z" && state != "X"
}

// readPid reads a pid a step wrote to a file.
func readPid(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pid
}

// fileHas reports whether the file exists and contains sub.
func fileHas(path, sub string) bool {
	data, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(data), sub)
}

// kill9 sends SIGKILL to the sluice process alone (not its group) and
// waits until it has been reaped.
func (b *background) kill9(t *testing.T) {
	t.Helper()
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL sluice: %v", err)
	}
	<-b.done
}
