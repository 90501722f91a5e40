package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"syscall"
	"time"
)

// maxSleep bounds every simulated delay.
const maxSleep = 5 * time.Second

var (
	// reSQLSleep matches MySQL SLEEP(n) and PostgreSQL pg_sleep(n).
	reSQLSleep = regexp.MustCompile(`(?i)\bsleep\((\d+)\)`)
	// reShellSleep matches ";sleep n", "|sleep n" and "$(sleep n)".
	reShellSleep = regexp.MustCompile(`(?:[;|&]\s*|\$\()sleep\s+(\d+)`)
	// reEcho matches ";echo X", "|echo X" and "$(echo X)".
	reEcho = regexp.MustCompile(`(?:[;|&]\s*echo\s+(\S+)|\$\(echo\s+([^)\s]+)\))`)
)

// simulateSleep sleeps for the seconds re finds in v (at most maxSleep),
// or until the request ends.
func simulateSleep(r *http.Request, re *regexp.Regexp, v string) {
	m := re.FindStringSubmatch(v)
	if m == nil {
		return
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return
	}
	d := min(time.Duration(n)*time.Second, maxSleep)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// fetch GETs the URL named by url and says what came back: SSRF, limited
// to loopback addresses so the fixture can never reach another machine.
func (a *app) fetch(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("url")
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		http.Error(w, "url must be an http URL", http.StatusBadRequest)
		return
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		http.Error(w, "this fixture fetches loopback addresses only", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		http.Error(w, "bad url", http.StatusBadRequest)
		return
	}
	resp, err := loopbackClient.Do(req)
	if err != nil {
		http.Error(w, "fetch failed", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "fetched: status %d, %d bytes\n", resp.StatusCode, n)
}

// loopbackClient dials loopback addresses only and follows no redirects.
var loopbackClient = &http.Client{
	Transport: &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout: 2 * time.Second,
			Control: func(_, address string, _ syscall.RawConn) error {
				host, _, err := net.SplitHostPort(address)
				if err != nil {
					return err
				}
				if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
					return errors.New("vulnapp fixture: non-loopback address refused")
				}
				return nil
			},
		}).DialContext,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}
