package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

func TestTraceFormatRoundTrip(t *testing.T) {
	reqs := []request{{Start: 10, End: 20, Status: 200, Release: "r1"}, {Start: 15, End: 30, Status: 0}}
	tables := []table{
		{Seen: 5, Written: 4, Generation: 7, Weights: map[string]int{"r1": 90, "r2": 10}},
		{Seen: 9, Written: 8, Generation: 8, Weights: map[string]int{}},
	}
	var buf bytes.Buffer
	if err := writeTrace(&buf, reqs, tables); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("M\t12\tdeploy-start x\n")
	var tr trace
	if err := parseTrace(&buf, &tr); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tr.Requests, reqs) {
		t.Errorf("requests %+v, want %+v", tr.Requests, reqs)
	}
	if !reflect.DeepEqual(tr.Tables, tables) {
		t.Errorf("tables %+v, want %+v", tr.Tables, tables)
	}
	if len(tr.Marks) != 1 || tr.Marks[0] != (mark{12, "deploy-start x"}) {
		t.Errorf("marks %+v", tr.Marks)
	}
}

func TestParseTraceRejectsBadLines(t *testing.T) {
	for _, line := range []string{
		"R\t1\t2\t200",
		"R\tx\t2\t200\tr",
		"T\t1\t2\t3\tr1:100",
		"Q\t1",
	} {
		var tr trace
		err := parseTrace(strings.NewReader("M\t1\tok\n"+line+"\n"), &tr)
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: error %v, want one naming line 2", line, err)
		}
	}
}

// TestRunTrace sends real load at a server that names its release in a
// header and fails on request, while the routing table file changes.
func TestRunTrace(t *testing.T) {
	var release atomic.Value
	release.Store("r1")
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Sluice-Release", release.Load().(string))
		if fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	save := func(gen int64, ws ...route.Release) {
		t.Helper()
		err := route.Save(dir, &route.Table{Generation: gen, Environments: map[string]*route.Environment{
			"prod": {Listen: "127.0.0.1:1", Releases: ws},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	save(1, route.Release{ID: "r1", Role: route.RoleStable, Weight: 100, Backends: []string{"127.0.0.1:2"}})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var reqs []request
	var tables []table
	go func() {
		reqs, tables = runTrace(ctx, traceOptions{URL: srv.URL, Workers: 2, Pause: time.Millisecond,
			Routes: filepath.Join(dir, route.TableFile), Env: "prod", Poll: time.Millisecond})
		close(done)
	}()
	time.Sleep(100 * time.Millisecond)
	save(2, route.Release{ID: "r1", Role: route.RolePrevious, Weight: 0},
		route.Release{ID: "r2", Role: route.RoleStable, Weight: 100, Backends: []string{"127.0.0.1:3"}})
	release.Store("r2")
	time.Sleep(100 * time.Millisecond)
	fail.Store(true)
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done

	if len(tables) != 2 || tables[0].Generation != 1 || tables[1].Weights["r2"] != 100 || tables[1].Weights["r1"] != 0 {
		t.Fatalf("tables %+v, want generations 1 and 2 with r2 at 100", tables)
	}
	if tables[1].Written > tables[1].Seen || tables[1].Written < tables[0].Written {
		t.Errorf("table times out of order: %+v", tables)
	}
	seen := map[string]int{}
	failed := 0
	for i, r := range reqs {
		if r.End < r.Start || (i > 0 && r.Start < reqs[i-1].Start) {
			t.Fatalf("request %d has bad times or is out of order: %+v", i, r)
		}
		seen[r.Release]++
		if r.failed() {
			failed++
		}
	}
	if seen["r1"] == 0 || seen["r2"] == 0 || failed == 0 {
		t.Errorf("per release %v with %d failed; want both releases and some failures", seen, failed)
	}
}
