package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sort"
	"time"
)

// envListener is the listener of one environment.
type envListener struct {
	env    string
	listen string // configured address
	ln     net.Listener
	srv    *http.Server
	err    error // why the address could not be opened; nil when serving
}

// ListenerStatus is the state of one environment's listener, as reported
// by /healthz.
type ListenerStatus struct {
	// Listen is the address from the routing table.
	Listen string `json:"listen"`
	// Addr is the bound address (differs from Listen for port 0); empty
	// when the listener could not be opened.
	Addr string `json:"addr,omitempty"`
	// Error says why the address could not be opened; the gateway retries.
	Error string `json:"error,omitempty"`
}

// reconcile opens, moves and closes listeners to match the table being
// served. Listeners whose environment left the table, or whose address
// changed, are closed first so an address can pass from one environment to
// another in a single reload. Callers hold reloadMu.
func (g *Gateway) reconcile() {
	t := g.table.Load()
	g.lmu.Lock()
	defer g.lmu.Unlock()
	if g.stopping {
		return
	}
	for name, l := range g.listeners {
		if e, ok := t.envs[name]; !ok || e.listen != l.listen {
			g.closeListener(l)
			delete(g.listeners, name)
		}
	}
	names := make([]string, 0, len(t.envs))
	for name := range t.envs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := g.listeners[name]; ok {
			continue
		}
		l := &envListener{env: name, listen: t.envs[name].listen}
		g.listeners[name] = l
		g.openListener(l)
	}
}

// retryListeners tries again to open the listeners whose address was taken.
func (g *Gateway) retryListeners() {
	g.lmu.Lock()
	defer g.lmu.Unlock()
	if g.stopping {
		return
	}
	for _, l := range g.listeners {
		if l.ln == nil {
			g.openListener(l)
		}
	}
}

// openListener binds l's address and starts serving the environment on it.
// A failure is recorded on l (and logged once per distinct error) so the
// other environments keep working. Callers hold lmu.
func (g *Gateway) openListener(l *envListener) {
	ln, err := net.Listen("tcp", l.listen)
	if err != nil {
		if l.err == nil || l.err.Error() != err.Error() {
			g.log.Error("cannot open environment listener; retrying", "env", l.env, "listen", l.listen, "err", err)
		}
		l.err = err
		return
	}
	if l.err != nil {
		g.log.Info("environment listener opened after retry", "env", l.env, "addr", ln.Addr().String())
	} else {
		g.log.Info("environment listener opened", "env", l.env, "addr", ln.Addr().String())
	}
	l.err = nil
	l.ln = ln
	l.srv = &http.Server{
		Handler:           g.envHandler(l.env),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          g.errorLog,
	}
	g.servers.Add(1)
	go func(srv *http.Server, ln net.Listener) {
		defer g.servers.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			g.log.Error("environment listener stopped", "env", l.env, "err", err)
		}
	}(l.srv, ln)
}

// closeListener stops accepting on l at once, so its address is free for a
// new listener, and lets its in-flight requests finish in the background
// for up to the grace period. Callers hold lmu.
func (g *Gateway) closeListener(l *envListener) {
	if l.ln == nil {
		return
	}
	g.log.Info("environment listener closed", "env", l.env, "addr", l.ln.Addr().String())
	_ = l.ln.Close()
	srv := l.srv
	l.ln, l.srv = nil, nil
	g.servers.Add(1)
	go func() {
		defer g.servers.Done()
		g.shutdownServer(srv)
	}()
}

// shutdownServer lets srv's in-flight requests finish for up to the grace
// period, then closes what is left.
func (g *Gateway) shutdownServer(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), g.grace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		g.log.Warn("grace period over; closing remaining connections", "err", err)
		_ = srv.Close()
	}
}

// closeAll stops every listener; called once when the gateway stops.
func (g *Gateway) closeAll() {
	g.lmu.Lock()
	defer g.lmu.Unlock()
	g.stopping = true
	for name, l := range g.listeners {
		g.closeListener(l)
		delete(g.listeners, name)
	}
}

// Listeners returns the state of every environment's listener by
// environment name.
func (g *Gateway) Listeners() map[string]ListenerStatus {
	g.lmu.Lock()
	defer g.lmu.Unlock()
	out := make(map[string]ListenerStatus, len(g.listeners))
	for name, l := range g.listeners {
		s := ListenerStatus{Listen: l.listen}
		if l.ln != nil {
			s.Addr = l.ln.Addr().String()
		}
		if l.err != nil {
			s.Error = l.err.Error()
		}
		out[name] = s
	}
	return out
}

// ListenAddr returns the bound address of an environment's listener, or ""
// when the environment has none open.
func (g *Gateway) ListenAddr(env string) string {
	return g.Listeners()[env].Addr
}
