// Package edge protects an environment's gateway listener before a request
// reaches the application: a per-client rate limit, a country allow or
// deny list, API keys with optional HMAC request signing, validation
// against the application's OpenAPI document, and a web application
// firewall (Coraza with the OWASP Core Rule Set v4).
//
// New builds the layers once from a Config (the WAF and the OpenAPI
// router are expensive to build; build an Edge per configuration, not per
// request) and Wrap puts them in front of a handler. Layers run in this
// order, cheapest first: rate, geo, auth, openapi, waf. Validation runs
// after auth so that unauthenticated clients learn nothing about the API
// from its refusals, and before the WAF so that the WAF only inspects
// requests the API accepts. A refused request never reaches the wrapped
// handler; every refusal, and every request a non-enforcing layer would
// have refused, is reported to Options.OnBlock.
package edge

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"
)

// Config is the edge protection of one environment. The zero value turns
// every layer off. It is JSON-serialisable so that it can live in the
// routing table.
type Config struct {
	// TrustedProxies lists the CIDRs (or single addresses) of proxies in
	// front of the gateway whose X-Forwarded-For entries are believed. The
	// client address is the right-most X-Forwarded-For address that is not
	// a trusted proxy. Empty: the connection's address is the client.
	TrustedProxies []string `json:"trusted_proxies,omitempty"`
	// WAF configures the web application firewall.
	WAF WAFConfig `json:"waf"`
	// RateLimit configures the per-client request rate limits.
	RateLimit RateLimitConfig `json:"rate_limit"`
	// Geo configures the country allow or deny list.
	Geo GeoConfig `json:"geo"`
	// APIAuth configures API keys and request signatures per route.
	APIAuth APIAuthConfig `json:"api_auth"`
	// OpenAPI validates requests against the application's OpenAPI
	// document.
	OpenAPI OpenAPIConfig `json:"openapi"`
}

// Mode says what a layer does with a request it would refuse.
type Mode string

// The modes of a layer.
const (
	// ModeOff (or the empty string) turns the layer off: nothing is
	// evaluated.
	ModeOff Mode = "off"
	// ModeDetect evaluates every request and reports what would have been
	// refused (OnBlock with Enforced and Alert false); the request passes.
	ModeDetect Mode = "detect"
	// ModeMonitor is ModeDetect with Alert set in the report, for rules
	// that should page someone while they are being tuned.
	ModeMonitor Mode = "monitor"
	// ModeEnforce refuses the request and reports it (Enforced and Alert
	// true).
	ModeEnforce Mode = "enforce"
)

func (m Mode) on() bool { return m != "" && m != ModeOff }

func (m Mode) validate() error {
	switch m {
	case "", ModeOff, ModeDetect, ModeMonitor, ModeEnforce:
		return nil
	}
	return fmt.Errorf("unknown mode %q: use off, detect, monitor or enforce", string(m))
}

// Layer names the protection that refused a request.
type Layer string

// The layers, in the order they run.
const (
	LayerRate    Layer = "rate"
	LayerGeo     Layer = "geo"
	LayerAuth    Layer = "auth"
	LayerOpenAPI Layer = "openapi"
	LayerWAF     Layer = "waf"
)

// Block reports one request a layer refused or, outside enforce mode,
// would have refused.
type Block struct {
	// Layer is the layer that matched.
	Layer Layer `json:"layer"`
	// Rule identifies what matched, for counting per rule: a CRS rule id
	// such as "942100" for the WAF, "rate:<route prefix>" ("rate:*" for
	// the default limit), "country:<ISO code>" or "country:unknown", or
	// "auth:<reason>" (missing-key, bad-key, not-signed, bad-signature,
	// expired, replay, body-mismatch, body-too-large), or for OpenAPI
	// validation "openapi:unknown-path" (404), "openapi:method" (405),
	// "openapi:body-too-large" (413) or "openapi:invalid-request" (400).
	Rule string `json:"rule"`
	// Status is the HTTP status sent, or that enforce mode would send.
	Status int `json:"status"`
	// Mode is the layer's mode.
	Mode Mode `json:"mode"`
	// Enforced is true when the request was refused (enforce mode).
	Enforced bool `json:"enforced"`
	// Alert is true in monitor and enforce modes.
	Alert bool `json:"alert"`
	// RequestID is the request's X-Request-Id.
	RequestID string `json:"request_id"`
	// ClientIP is the client address after X-Forwarded-For resolution.
	ClientIP string `json:"client_ip"`
	// Release is the release the request was routed to (Options.Release);
	// empty when none is known.
	Release string `json:"release,omitempty"`
	// Method, Path and Query are the request's method, URL path and raw
	// query string (where attack payloads usually are).
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query,omitempty"`
	// Message says why, for the security event log.
	Message string `json:"message,omitempty"`
	// MatchedRules lists, for the WAF, every CRS rule that matched,
	// including the anomaly-score evaluation rule (949110 or 959100).
	MatchedRules []int `json:"matched_rules,omitempty"`
	// Time is when the request was evaluated (Options.Now).
	Time time.Time `json:"time"`
}

