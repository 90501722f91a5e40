package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one delivery attempt of a sender whose config sets
// no Timeout.
const DefaultTimeout = 10 * time.Second

const userAgent = "sluice-notify/1"

// newClient returns the HTTP client of a sender: no redirects (a POST that
// is redirected is a configuration error to fix, not to follow) and a
// timeout per attempt.
func newClient(c *http.Client, timeout time.Duration) *http.Client {
	if c != nil {
		return c
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// checkURL accepts an absolute http or https URL.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL, which may hold a token; keep only
		// what is wrong with it.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("parse URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("URL must be absolute http or https, got scheme %q", u.Scheme)
	}
	return u, nil
}

// post sends body and turns anything but a 2xx answer into an error.
func post(ctx context.Context, c *http.Client, u string, header http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("build request: %w", err))
	}
	req.Header = header
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.Do(req)
	if err != nil {
		// The URL (and any token in it) stays out of the message.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return statusError(resp.StatusCode, strings.ToValidUTF8(string(snippet), "?"))
}

// origin is the part of a URL that is safe to print: scheme and host.
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }
