package gateway

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// table is a compiled routing table. It is immutable once published
// through Gateway.table, so requests read it without locks; a reload
// builds a new one and swaps the pointer.
type table struct {
	gen  int64
	envs map[string]*envRoute
}

// envRoute is one environment's compiled routing.
type envRoute struct {
	name     string
	listen   string
	sticky   bool
	header   string
	weighted []*release // weight > 0, in table order
	cum      []int      // cumulative weights of weighted
	total    int
	byKey    map[string]*release // release id, then version -> release with backends
	byID     map[string]*release
	fallback []*release // weighted releases, stable first, then by weight
	// guarded is the environment's handler behind its edge protection;
	// nil when it has none. edgeErr is set when the protection could not
	// be built: the environment then refuses every request.
	guarded http.Handler
	edgeErr error
}

// release is one release's compiled routing plus its counters.
type release struct {
	id, version, role string
	weight            int
	backends          []*backend
	next              atomic.Uint64 // round-robin position
	stats             *counters
}

// backend is one replica address. Its state is shared by every table that
// names the address, so a replica found down stays known down across reloads.
type backend struct {
	addr string
	// downUntil is a UnixNano time before which the backend is tried only
	// after the others, because dialling it failed.
	downUntil atomic.Int64
}

// downFor is how long a backend that refused a connection is tried last.
const downFor = 2 * time.Second

func (b *backend) isDown(now int64) bool { return b.downUntil.Load() > now }

// pick chooses a release for a request by weight; nil when no release of
// the environment has weight.
func (e *envRoute) pick() *release {
	if e.total == 0 {
		return nil
	}
	n := rand.IntN(e.total)          // #nosec G404 -- spreading load by weight, not a secret
	i := sort.SearchInts(e.cum, n+1) // first cum > n
	return e.weighted[i]
}

// lookup finds a release by id or version for header or cookie pinning.
func (e *envRoute) lookup(key string) *release {
	return e.byKey[key]
}

// nextBackend returns the release's next backend round-robin, skipping
// backends known to be down while any other is up.
func (r *release) nextBackend() *backend {
	n := uint64(len(r.backends))
	start := r.next.Add(1) - 1
	now := time.Now().UnixNano()
	for i := range n {
		b := r.backends[(start+i)%n]
		if !b.isDown(now) {
			return b
		}
	}
	return r.backends[start%n]
}

// compile turns a validated route.Table into a table, reusing the backend
// states and release counters the gateway already has.
func (g *Gateway) compile(t *route.Table) *table {
	g.backendsMu.Lock()
	defer g.backendsMu.Unlock()
	seen := map[string]*backend{}
	ct := &table{gen: t.Generation, envs: make(map[string]*envRoute, len(t.Environments))}
	for name, e := range t.Environments {
		er := &envRoute{
			name:   name,
			listen: e.Listen,
			sticky: e.Sticky,
			header: e.Header,
			byKey:  map[string]*release{},
			byID:   map[string]*release{},
		}
		for _, r := range e.Releases {
			rel := &release{id: r.ID, version: r.Version, role: r.Role, weight: r.Weight,
				stats: g.counters.get(name, r.ID, r.Version)}
			for _, addr := range r.Backends {
				b := g.backends[addr]
				if b == nil {
					b = &backend{addr: addr}
				}
				seen[addr] = b
				rel.backends = append(rel.backends, b)
			}
			er.byID[r.ID] = rel
			if len(rel.backends) == 0 {
				continue
			}
			if r.Weight > 0 {
				er.weighted = append(er.weighted, rel)
				er.total += r.Weight
				er.cum = append(er.cum, er.total)
			}
		}
		// Ids win over versions when a value could be both.
		for _, rel := range er.byID {
			if len(rel.backends) > 0 && rel.version != "" && er.byKey[rel.version] == nil {
				er.byKey[rel.version] = rel
			}
		}
		for id, rel := range er.byID {
			if len(rel.backends) > 0 {
				er.byKey[id] = rel
			}
		}
		if len(e.Edge) > 0 {
			guard, err := g.edgeFor(name, e.Edge)
			if err != nil {
				er.edgeErr = err
				g.log.Error("edge protection refused; the environment refuses requests until it is fixed", "env", name, "err", err)
			} else {
				er.guarded = guard.Wrap(http.HandlerFunc(g.serveEnv))
			}
		}
		er.fallback = append([]*release(nil), er.weighted...)
		sort.SliceStable(er.fallback, func(i, j int) bool {
			a, b := er.fallback[i], er.fallback[j]
			if (a.role == route.RoleStable) != (b.role == route.RoleStable) {
				return a.role == route.RoleStable
			}
			return a.weight > b.weight
		})
		ct.envs[name] = er
	}
	g.backends = seen
	return ct
}