// Options are the run-time dependencies of an Edge.
type Options struct {
	// Logger receives warnings (a nil Logger discards them).
	Logger *slog.Logger
	// OnBlock, when set, is called synchronously for every Block, from the
	// request's goroutine; it must be quick and safe for concurrent use.
	OnBlock func(Block)
	// Release, when set, names the release a request is routed to, for
	// Block.Release (the gateway picks the release before the edge runs).
	Release func(*http.Request) string
	// Now returns the current time (time.Now when nil). Tests move it.
	Now func() time.Time
}

// RequestIDHeader carries the request id: set on the request passed on
// and on every response, and quoted in every refusal's JSON body.
const RequestIDHeader = "X-Request-Id"

// Edge is a built edge protection. It is safe for concurrent use.
type Edge struct {
	opts    Options
	log     *slog.Logger
	trusted []netip.Prefix
	rate    *rateLimiter
	geo     *geoFilter
	auth    *apiAuth
	openapi *openAPILayer
	waf     *wafLayer
	// txHook, when set (tests only), sees every WAF transaction's matched
	// rules before it is closed.
	txHook func(requestID string, matched []matchedRule)
}

// New builds an Edge from cfg. It validates the whole configuration and
// returns every problem at once. The WAF, when on, is parsed and compiled
// here (tens to a few hundred milliseconds); build an Edge when the
// configuration changes, not per request. Call Close when the Edge is no
// longer used.
func New(cfg Config, opts Options) (*Edge, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Edge{opts: opts, log: opts.Logger}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	var errs []error
	trusted, err := parsePrefixes(cfg.TrustedProxies)
	if err != nil {
		errs = append(errs, fmt.Errorf("trusted_proxies: %w", err))
	}
	e.trusted = trusted
	if e.rate, err = newRateLimiter(cfg.RateLimit); err != nil {
		errs = append(errs, fmt.Errorf("rate_limit: %w", err))
	}
	if e.auth, err = newAPIAuth(cfg.APIAuth); err != nil {
		errs = append(errs, fmt.Errorf("api_auth: %w", err))
	}
	if e.geo, err = newGeoFilter(cfg.Geo); err != nil {
		errs = append(errs, fmt.Errorf("geo: %w", err))
	}
	if e.openapi, err = newOpenAPILayer(cfg.OpenAPI); err != nil {
		errs = append(errs, fmt.Errorf("openapi: %w", err))
	} else if e.openapi != nil && e.openapi.perRequestCompile {
		e.log.Warn("edge: the OpenAPI document's schemas use JSON Schema 2020-12 keywords, which the validator compiles for every request that uses them: validating such a request costs several times more (0.1 ms and up)",
			"source", cfg.OpenAPI.Source)
	}
	if len(errs) == 0 {
		// The WAF is built last and only for a valid configuration: it is
		// the slow part.
		if e.waf, err = newWAFLayer(cfg.WAF); err != nil {
			errs = append(errs, fmt.Errorf("waf: %w", err))
		}
	}
	if len(errs) > 0 {
		e.Close()
		return nil, fmt.Errorf("edge configuration: %w", errors.Join(errs...))
	}
	return e, nil
}

// Close releases the geo database. Call it once no handler returned by
// Wrap serves requests any more.
func (e *Edge) Close() {
	if e == nil {
		return
	}
	if e.geo != nil {
		e.geo.close()
	}
}

// Wrap returns a handler that applies the edge layers and passes the
// requests they let through to next. With every layer off it still sets
// X-Request-Id.
func (e *Edge) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := e.newRequestContext(r)
		r.Header.Set(RequestIDHeader, rc.id)
		w.Header().Set(RequestIDHeader, rc.id)
		if e.rate != nil && !e.checkRate(w, r, rc) {
			return
		}
		if e.geo != nil && !e.checkGeo(w, r, rc) {
			return
		}
		if e.auth != nil && !e.checkAuth(w, r, rc) {
			return
		}
		if e.openapi != nil && !e.checkOpenAPI(w, r, rc) {
			return
		}
		if e.waf != nil {
			e.serveWAF(w, r, rc, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requestContext is what the layers share about one request.
type requestContext struct {
	id       string
	clientIP netip.Addr
	now      time.Time
}

func (e *Edge) newRequestContext(r *http.Request) *requestContext {
	peer := remoteAddr(r.RemoteAddr)
	rc := &requestContext{now: e.opts.Now(), clientIP: clientIP(peer, r.Header, e.trusted)}
	// A request id from a trusted proxy is kept so that one id follows the
	// request end to end; anyone else's is replaced.
	if id := r.Header.Get(RequestIDHeader); id != "" && validRequestID(id) && isTrusted(peer, e.trusted) {
		rc.id = id
	} else {
		rc.id = newRequestID()
	}
	return rc
}

// report hands a Block to OnBlock, filling the request fields and Alert;
// the caller sets Enforced.
func (e *Edge) report(r *http.Request, rc *requestContext, b Block) {
	if e.opts.OnBlock == nil {
		return
	}
	b.Alert = b.Mode == ModeEnforce || b.Mode == ModeMonitor
	b.RequestID = rc.id
	if rc.clientIP.IsValid() {
		b.ClientIP = rc.clientIP.String()
	}
	b.Method = r.Method
	b.Path = r.URL.Path
	b.Query = r.URL.RawQuery
	if e.opts.Release != nil {
		b.Release = e.opts.Release(r)
	}
	b.Time = rc.now
	e.opts.OnBlock(b)
}
