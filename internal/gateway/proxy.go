package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// ReleaseHeader is the response header naming the release that answered.
const ReleaseHeader = "X-Sluice-Release"

// reqState carries one proxied request's routing through the reverse
// proxy's hooks. It is used by the request's goroutine only.
type reqState struct {
	env       *envRoute
	rel       *release // the release serving the request now
	setCookie bool     // send the sticky cookie with the response
	gwError   bool     // the gateway answered 502 itself
	aborted   bool     // the client went away first
}

type stateKey struct{}

func stateOf(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// newProxy builds the reverse proxy shared by every environment.
func (g *Gateway) newProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The backend is chosen per attempt by retryTransport; the
			// Host header stays the client's.
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "backend.invalid"
			// Keep the chain of proxies the client came through and add it.
			pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			pr.SetXForwarded()
		},
		Transport:      &retryTransport{g: g, base: newTransport()},
		ModifyResponse: modifyResponse,
		ErrorHandler:   g.proxyError,
		BufferPool:     bufferPool{},
		ErrorLog:       g.errorLog,
	}
}

// modifyResponse names the release that answered and pins sticky clients.
func modifyResponse(res *http.Response) error {
	st := stateOf(res.Request.Context())
	if st == nil {
		return nil
	}
	res.Header.Set(ReleaseHeader, st.rel.id)
	if st.setCookie {
		c := &http.Cookie{Name: route.StickyCookie, Value: st.rel.id, Path: "/",
			HttpOnly: true, SameSite: http.SameSiteLaxMode}
		res.Header.Add("Set-Cookie", c.String())
	}
	return nil
}

// proxyError answers 502 when no backend could be reached.
func (g *Gateway) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	st := stateOf(r.Context())
	if r.Context().Err() != nil {
		// The client gave up; nobody reads the answer.
		if st != nil {
			st.aborted = true
		}
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	env, rel := "", ""
	if st != nil {
		st.gwError = true
		env, rel = st.env.name, st.rel.id
		w.Header().Set(ReleaseHeader, rel)
	}
	g.log.Warn("no backend answered", "env", env, "release", rel, "method", r.Method, "path", r.URL.Path, "err", err)
	http.Error(w, "sluice gateway: no backend of the release could be reached", http.StatusBadGateway)
}

// envHandler serves one environment's listener.
func (g *Gateway) envHandler(env string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := g.table.Load().envs[env]
		if e == nil {
			http.Error(w, "sluice gateway: environment "+env+" is not in the routing table", http.StatusServiceUnavailable)
			return
		}
		if e.edgeErr != nil {
			// A protection that cannot be built fails closed.
			http.Error(w, "sluice gateway: the edge protection of environment "+env+" is misconfigured", http.StatusServiceUnavailable)
			return
		}
		g.routeEnv(e, w, r)
	})
}

// routeEnv picks the release of a request of environment e, then passes
// it through the edge protection (which attributes what it matches to
// that release) to serveEnv.
func (g *Gateway) routeEnv(e *envRoute, w http.ResponseWriter, r *http.Request) {
	st := &reqState{env: e}
	st.rel, st.setCookie = e.choose(r)
	if st.rel == nil {
		g.log.Warn("no release has traffic", "env", e.name)
		http.Error(w, "sluice gateway: no release of environment "+e.name+" receives traffic", http.StatusServiceUnavailable)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
	if e.guarded != nil {
		e.guarded.ServeHTTP(w, r)
		return
	}
	g.serveEnv(w, r)
}

// serveEnv proxies one request to the release routeEnv picked, counting
// it in that release's stats. Requests the edge refused never get here,
// so they never count as a release's errors.
func (g *Gateway) serveEnv(w http.ResponseWriter, r *http.Request) {
	st := r.Context().Value(stateKey{}).(*reqState)
	start := time.Now()
	st.rel.stats.inFlight.Add(1)
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		c := st.rel.stats
		c.inFlight.Add(-1)
		end := time.Now()
		switch {
		case st.aborted:
			c.aborted.Add(1)
		case st.gwError:
			c.observe(classError, end.Sub(start), end)
		default:
			code := sw.code
			if code == 0 {
				code = http.StatusOK // a handler that wrote nothing sends 200
			}
			c.observe(statusClass(code), end.Sub(start), end)
		}
	}()
	g.proxy.ServeHTTP(sw, r)
}

// choose picks the release for a request: the release the routing header
// names, else the sticky cookie's release while it has weight, else one by
// weight. setCookie says the response should pin the client (header-pinned
// requests never set it).
func (e *envRoute) choose(r *http.Request) (rel *release, setCookie bool) {
	if e.header != "" {
		if v := r.Header.Get(e.header); v != "" {
			if rel := e.lookup(v); rel != nil {
				return rel, false
			}
		}
	}
	if e.sticky {
		if c, err := r.Cookie(route.StickyCookie); err == nil {
			if rel := e.byID[c.Value]; rel != nil && rel.weight > 0 && len(rel.backends) > 0 {
				return rel, false
			}
		}
		return e.pick(), true
	}
	return e.pick(), false
}

// statusWriter records the status code sent to the client.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	// 1xx hints other than 101 precede the real status.
	if w.code == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bufferPool recycles the reverse proxy's copy buffers.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *(buffers.Get().(*[]byte)) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }

// dialTimeout bounds connecting to a backend; there is no overall response
// timeout, so slow and streaming responses are not cut.
const dialTimeout = 2 * time.Second

// dialError marks an error from connecting to a backend: the request has
// not been sent, so it is safe to try another backend.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// newTransport returns the transport to backends: plain HTTP/1.1 with
// keep-alives, many idle connections per backend, a short dial timeout.
func newTransport() *http.Transport {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: nil, // backends are reached directly, whatever the environment says
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, &dialError{err: err}
			}
			return c, nil
		},
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // pass encodings through untouched
	}
}

var _ http.RoundTripper = (*retryTransport)(nil)

// isDialError reports whether err came from connecting to a backend.
func isDialError(err error) bool {
	var de *dialError
	return errors.As(err, &de)
}
