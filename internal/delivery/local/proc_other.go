//go:build !linux

package local

import (
	"context"
	"fmt"
	"time"
)

// Start starts one replica. The local deploy target needs Linux (/proc,
// setsid); here it returns ErrNotSupported.
func Start(ctx context.Context, spec Spec) (*Instance, error) {
	return nil, fmt.Errorf("start release %s replica %d: %w", spec.Release, spec.Replica, ErrNotSupported)
}

// Alive reports whether the process of inst runs; it is always false on
// platforms other than Linux.
func Alive(inst *Instance) bool { return false }

// Stop ends the replica; it returns ErrNotSupported on platforms other than
// Linux.
func Stop(ctx context.Context, inst *Instance, grace time.Duration) error {
	if inst == nil {
		return nil
	}
	return fmt.Errorf("stop %s: %w", inst, ErrNotSupported)
}
