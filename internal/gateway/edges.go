package gateway

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/sluice-ci/sluice/internal/gateway/edge"
)

// edgeFor returns the edge protection of configuration raw for env,
// building it once per distinct configuration (a WAF is expensive to
// build; routing tables change at every canary step). The caller holds
// backendsMu.
func (g *Gateway) edgeFor(env string, raw json.RawMessage) (*edge.Edge, error) {
	sum := sha256.Sum256(append([]byte(env+"\x00"), raw...))
	key := string(sum[:])
	if g.edges == nil {
		g.edges = map[string]*edge.Edge{}
	}
	if e, ok := g.edges[key]; ok {
		return e, nil
	}
	var cfg edge.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("edge configuration of %s: %w", env, err)
	}
	e, err := edge.New(cfg, edge.Options{Logger: g.log, OnBlock: func(b edge.Block) { g.blocked(env, b) }, Release: releaseOf})
	if err != nil {
		return nil, err
	}
	g.edges[key] = e
	return e, nil
}

// blockKey identifies a count of edge matches.
type blockKey struct{ env, release, layer, rule, mode string }

// blockCounts counts edge matches; the request path only touches a
// sync.Map entry and an atomic.
type blockCounts struct {
	m sync.Map // blockKey -> *atomic.Int64
}

// blockCount is one count of edge matches.
type blockCount struct {
	blockKey
	n int64
}

// releaseOf names the release the gateway picked for r before the edge
// ran (see routeEnv).
func releaseOf(r *http.Request) string {
	if st, ok := r.Context().Value(stateKey{}).(*reqState); ok && st.rel != nil {
		return st.rel.id
	}
	return ""
}

// blocked counts an edge match, writes it to the security event log and
// logs what was refused or alerts.
func (g *Gateway) blocked(env string, b edge.Block) {
	first := false
	k := blockKey{env: env, release: b.Release, layer: string(b.Layer), rule: b.Rule, mode: string(b.Mode)}
	v, ok := g.blocks.m.Load(k)
	if !ok {
		var loaded bool
		v, loaded = g.blocks.m.LoadOrStore(k, new(atomic.Int64))
		first = !loaded
	}
	v.(*atomic.Int64).Add(1)
	if g.events != nil {
		g.events.add(eventOf(env, b))
	}
	// Every match is in the event log and the metrics; the process log
	// names each kind once, so that a flood does not drown it.
	if first && b.Alert {
		g.log.Warn("edge protection matched (further matches of this rule: security event log and metrics)", "env", env, "release", b.Release,
			"layer", b.Layer, "rule", b.Rule, "mode", b.Mode, "enforced", b.Enforced, "status", b.Status, "request_id", b.RequestID,
			"client", b.ClientIP, "method", b.Method, "path", truncate(b.Path, 256), "message", b.Message)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// blockedAll returns every count of edge matches.
func (g *Gateway) blockedAll() []blockCount {
	var out []blockCount
	g.blocks.m.Range(func(k, v any) bool {
		out = append(out, blockCount{k.(blockKey), v.(*atomic.Int64).Load()})
		return true
	})
	return out
}
