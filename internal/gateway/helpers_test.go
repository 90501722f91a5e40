package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// newBackend starts a backend that answers with its name and echoes what
// the proxy sent it in headers.
func newBackend(t testing.TB, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Backend", name)
		w.Header().Set("X-Seen-Host", r.Host)
		w.Header().Set("X-Seen-XFF", r.Header.Get("X-Forwarded-For"))
		w.Header().Set("X-Seen-XFH", r.Header.Get("X-Forwarded-Host"))
		w.Header().Set("X-Seen-XFP", r.Header.Get("X-Forwarded-Proto"))
		if strings.HasPrefix(r.URL.Path, "/status/") {
			var code int
			fmt.Sscanf(r.URL.Path, "/status/%d", &code)
			w.WriteHeader(code)
		}
		fmt.Fprintf(w, "%s %s", name, body)
	}))
	t.Cleanup(s.Close)
	return s
}

// hostOf returns a test server's host:port.
func hostOf(s *httptest.Server) string { return s.Listener.Addr().String() }

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// freeAddr returns a loopback address free at the time of the call.
func freeAddr(t testing.TB) string { return deadAddr(t) }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startGateway runs a gateway on dir until the test ends and checks that it
// stops cleanly.
func startGateway(t testing.TB, dir string) *Gateway {
	t.Helper()
	g, err := New(Options{Dir: dir, PollInterval: 5 * time.Millisecond, Logger: quietLogger(), Grace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return g
}

// rel builds a release.
func rel(id, role string, weight int, backends ...*httptest.Server) route.Release {
	r := route.Release{ID: id, Version: "v-" + id, Role: role, Weight: weight}
	for _, b := range backends {
		r.Backends = append(r.Backends, hostOf(b))
	}
	return r
}

// oneEnv is a table with the single environment "prod".
func oneEnv(gen int64, listen string, rels ...route.Release) *route.Table {
	return &route.Table{Generation: gen, Environments: map[string]*route.Environment{
		"prod": {Listen: listen, Releases: rels},
	}}
}

// apply writes a table and has the gateway load it at once.
func apply(t testing.TB, dir string, tab *route.Table) {
	t.Helper()
	if err := route.Save(dir, tab); err != nil {
		t.Fatal(err)
	}
	if err := Reload(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds; the deadline only guards against a
// hang, nothing is asserted about time.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func newClient(t testing.TB) *http.Client {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// result is what a test request saw.
type result struct {
	code    int
	release string
	backend string
	body    string
	header  http.Header
}

func do(c *http.Client, req *http.Request) (result, error) {
	res, err := c.Do(req)
	if err != nil {
		return result{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return result{}, err
	}
	return result{code: res.StatusCode, release: res.Header.Get(ReleaseHeader),
		backend: res.Header.Get("X-Backend"), body: string(body), header: res.Header}, nil
}

func get(t testing.TB, c *http.Client, url string, hdr ...string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := do(c, req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// adminGet sends an admin request with the given token ("" for none).
func adminGet(t testing.TB, g *Gateway, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+g.AdminAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// isRefused reports whether err is a refused connection.
func isRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// newBlockingBackend answers "slow" once release is closed; arrived is
// closed when the first request has reached it.
func newBlockingBackend(t testing.TB, arrived, release chan struct{}) *httptest.Server {
	t.Helper()
	var once sync.Once
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		<-release
		io.WriteString(w, "slow")
	}))
	t.Cleanup(s.Close)
	return s
}
