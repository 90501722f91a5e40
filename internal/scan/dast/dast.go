// Package dast is sluice's dynamic application security scanner: it crawls
// a running web application (HTML links and forms on the same origin, and
// the operations of an OpenAPI document), checks every response for
// passive problems (missing security headers, insecure cookies, version
// banners, verbose errors, permissive CORS, directory listings, exposed
// .git and .env files) and, when asked, attacks each parameter with
// bounded, non-destructive payloads: reflected XSS, SQL injection (error
// and time based), path traversal, open redirect, command injection (echo
// and time based), SSRF (with a callback listener of its own) and missing
// authentication on operations that declare security.
//
// It is meant for staging: payloads never delete or change data on
// purpose, unsafe methods (PUT, PATCH, DELETE) are never sent, POST only
// for HTML forms and only with active checks on, and the number, pace and
// concurrency of requests are bounded.
//
// Findings are of category findings.DAST, located by URL and method, with
// the parameter, the request line and an excerpt of the response as
// evidence. ZAP reports are imported by internal/scan/external instead.
package dast

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// ScannerName is the name findings and health carry.
const ScannerName = "dast"

// userAgent identifies the scanner's requests in the target's logs.
const userAgent = "sluice-dast/1 (+security scan)"

// Defaults of Options.
const (
	DefaultMaxRequests = 3000
	DefaultMaxPages    = 200
	DefaultMaxDepth    = 3
	DefaultConcurrency = 4
	DefaultTimeout     = 10 * time.Second
	DefaultTimeDelay   = 2 * time.Second
	DefaultCallback    = "127.0.0.1:0"
)

// Options configure one scan. Zero values take the defaults above.
type Options struct {
	// BaseURL is where the crawl starts (http or https); only URLs of the
	// same origin (scheme, host and port) are requested.
	BaseURL string
	// OpenAPI is an OpenAPI 3 or Swagger 2 document (JSON or YAML), a file
	// path or an http(s) URL; its operations are added to the crawl.
	OpenAPI string
	// Headers are added to every request to the target's origin (an
	// Authorization header, a session cookie); never sent elsewhere. The
	// authentication check leaves them out.
	Headers http.Header
	// MaxRequests bounds the requests of the whole scan; when spent, the
	// scan stops and reports itself partial.
	MaxRequests int
	// MaxPages and MaxDepth bound the crawl: pages fetched and link depth
	// from BaseURL.
	MaxPages int
	MaxDepth int
	// Concurrency bounds the requests in flight.
	Concurrency int
	// Timeout bounds one request; it must be longer than TimeDelay.
	Timeout time.Duration
	// RequestDelay is the least time between the starts of two requests
	// (politeness); 0 sends as fast as Concurrency allows.
	RequestDelay time.Duration
	// Callback is the address ("127.0.0.1:0") where the scanner listens
	// for the requests an SSRF payload makes the target send. It must be
	// an IP literal and port; the target must be able to reach it, so the
	// default only finds SSRF in targets on the scanner's own machine.
	// "off" disables the SSRF check.
	Callback string
	// ActiveChecks turns the attacks on; without it the scan only crawls
	// and looks at responses (and fetches /.git/HEAD and /.env).
	ActiveChecks bool
	// InsecureTLS skips verification of the target's TLS certificate,
	// for staging servers with self-signed certificates.
	InsecureTLS bool
	// TimeDelay is the sleep time-based checks ask for; a finding needs
	// two delayed answers and a prompt control between them.
	TimeDelay time.Duration
}

// Result is what a scan found.
type Result struct {
	// Findings are deduplicated by fingerprint and sorted by rule and URL.
	Findings []findings.Finding
	// Requests counts the requests sent (the SSRF callbacks not included).
	Requests int
	Duration time.Duration
	// Health is the scan's health as the scan runner reports it; Files
	// counts the distinct endpoints (method, path and parameter names)
	// looked at.
	Health scan.Health
}

