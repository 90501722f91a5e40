package gateway

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-ci/sluice/internal/gateway/edge"
)

// EventLogFile is the security event log in the gateway folder: one JSON
// object per line for every request the edge protection matched.
const EventLogFile = "security-events.jsonl"

// Defaults of the security event log.
const (
	// DefaultEventLogMaxBytes is the size at which the log is rotated.
	DefaultEventLogMaxBytes = 32 << 20
	// DefaultEventLogKeep is how many rotated files are kept
	// (security-events.jsonl.1 … .N, .1 the newest).
	DefaultEventLogKeep = 3
	// eventQueue is how many events may wait for the writer; beyond it
	// events are dropped and counted, so a flood never slows requests.
	eventQueue = 8192
	// maxEventPath bounds the path and the query written per event
	// (attack payloads can be long); the rest is cut and marked.
	maxEventPath = 2048
)

// SecurityEvent is one line of the security event log.
type SecurityEvent struct {
	Time         time.Time `json:"time"`
	Env          string    `json:"env"`
	Release      string    `json:"release,omitempty"`
	Layer        string    `json:"layer"`
	Rule         string    `json:"rule"`
	Mode         string    `json:"mode"`
	Enforced     bool      `json:"enforced"`
	Alert        bool      `json:"alert,omitempty"`
	Status       int       `json:"status"`
	RequestID    string    `json:"request_id"`
	ClientIP     string    `json:"client_ip,omitempty"`
	Method       string    `json:"method"`
	Path         string    `json:"path"`
	Query        string    `json:"query,omitempty"`
	Message      string    `json:"message,omitempty"`
	MatchedRules []int     `json:"matched_rules,omitempty"`
}

func eventOf(env string, b edge.Block) SecurityEvent {
	cut := func(s string) string {
		if len(s) > maxEventPath {
			return s[:maxEventPath] + "…(" + strconv.Itoa(len(s)) + " bytes)"
		}
		return s
	}
	return SecurityEvent{
		Time: b.Time.UTC(), Env: env, Release: b.Release, Layer: string(b.Layer), Rule: b.Rule, Mode: string(b.Mode),
		Enforced: b.Enforced, Alert: b.Alert, Status: b.Status, RequestID: b.RequestID, ClientIP: b.ClientIP,
		Method: b.Method, Path: cut(b.Path), Query: cut(b.Query), Message: b.Message, MatchedRules: b.MatchedRules,
	}
}

// eventLog appends security events to a file from one goroutine, rotating
// it by size. Requests hand events over through a bounded queue and never
// wait for the disk.
type eventLog struct {
	path     string
	maxBytes int64
	keep     int
	log      *slog.Logger

	queue   chan SecurityEvent
	dropped atomic.Int64
	written atomic.Int64
	failed  atomic.Int64
	done    chan struct{}
	once    sync.Once
}

// openEventLog opens (creating with mode 0600) the log at path and starts
// its writer; Close stops it after writing what is queued.
func openEventLog(path string, maxBytes int64, keep int, log *slog.Logger) (*eventLog, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultEventLogMaxBytes
	}
	if keep <= 0 {
		keep = DefaultEventLogKeep
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("security event log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("security event log: %w", err)
	}
	l := &eventLog{path: path, maxBytes: maxBytes, keep: keep, log: log, queue: make(chan SecurityEvent, eventQueue), done: make(chan struct{})}
	go l.run(f)
	return l, nil
}

// add queues ev; it never blocks.
func (l *eventLog) add(ev SecurityEvent) {
	select {
	case l.queue <- ev:
	default:
		if l.dropped.Add(1) == 1 {
			l.log.Warn("security event log cannot keep up; events are being dropped (counted in sluice_gateway_security_events_dropped_total)")
		}
	}
}

// Close writes what is queued, then closes the file. Callers make sure no
// add runs concurrently with or after Close.
func (l *eventLog) Close() {
	l.once.Do(func() {
		close(l.queue)
		<-l.done
	})
}

func (l *eventLog) run(f *os.File) {
	defer close(l.done)
	size := int64(0)
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	w := bufio.NewWriterSize(f, 64<<10)
	flush := func() {
		if err := w.Flush(); err != nil {
			l.failed.Add(1)
			l.log.Error("security event log: write failed", "path", l.path, "err", err)
			w.Reset(f)
		}
	}
	for ev := range l.queue {
		line, err := json.Marshal(ev)
		if err != nil {
			l.failed.Add(1)
			continue
		}
		if size > 0 && size+int64(len(line))+1 > l.maxBytes {
			flush()
			nf, err := l.rotate(f)
			if err != nil {
				l.log.Error("security event log: rotation failed", "path", l.path, "err", err)
			}
			if nf == nil {
				return // nothing to write to; events are dropped from here on
			}
			f = nf
			w.Reset(f)
			size = 0
			if fi, err := f.Stat(); err == nil {
				size = fi.Size()
			}
		}
		_, _ = w.Write(line)
		_ = w.WriteByte('\n')
		size += int64(len(line)) + 1
		l.written.Add(1)
		if len(l.queue) == 0 {
			flush()
		}
	}
	flush()
	_ = f.Sync()
	_ = f.Close()
}

// rotate renames the log to .1 (shifting older files up, dropping the
// oldest) and opens a fresh file. It returns the file to write to next
// (the old path reopened when renaming failed) or nil when none opens.
func (l *eventLog) rotate(f *os.File) (*os.File, error) {
	_ = f.Sync()
	_ = f.Close()
	_ = os.Remove(l.path + "." + strconv.Itoa(l.keep))
	for i := l.keep - 1; i >= 1; i-- {
		_ = os.Rename(l.path+"."+strconv.Itoa(i), l.path+"."+strconv.Itoa(i+1))
	}
	rerr := os.Rename(l.path, l.path+".1")
	nf, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return nf, rerr
}
