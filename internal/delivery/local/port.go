package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago: the
// kernel picks one, and it is released at once for the app to take. Another
// process can take it first; StartHealthy copes with that.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
	}
	return port, nil
}

// failedStartGrace is how long StartHealthy lets a replica that did not
// become healthy shut down before killing it.
const failedStartGrace = 5 * time.Second

// StartHealthy starts a replica and waits until it is healthy, trying up to
// attempts times (at least once). A port from FreePort can be taken by
// another process before the app binds it; when the app exits early and the
// last lines of its log say "address already in use", StartHealthy starts
// it again on another free port (spec.Port is only used for the first
// attempt; 0 picks a free one). Any other failure is returned as is, after
// stopping the replica when it still runs. The returned Instance carries the
// port finally used.
func StartHealthy(ctx context.Context, spec Spec, hc HealthCheck, attempts int) (*Instance, error) {
	attempts = max(attempts, 1)
	var lastErr error
	for i := range attempts {
		if i > 0 {
			spec.Port = 0
		}
		inst, err := Start(ctx, spec)
		if err != nil {
			return nil, err
		}
		err = WaitHealthy(ctx, inst, hc)
		if err == nil {
			return inst, nil
		}
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), failedStartGrace+15*time.Second)
		serr := Stop(stopCtx, inst, failedStartGrace)
		cancel()
		if serr != nil {
			return nil, errors.Join(err, serr)
		}
		if !portInUse(err) {
			return nil, err
		}
		lastErr = err
	}
	return nil, fmt.Errorf("start release %s replica %d: the port was taken %d times in a row: %w", spec.Release, spec.Replica, attempts, lastErr)
}

// portInUse reports an early exit whose log says the port was taken.
func portInUse(err error) bool {
	var he *HealthError
	if !errors.As(err, &he) || !errors.Is(err, ErrExited) {
		return false
	}
	for _, l := range he.LogTail {
		l = strings.ToLower(l)
		if strings.Contains(l, "address already in use") || strings.Contains(l, "eaddrinuse") {
			return true
		}
	}
	return false
}
