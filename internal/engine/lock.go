//go:build unix

package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// runLock is an exclusive advisory lock held by the process executing a run.
// The kernel drops it when the process dies, however it dies, so a later
// process can tell a crashed run from a live one without trusting pids.
type runLock struct{ f *os.File }

// errLocked means another live process holds the run's lock.
var errLocked = errors.New("run is being executed by another sluice process")

func acquireRunLock(path string) (*runLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create lock folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open run lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("lock run: %w", err)
	}
	return &runLock{f: f}, nil
}

func (l *runLock) release() {
	if l == nil || l.f == nil {
		return
	}
	path := l.f.Name()
	_ = os.Remove(path)
	_ = l.f.Close()
	l.f = nil
}
