package dast

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxBody is the most of a response body read; checks look at this much.
const maxBody = 1 << 20

// errBudget is returned once Options.MaxRequests requests were sent.
var errBudget = errors.New("request budget spent")

// response is one answer, read whole (up to maxBody).
type response struct {
	Status  int
	Header  http.Header
	Body    []byte
	Elapsed time.Duration
	// Request is the request line, for evidence: "GET /search?q=x HTTP/1.1".
	Request string
	URL     *url.URL
	Method  string
}

// contentType returns the media type of the response, lowercased.
func (r *response) contentType() string {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.ToLower(strings.TrimSpace(ct))
}

// isHTML reports whether the response is an HTML page.
func (r *response) isHTML() bool {
	ct := r.contentType()
	return ct == "text/html" || ct == "application/xhtml+xml"
}

// client sends the scan's requests: never following redirects, bounded in
// number, concurrency and pace, with the user's headers added for the
// target's origin only.
type client struct {
	http    *http.Client
	origin  string
	headers http.Header
	max     int64
	used    atomic.Int64
	sem     chan struct{}
	delay   time.Duration

	mu   sync.Mutex
	next time.Time // earliest start of the next request, with delay
}

func newClient(o *Options, origin string) *client {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: o.Concurrency,
		IdleConnTimeout:     30 * time.Second,
		TLSHandshakeTimeout: o.Timeout,
	}
	if o.InsecureTLS {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // #nosec G402 -- only with InsecureTLS: self-signed staging certificates
	}
	return &client{
		http: &http.Client{
			Transport: tr,
			Timeout:   o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		origin:  origin,
		headers: o.Headers,
		max:     int64(o.MaxRequests),
		sem:     make(chan struct{}, o.Concurrency),
		delay:   o.RequestDelay,
	}
}

// close drops idle connections.
func (c *client) close() { c.http.CloseIdleConnections() }

// requests returns how many requests were sent.
func (c *client) requests() int { return int(min(c.used.Load(), c.max)) }

// send sends req and reads the response. credentials false leaves the
// user's headers out (the authentication check). Elapsed is the round
// trip alone, without the wait for a free slot or the politeness delay.
func (c *client) send(ctx context.Context, req *http.Request, credentials bool) (*response, error) {
	if c.used.Add(1) > c.max {
		return nil, errBudget
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	if err := c.pace(ctx); err != nil {
		return nil, err
	}
	req = req.WithContext(ctx)
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	if credentials && originOf(req.URL) == c.origin {
		for k, vs := range c.headers {
			req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
		}
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	elapsed := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", req.Method, req.URL.Redacted(), err)
	}
	return &response{
		Status: resp.StatusCode, Header: resp.Header, Body: body, Elapsed: elapsed,
		Request: requestLine(req), URL: req.URL, Method: req.Method,
	}, nil
}

// pace waits until the politeness delay since the previous request start
// has passed.
func (c *client) pace(ctx context.Context) error {
	if c.delay <= 0 {
		return nil
	}
	c.mu.Lock()
	now := time.Now()
	start := now
	if c.next.After(now) {
		start = c.next
	}
	c.next = start.Add(c.delay)
	c.mu.Unlock()
	if wait := start.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// requestLine renders "METHOD /path?query HTTP/1.1", clipped.
func requestLine(req *http.Request) string {
	return clip(req.Method+" "+req.URL.RequestURI()+" HTTP/1.1", 300)
}

// originOf returns "scheme://host:port" of u, lowercased.
func originOf(u *url.URL) string {
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
