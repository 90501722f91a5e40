package gateway

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

func TestRetryDeadBackend(t *testing.T) {
	live := newBackend(t, "live")
	dir := t.TempDir()
	stable := route.Release{ID: "stable", Role: route.RoleStable, Weight: 100,
		Backends: []string{deadAddr(t), hostOf(live)}}
	if err := route.Save(dir, oneEnv(1, "127.0.0.1:0", stable)); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	url := "http://" + g.ListenAddr("prod") + "/"
	c := newClient(t)
	for i := range 100 {
		// POST with a body: a retried request must still carry all of it.
		payload := fmt.Sprintf("request-%d", i)
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(payload))
		r, err := do(c, req)
		if err != nil {
			t.Fatal(err)
		}
		if r.code != http.StatusOK || r.body != "live "+payload {
			t.Fatalf("request %d: %d %q, want 200 with the body echoed", i, r.code, r.body)
		}
	}
	s := g.Stats().Environments["prod"].Releases["stable"]
	if s.Requests != 100 || s.Status["2xx"] != 100 || s.Status["error"] != 0 {
		t.Errorf("stats %+v, want 100 requests all 2xx", s)
	}
}

func TestRetryOtherRelease(t *testing.T) {
	live := newBackend(t, "live")
	dir := t.TempDir()
	if err := route.Save(dir, oneEnv(1, "127.0.0.1:0",
		route.Release{ID: "stable", Role: route.RoleStable, Weight: 50, Backends: []string{hostOf(live)}},
		route.Release{ID: "cand", Role: route.RoleCandidate, Weight: 50, Backends: []string{deadAddr(t), deadAddr(t)}},
	)); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	url := "http://" + g.ListenAddr("prod") + "/"
	c := newClient(t)
	for range 100 {
		if r := get(t, c, url); r.code != http.StatusOK || r.release != "stable" {
			t.Fatalf("served %d by %q, want 200 by stable", r.code, r.release)
		}
	}
	st := g.Stats().Environments["prod"].Releases
	if st["stable"].Requests != 100 || st["cand"].Requests != 0 || st["cand"].InFlight != 0 || st["stable"].InFlight != 0 {
		t.Errorf("stats stable %+v cand %+v: want all 100 on stable, none in flight", st["stable"], st["cand"])
	}
}

func TestAllBackendsDown(t *testing.T) {
	dir := t.TempDir()
	if err := route.Save(dir, oneEnv(1, "127.0.0.1:0",
		route.Release{ID: "stable", Role: route.RoleStable, Weight: 100, Backends: []string{deadAddr(t)}})); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	r := get(t, newClient(t), "http://"+g.ListenAddr("prod")+"/")
	if r.code != http.StatusBadGateway || r.release != "stable" {
		t.Fatalf("got %d from %q, want 502 naming stable", r.code, r.release)
	}
	s := g.Stats().Environments["prod"].Releases["stable"]
	if s.Requests != 1 || s.Status["error"] != 1 || s.Status["5xx"] != 0 {
		t.Errorf("stats %+v, want one request counted as error", s)
	}
}

// TestInFlightToRemovedRelease checks that a request already at a release
// finishes normally when the release leaves the table.
func TestInFlightToRemovedRelease(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	slow := newBlockingBackend(t, arrived, release)
	other := newBackend(t, "other")
	dir := t.TempDir()
	if err := route.Save(dir, oneEnv(1, "127.0.0.1:0", rel("old", route.RoleStable, 100, slow))); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	url := "http://" + g.ListenAddr("prod") + "/"
	c := newClient(t)
	done := make(chan result, 1)
	go func() {
		r, err := do(c, mustReq(url))
		if err != nil {
			r.body = err.Error()
		}
		done <- r
	}()
	<-arrived
	if n := g.Stats().Environments["prod"].Releases["old"].InFlight; n != 1 {
		t.Errorf("in flight %d, want 1", n)
	}
	apply(t, dir, oneEnv(2, "127.0.0.1:0", rel("new", route.RoleStable, 100, other)))
	if r := get(t, c, url); r.release != "new" {
		t.Fatalf("new requests served by %q, want new", r.release)
	}
	close(release)
	r := <-done
	if r.code != http.StatusOK || r.release != "old" || r.body != "slow" {
		t.Fatalf("in-flight request: %d from %q: %q", r.code, r.release, r.body)
	}
	s := g.Stats().Environments["prod"].Releases["old"]
	if s.Requests != 1 || s.InFlight != 0 {
		t.Errorf("removed release's stats %+v, want kept with 1 request", s)
	}
}

func TestSwitchUnderLoad(t *testing.T) {
	a1, a2, b1 := newBackend(t, "a1"), newBackend(t, "a2"), newBackend(t, "b1")
	dir := t.TempDir()
	tables := []*route.Table{
		oneEnv(0, "127.0.0.1:0", rel("a", route.RoleStable, 100, a1, a2)),
		oneEnv(0, "127.0.0.1:0", rel("a", route.RoleStable, 10, a1, a2), rel("b", route.RoleCandidate, 90, b1)),
		oneEnv(0, "127.0.0.1:0", rel("b", route.RoleStable, 100, b1)),
	}
	if err := route.Save(dir, tables[0]); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	url := "http://" + g.ListenAddr("prod") + "/"
	c := newClient(t)

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sent, failed int
	var firstErr string
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				r, err := do(c, mustReq(url))
				mu.Lock()
				sent++
				if err != nil || r.code != http.StatusOK {
					failed++
					if firstErr == "" {
						firstErr = fmt.Sprintf("%d %q %v", r.code, r.body, err)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for i := 1; i <= 100; i++ {
		tab := tables[i%len(tables)]
		tab.Generation = int64(i)
		apply(t, dir, tab)
	}
	stop()
	wg.Wait()
	if failed != 0 {
		t.Fatalf("%d of %d requests failed while the table switched; first: %s", failed, sent, firstErr)
	}
	if sent < 100 {
		t.Fatalf("only %d requests sent", sent)
	}
	t.Logf("%d requests over 100 table switches, none failed", sent)
}

func mustReq(url string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		panic(err) // test URLs are built by the test
	}
	return req
}

// TestNoRetryAfterSend checks that a request whose backend failed after the
// request was sent is answered 502, not sent again elsewhere.
func TestNoRetryAfterSend(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // reads the request, then hangs up without answering
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			http.ReadRequest(bufio.NewReader(conn))
			conn.Close()
		}
	}()
	var hits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()
	dir := t.TempDir()
	if err := route.Save(dir, oneEnv(1, "127.0.0.1:0",
		route.Release{ID: "stable", Role: route.RoleStable, Weight: 100, Backends: []string{ln.Addr().String(), hostOf(other)}})); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	req, _ := http.NewRequest(http.MethodPost, "http://"+g.ListenAddr("prod")+"/", strings.NewReader("once"))
	r, err := do(newClient(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if r.code != http.StatusBadGateway || hits.Load() != 0 {
		t.Fatalf("got %d and the other backend saw %d requests; want 502 and none", r.code, hits.Load())
	}
}