// withDefaults fills zero fields and checks the others.
func (o Options) withDefaults() (Options, *url.URL, error) {
	o.BaseURL = strings.TrimSpace(o.BaseURL)
	if o.BaseURL == "" {
		return o, nil, errors.New("no base URL: give the URL of the running application to scan")
	}
	base, err := url.Parse(o.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return o, nil, fmt.Errorf("base URL %q: want an absolute http:// or https:// URL", o.BaseURL)
	}
	base.Fragment = ""
	if base.Path == "" {
		base.Path = "/"
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxRequests, DefaultMaxRequests)
	def(&o.MaxPages, DefaultMaxPages)
	def(&o.MaxDepth, DefaultMaxDepth)
	def(&o.Concurrency, DefaultConcurrency)
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.TimeDelay <= 0 {
		o.TimeDelay = DefaultTimeDelay
	}
	if o.ActiveChecks && o.Timeout < o.TimeDelay+time.Second {
		return o, nil, fmt.Errorf("timeout %s is too short for time-based checks of %s: make it at least %s",
			o.Timeout, o.TimeDelay, o.TimeDelay+time.Second)
	}
	if o.RequestDelay < 0 {
		return o, nil, fmt.Errorf("request delay %s is negative", o.RequestDelay)
	}
	if o.Callback == "" {
		o.Callback = DefaultCallback
	}
	if o.Callback != "off" {
		if _, err := netip.ParseAddrPort(o.Callback); err != nil {
			return o, nil, fmt.Errorf("callback address %q: want IP:port, like 127.0.0.1:0, or off", o.Callback)
		}
	}
	return o, base, nil
}

// Scan crawls and checks the application at o.BaseURL. It returns an
// error only when the scan could not run (bad options, the base URL not
// answering); failed single requests are input errors in Health, and a
// spent request budget or a cancelled ctx makes the result partial.
func Scan(ctx context.Context, o Options) (Result, error) {
	start := time.Now()
	o, base, err := o.withDefaults()
	if err != nil {
		return Result{}, err
	}
	s := &state{opts: o, base: base, origin: originOf(base), client: newClient(&o, originOf(base)),
		seen: map[string]bool{}}
	defer s.client.close()

	if o.ActiveChecks && o.Callback != "off" {
		cb, err := startCallback(o.Callback)
		if err != nil {
			return Result{}, err
		}
		defer cb.close()
		s.callback = cb
	}
	var eps []*endpoint
	if o.OpenAPI != "" {
		eps, err = loadOpenAPI(ctx, s, o.OpenAPI)
		if err != nil {
			return Result{}, err
		}
	}
	crawled, err := s.crawl(ctx, eps)
	if err != nil {
		return Result{}, err
	}
	eps = mergeEndpoints(eps, crawled)
	s.probeFiles(ctx)
	if o.ActiveChecks {
		s.attack(ctx, eps)
	}
	return s.result(ctx, start, len(eps)), nil
}

// state is one scan in progress.
type state struct {
	opts     Options
	base     *url.URL
	origin   string
	client   *client
	callback *callback

	mu        sync.Mutex
	found     []findings.Finding
	seen      map[string]bool // fingerprints and once-per-host keys reported
	errs      []scan.InputError
	budgetHit bool
}

// maxInputErrors bounds the request errors kept in Health.
const maxInputErrors = 50

// fail records a failed request; it stays an input error, not a scan error.
func (s *state) fail(u string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errors.Is(err, errBudget) {
		s.budgetHit = true
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	if len(s.errs) < maxInputErrors {
		s.errs = append(s.errs, scan.InputError{Path: u, Err: err.Error()})
	}
}

// result assembles the Result.
func (s *state) result(ctx context.Context, start time.Time, endpoints int) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := slices.Clone(s.found)
	slices.SortFunc(fs, func(a, b findings.Finding) int {
		return cmpStrings(a.RuleID, b.RuleID, a.Location.URL, b.Location.URL,
			a.Properties[findings.PropParameter], b.Properties[findings.PropParameter])
	})
	d := time.Since(start)
	h := scan.Health{Scanner: ScannerName, Status: scan.Ran, Files: endpoints, Findings: len(fs),
		Duration: d, Errors: slices.Clone(s.errs)}
	var why []string
	if s.budgetHit {
		why = append(why, fmt.Sprintf("request budget of %d spent before the scan ended; raise max requests to cover the whole application", s.opts.MaxRequests))
	}
	if ctx.Err() != nil {
		why = append(why, "scan cancelled: "+ctx.Err().Error())
	}
	if len(why) > 0 || len(h.Errors) > 0 {
		h.Partial = true
		h.Reason = strings.Join(why, "; ")
	}
	return Result{Findings: fs, Requests: s.client.requests(), Duration: d, Health: h}
}

// cmpStrings compares pairs in order: a[0] with a[1], then a[2] with a[3] …
func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}
