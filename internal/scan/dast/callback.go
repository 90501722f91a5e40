package dast

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// callbackPath is where SSRF payloads point on the callback listener.
const callbackPath = "/sluice-ssrf/"

// callback is the scanner's own HTTP listener for SSRF detection: a
// payload names a URL on it with a unique marker, and a request for that
// URL proves the target fetched it.
type callback struct {
	srv  *http.Server
	base string

	mu   sync.Mutex
	hits map[string]string // marker → what arrived
}

// startCallback listens on addr.
func startCallback(addr string) (*callback, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start SSRF callback listener on %s: %w (pick a free address, or turn the callback off)", addr, err)
	}
	c := &callback{base: "http://" + ln.Addr().String(), hits: map[string]string{}}
	c.srv = &http.Server{
		Handler:           http.HandlerFunc(c.serve),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = c.srv.Serve(ln) }() // Serve returns when close shuts the server down
	return c, nil
}

func (c *callback) serve(w http.ResponseWriter, r *http.Request) {
	if marker, ok := strings.CutPrefix(r.URL.Path, callbackPath); ok && marker != "" {
		c.mu.Lock()
		if _, dup := c.hits[marker]; !dup {
			c.hits[marker] = clip(r.Method+" "+r.URL.Path+" from "+r.RemoteAddr+" ("+r.UserAgent()+")", 300)
		}
		c.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

// url is the address a payload with marker points to.
func (c *callback) url(marker string) string { return c.base + callbackPath + marker }

// wait returns what arrived for marker, waiting up to d for it.
func (c *callback) wait(ctx context.Context, marker string, d time.Duration) (string, bool) {
	deadline := time.Now().Add(d)
	for {
		c.mu.Lock()
		h, ok := c.hits[marker]
		c.mu.Unlock()
		if ok || time.Now().After(deadline) || ctx.Err() != nil {
			return h, ok
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// close stops the listener.
func (c *callback) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = c.srv.Shutdown(ctx) // nothing to do about a listener that will not stop
}
