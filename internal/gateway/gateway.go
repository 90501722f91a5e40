// Package gateway is sluice's data plane: it serves every environment of
// the routing table the control plane writes (route.TableFile in the
// gateway folder) on its own listener, spreads requests over the releases
// by weight, pins clients by header or cookie, retries requests whose
// backend could not be reached, and counts traffic per release for
// analysis (and, interval by interval over the last hour, for charts). It
// keeps serving its last good table when the control plane is gone.
//
// The request path takes no lock: the compiled table sits behind an
// atomic pointer that a reload swaps, and the counters are atomics read
// at scrape time.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"github.com/sluice-ci/sluice/internal/gateway/edge"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// Options configure a gateway. Only Dir is required.
type Options struct {
	// Dir is the gateway folder: the routing table (route.TableFile), the
	// admin token (TokenFile) and the admin address file (AdminFile).
	Dir string
	// AdminAddr is the admin API's host:port; default 127.0.0.1:0.
	AdminAddr string
	// PollInterval is how often the table file is checked for changes;
	// default 100ms.
	PollInterval time.Duration
	// Logger receives the gateway's logs; default slog.Default().
	Logger *slog.Logger
	// Grace is how long in-flight requests may take to finish at shutdown
	// and when a listener closes; default 10s.
	Grace time.Duration
	// EventLog is the security event log's path; default EventLogFile in
	// Dir, "off" for none. EventLogMaxBytes (default
	// DefaultEventLogMaxBytes) is the size at which it is rotated.
	EventLog         string
	EventLogMaxBytes int64
}

// Defaults of Options.
const (
	DefaultAdminAddr    = "127.0.0.1:0"
	DefaultPollInterval = 100 * time.Millisecond
	DefaultGrace        = 10 * time.Second
)

// Gateway is a running data plane. Create it with New, then call Serve
// once; Serve releases everything New acquired when it returns.
type Gateway struct {
	dir      string
	poll     time.Duration
	grace    time.Duration
	log      *slog.Logger
	errorLog *log.Logger
	started  time.Time
	token    string

	table  atomic.Pointer[table] // never nil
	loaded atomic.Bool           // a table file has been applied
	proxy  *httputil.ReverseProxy

	reloadMu     sync.Mutex // serialises reloads
	lastSig      fileSig
	reloadErrors atomic.Int64

	backendsMu sync.Mutex // guards backends and edges while compiling
	backends   map[string]*backend
	edges      map[string]*edge.Edge // by environment and configuration digest
	blocks     blockCounts
	events     *eventLog // nil when the security event log is off

	counters registry

	lmu       sync.Mutex // guards listeners and stopping
	listeners map[string]*envListener
	stopping  bool
	servers   sync.WaitGroup // listener goroutines and their shutdowns

	adminLn  net.Listener
	adminSrv *http.Server
	served   atomic.Bool
}

// New prepares a gateway: it creates Dir and the admin token if needed,
// binds the admin API, loads the routing table if there is one and opens
// the environments' listeners. Requests are accepted once New returns;
// call Serve to run the gateway and to release all of it.
func New(o Options) (*Gateway, error) {
	if o.Dir == "" {
		return nil, errors.New("gateway: no folder given; set Options.Dir to the gateway folder")
	}
	if o.AdminAddr == "" {
		o.AdminAddr = DefaultAdminAddr
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("gateway: create folder: %w", err)
	}
	token, err := loadOrCreateToken(o.Dir)
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		dir:       o.Dir,
		poll:      o.PollInterval,
		grace:     o.Grace,
		log:       o.Logger,
		errorLog:  slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
		started:   time.Now().UTC(),
		token:     token,
		backends:  map[string]*backend{},
		listeners: map[string]*envListener{},
	}
	g.table.Store(&table{envs: map[string]*envRoute{}})
	g.proxy = g.newProxy()

	if o.EventLog != "off" {
		path := o.EventLog
		if path == "" {
			path = filepath.Join(o.Dir, EventLogFile)
		}
		if g.events, err = openEventLog(path, o.EventLogMaxBytes, DefaultEventLogKeep, o.Logger); err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
	}
	ln, err := net.Listen("tcp", o.AdminAddr)
	if err != nil {
		g.closeEvents()
		return nil, fmt.Errorf("gateway: open admin API on %s: %w; choose another Options.AdminAddr", o.AdminAddr, err)
	}
	g.adminLn = ln
	g.adminSrv = &http.Server{
		Handler:           g.adminHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          g.errorLog,
	}
	if err := writeAdminFile(o.Dir, ln.Addr().String(), g.started); err != nil {
		ln.Close()
		g.closeEvents()
		return nil, err
	}
	if _, err := g.reload(true); errors.Is(err, errNoTable) {
		g.log.Info("no routing table yet; serving nothing until the control plane writes one",
			"file", filepath.Join(g.dir, route.TableFile))
	}
	return g, nil
}

func (g *Gateway) closeEvents() {
	if g.events != nil {
		g.events.Close()
	}
}

// AdminAddr returns the admin API's bound address, host:port.
func (g *Gateway) AdminAddr() string { return g.adminLn.Addr().String() }

// Generation returns the generation of the routing table being served (0
// before any table was loaded).
func (g *Gateway) Generation() int64 { return g.table.Load().gen }

// Serve runs the gateway until ctx is done, then stops accepting
// connections, lets in-flight requests finish for up to the grace period
// and returns. It must be called once.
func (g *Gateway) Serve(ctx context.Context) error {
	if g.served.Swap(true) {
		return errors.New("gateway: Serve called twice; create a new gateway with New")
	}
	g.log.Info("gateway serving", "admin", g.AdminAddr(), "dir", g.dir, "generation", g.Generation())
	adminErr := make(chan error, 1)
	go func() { adminErr <- g.adminSrv.Serve(g.adminLn) }()
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		g.watch(done)
	}()

	var err error
	select {
	case <-ctx.Done():
	case err = <-adminErr:
		err = fmt.Errorf("gateway: admin API stopped: %w", err)
	}
	g.log.Info("gateway stopping", "grace", g.grace)
	close(done)
	<-watched
	g.reloadMu.Lock() // no reload may reopen listeners from here on
	g.closeAll()
	g.reloadMu.Unlock()
	g.shutdownServer(g.adminSrv)
	g.servers.Wait()
	g.closeEvents() // every request is done: nothing adds events any more
	removeAdminFile(g.dir)
	g.log.Info("gateway stopped")
	return err
}

// Run creates a gateway and serves until ctx is done; see New and Serve.
func Run(ctx context.Context, o Options) error {
	g, err := New(o)
	if err != nil {
		return err
	}
	return g.Serve(ctx)
}
