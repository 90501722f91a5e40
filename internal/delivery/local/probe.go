package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Errors a *HealthError wraps, for errors.Is.
var (
	// ErrExited: the process ended before it became healthy.
	ErrExited = errors.New("the process exited before it became healthy")
	// ErrStartupTimeout: the startup timeout passed before the replica
	// became healthy.
	ErrStartupTimeout = errors.New("the replica did not become healthy before the startup timeout")
)

// HealthError says why a replica did not become healthy, with the end of
// its log.
type HealthError struct {
	Instance *Instance
	// Err is ErrExited, ErrStartupTimeout or the context's error.
	Err error
	// Status is how the process ended ("exit status 1") when known: only
	// for a child of this sluice process.
	Status string
	// LastProbe is the error of the last failed probe, if any.
	LastProbe error
	// LogTail holds the last lines the process wrote in this run.
	LogTail []string
}

// Error reads like "release r1 replica 0 (pid 12, 127.0.0.1:4000): the
// process exited before it became healthy (exit status 1); last lines of
// app.log: ...".
func (e *HealthError) Error() string {
	var b strings.Builder
	b.WriteString(e.Instance.String())
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Status != "" {
		fmt.Fprintf(&b, " (%s)", e.Status)
	}
	if e.LastProbe != nil {
		fmt.Fprintf(&b, "; last probe: %v", e.LastProbe)
	}
	if errors.Is(e.Err, ErrStartupTimeout) {
		b.WriteString("; check that the app listens on 127.0.0.1:${PORT} and that deploy.health.path answers 2xx, or raise deploy.health.startup_timeout")
	}
	if len(e.LogTail) == 0 {
		fmt.Fprintf(&b, "; the log %s is empty", e.Instance.LogFile)
	} else {
		fmt.Fprintf(&b, "; last lines of %s:", e.Instance.LogFile)
		for _, l := range e.LogTail {
			b.WriteString("\n  ")
			b.WriteString(l)
		}
	}
	return b.String()
}

// Unwrap returns Err.
func (e *HealthError) Unwrap() error { return e.Err }

// probeClient never reuses connections (a replica may be replaced by another
// on the same port) and never uses a proxy (replicas are on loopback).
var probeClient = &http.Client{
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// Probe makes one health check: GET http://addr+hc.Path within hc.Timeout;
// a 2xx or 3xx answer passes, anything else is an error saying what came
// back.
func Probe(ctx context.Context, addr string, hc HealthCheck) error {
	hc = hc.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, hc.Timeout)
	defer cancel()
	url := "http://" + addr + hc.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	req.Header.Set("User-Agent", "sluice-health")
	resp, err := probeClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return fmt.Errorf("probe GET %s: status %s", url, resp.Status)
	}
	return nil
}

// WaitHealthy probes inst every hc.Interval until hc.HealthyThreshold probes
// in a row pass. It fails early when the process exits (error wrapping
// ErrExited, with the exit status when the process is a child of this one)
// and when hc.StartupTimeout, counted from the call, passes (wrapping
// ErrStartupTimeout); both errors are a *HealthError holding the last lines
// of the log. A child's exit is noticed at once, another process's within
// one interval.
func WaitHealthy(ctx context.Context, inst *Instance, hc HealthCheck) error {
	hc = hc.withDefaults()
	deadline := time.NewTimer(hc.StartupTimeout)
	defer deadline.Stop()
	done := doneChan(inst)
	var last error
	passes := 0
	fail := func(err error) error {
		he := &HealthError{Instance: inst, Err: err, LastProbe: last, LogTail: logTail(inst, 10)}
		if errors.Is(err, ErrExited) {
			he.Status = awaitStatus(inst)
			he.LastProbe = nil // a refused connection says nothing more
		}
		return he
	}
	// A probe of a child is cut short when it exits: another process may
	// hold the port and accept connections without ever answering.
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	if done != nil {
		go func() {
			select {
			case <-done:
				pcancel()
			case <-pctx.Done():
			}
		}()
	}
	for {
		if !Alive(inst) {
			return fail(ErrExited)
		}
		perr := Probe(pctx, inst.Addr, hc)
		switch {
		case perr == nil:
			passes++
			if passes >= hc.HealthyThreshold {
				return nil
			}
		case ctx.Err() != nil:
			return fail(ctx.Err())
		default:
			passes, last = 0, perr
		}
		wait := time.NewTimer(hc.Interval)
		select {
		case <-ctx.Done():
			wait.Stop()
			return fail(ctx.Err())
		case <-deadline.C:
			wait.Stop()
			if !Alive(inst) {
				return fail(ErrExited)
			}
			return fail(ErrStartupTimeout)
		case <-done:
			wait.Stop()
			return fail(ErrExited)
		case <-wait.C:
		}
	}
}

// awaitStatus returns the exit status of a child, giving its reaper a moment
// to collect it (the process may be a zombie not reaped yet).
func awaitStatus(inst *Instance) string {
	if done := doneChan(inst); done != nil {
		select {
		case <-done:
		case <-time.After(time.Second):
		}
	}
	s, _ := exitStatus(inst)
	return s
}

// tailBytes bounds how much of the log is read for its last lines.
const tailBytes = 64 << 10

// logTail returns up to n last lines the process wrote to its log since it
// started (from inst.LogStart), each cut to 500 bytes.
func logTail(inst *Instance, n int) []string {
	f, err := os.Open(inst.LogFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	from := max(inst.LogStart, fi.Size()-tailBytes, 0)
	if from > fi.Size() {
		from = 0 // the file was truncated or replaced
	}
	buf := make([]byte, fi.Size()-from)
	k, _ := f.ReadAt(buf, from)
	buf = bytes.TrimRight(buf[:k], "\r\n")
	if len(buf) == 0 {
		return nil
	}
	lines := strings.Split(string(buf), "\n")
	if from > inst.LogStart && len(lines) > 1 {
		lines = lines[1:] // the first line is cut
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		if len(l) > 500 {
			l = l[:500] + "…"
		}
		lines[i] = l
	}
	return lines
}