// errStale, errNoTable and errInvalid classify why a reload applied nothing.
var (
	errStale   = errors.New("stale routing table")
	errNoTable = errors.New("no routing table")
	errInvalid = errors.New("invalid routing table")
)

// fileSig identifies one version of the table file cheaply.
type fileSig struct {
	mtime time.Time
	size  int64
	inode uint64
}

// statTable returns the table file's signature; ok is false when it is missing.
func statTable(dir string) (fileSig, bool, error) {
	fi, err := os.Stat(filepath.Join(dir, route.TableFile))
	if errors.Is(err, os.ErrNotExist) {
		return fileSig{}, false, nil
	}
	if err != nil {
		return fileSig{}, false, err
	}
	return fileSig{mtime: fi.ModTime(), size: fi.Size(), inode: inodeOf(fi)}, true, nil
}

// reload reads the table file and, when it is valid and not older than the
// table being served, compiles and publishes it and reconciles the
// listeners. It returns the generation served afterwards. force reloads even
// when the file looks unchanged.
func (g *Gateway) reload(force bool) (int64, error) {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	cur := g.table.Load()
	sig, ok, err := statTable(g.dir)
	if err != nil {
		return cur.gen, fmt.Errorf("stat routing table: %w", err)
	}
	if !ok {
		if g.loaded.Load() && (g.lastSig != (fileSig{}) || force) {
			g.log.Warn("routing table missing; serving the last table", "generation", cur.gen,
				"file", filepath.Join(g.dir, route.TableFile))
		}
		g.lastSig = fileSig{}
		return cur.gen, fmt.Errorf("%w: %s does not exist; the control plane writes it", errNoTable, filepath.Join(g.dir, route.TableFile))
	}
	if !force && sig == g.lastSig {
		return cur.gen, nil
	}
	g.lastSig = sig
	t, err := route.Load(g.dir)
	if err != nil {
		g.log.Error("routing table ignored; serving the last good one", "generation", cur.gen, "err", err)
		g.reloadErrors.Add(1)
		return cur.gen, fmt.Errorf("%w: %v", errInvalid, err)
	}
	if g.loaded.Load() && t.Generation < cur.gen {
		g.log.Warn("routing table ignored: older than the one served",
			"file_generation", t.Generation, "generation", cur.gen)
		return cur.gen, fmt.Errorf("%w: file has generation %d, serving %d; the writer must increase the generation",
			errStale, t.Generation, cur.gen)
	}
	ct := g.compile(t)
	g.table.Store(ct)
	g.loaded.Store(true)
	if cur.gen != ct.gen || force {
		g.log.Info("routing table loaded", "generation", ct.gen, "environments", len(ct.envs))
	}
	g.reconcile()
	return ct.gen, nil
}

// watch polls the table file until done is closed, reloading it when it
// changes, and retries listeners that could not be opened.
func (g *Gateway) watch(done <-chan struct{}) {
	tick := time.NewTicker(g.poll)
	defer tick.Stop()
	retryEvery := max(10*g.poll, 100*time.Millisecond)
	lastRetry := time.Now()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		// reload logs what it ignores; the last good table keeps serving.
		_, _ = g.reload(false)
		if time.Since(lastRetry) >= retryEvery {
			lastRetry = time.Now()
			g.retryListeners()
		}
	}
}
