package gateway

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/gateway/edge"
)

func readEventFile(t *testing.T, path string) []SecurityEvent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []SecurityEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev SecurityEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%s: line %q: %v", path, sc.Text(), err)
		}
		out = append(out, ev)
	}
	return out
}

func TestEventLogRotatesAndKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, EventLogFile)
	l, err := openEventLog(path, 4<<10, 2, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	for i := 0; i < n; i++ {
		l.add(eventOf("prod", edge.Block{Layer: edge.LayerWAF, Rule: "942100", Mode: edge.ModeEnforce, Enforced: true, Status: 403,
			RequestID: fmt.Sprint("req-", i), Method: "GET", Path: "/books?id=" + strings.Repeat("x", 100), Time: time.Unix(1_800_000_000+int64(i), 0)}))
		if i%10 == 0 {
			time.Sleep(time.Millisecond) // let the writer flush and rotate between bursts
		}
	}
	l.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 (events carry client addresses)", fi.Mode().Perm())
	}
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Error("kept more rotated files than asked")
	}
	var got []SecurityEvent
	for _, p := range []string{path + ".2", path + ".1", path} {
		if fi, err := os.Stat(p); err != nil {
			t.Fatalf("%s: %v", p, err)
		} else if fi.Size() > 4<<10 {
			t.Errorf("%s is %d bytes, over the 4 KiB limit", p, fi.Size())
		}
		got = append(got, readEventFile(t, p)...)
	}
	// The oldest events went with the dropped file; the kept ones are the
	// newest, in order, with nothing torn.
	if len(got) == 0 || got[len(got)-1].RequestID != fmt.Sprint("req-", n-1) {
		t.Fatalf("newest event missing: %d kept", len(got))
	}
	for i := 1; i < len(got); i++ {
		if !got[i].Time.After(got[i-1].Time) {
			t.Fatalf("events out of order at %d: %v then %v", i, got[i-1].Time, got[i].Time)
		}
	}
	if got[0].Env != "prod" || got[0].Layer != "waf" || got[0].Rule != "942100" || !got[0].Enforced || got[0].Status != 403 {
		t.Errorf("event: %+v", got[0])
	}
	if l.dropped.Load() != 0 {
		t.Errorf("%d dropped", l.dropped.Load())
	}
}

func TestEventLogNeverBlocks(t *testing.T) {
	dir := t.TempDir()
	l, err := openEventLog(filepath.Join(dir, EventLogFile), 0, 0, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	// More than the queue holds, as fast as possible: add must return at
	// once every time; what cannot be queued is counted, never lost
	// silently.
	const n = eventQueue * 4
	for i := 0; i < n; i++ {
		l.add(SecurityEvent{Env: "prod", Layer: "rate", Rule: "rate:*", RequestID: fmt.Sprint(i)})
	}
	l.Close()
	written := int64(len(readEventFile(t, filepath.Join(dir, EventLogFile))))
	if written+l.dropped.Load() != n {
		t.Fatalf("written %d + dropped %d != %d", written, l.dropped.Load(), n)
	}
	if written < eventQueue {
		t.Errorf("only %d written", written)
	}
}

func TestEventLogLongPathCut(t *testing.T) {
	ev := eventOf("prod", edge.Block{Path: "/" + strings.Repeat("a", 10000)})
	if len(ev.Path) > maxEventPath+32 || !strings.Contains(ev.Path, "10001 bytes") {
		t.Fatalf("path of %d bytes kept: %q", len(ev.Path), ev.Path[len(ev.Path)-40:])
	}
}
