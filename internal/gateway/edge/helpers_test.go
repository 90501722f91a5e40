package edge

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// booksApp is a small JSON API like goodbooks: it records what reached it.
type booksApp struct {
	mu   sync.Mutex
	hits int
}

func (a *booksApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.hits++
	a.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Seen-Request-Id", r.Header.Get(RequestIDHeader))
	switch r.Method {
	case http.MethodPost:
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	case http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		_, _ = w.Write([]byte(`[{"id":1,"title":"The Hunger Games","authors":"Suzanne Collins","average_rating":4.34}]`))
	}
}

func (a *booksApp) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hits
}

// blockLog collects OnBlock reports.
type blockLog struct {
	mu     sync.Mutex
	blocks []Block
}

func (l *blockLog) add(b Block) {
	l.mu.Lock()
	l.blocks = append(l.blocks, b)
	l.mu.Unlock()
}

func (l *blockLog) all() []Block {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Block(nil), l.blocks...)
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// serve builds an Edge from cfg in front of a booksApp on a loopback
// server.
func serve(t *testing.T, cfg Config, now func() time.Time) (*httptest.Server, *booksApp, *blockLog) {
	t.Helper()
	log := &blockLog{}
	e, err := New(cfg, Options{OnBlock: log.add, Now: now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	app := &booksApp{}
	srv := httptest.NewServer(e.Wrap(app))
	t.Cleanup(func() { srv.Close(); e.Close() })
	return srv, app, log
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, body string, header map[string]string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// refusalOf decodes a refusal body and checks it carries the response's
// request id.
func refusalOf(t *testing.T, r response) refusal {
	t.Helper()
	var f refusal
	if err := json.Unmarshal([]byte(r.body), &f); err != nil {
		t.Fatalf("refusal body %q is not JSON: %v", r.body, err)
	}
	if f.RequestID == "" || f.RequestID != r.header.Get(RequestIDHeader) {
		t.Fatalf("refusal request id %q, header %q", f.RequestID, r.header.Get(RequestIDHeader))
	}
	return f
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
