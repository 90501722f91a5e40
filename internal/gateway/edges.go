package gateway

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
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
	e, err := edge.New(cfg, edge.Options{Logger: g.log, OnBlock: func(b edge.Block) { g.blocked(env, b) }})
	if err != nil {
		return nil, err
	}
	g.edges[key] = e
	return e, nil
}

// blockCounts counts edge matches by environment and "layer rule mode".
type blockCounts struct {
	m sync.Map // "env\x00layer/rule/mode" -> *atomic.Int64
}

func (g *Gateway) blocked(env string, b edge.Block) {
	k := env + "\x00" + string(b.Layer) + " " + b.Rule + " " + string(b.Mode)
	v, _ := g.blocks.m.LoadOrStore(k, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	if b.Enforced || b.Alert {
		g.log.Warn("edge", "env", env, "layer", b.Layer, "rule", b.Rule, "mode", b.Mode, "enforced", b.Enforced,
			"status", b.Status, "request_id", b.RequestID, "client", b.ClientIP, "method", b.Method, "path", b.Path, "message", b.Message)
	}
}

// blockedAll returns each environment's counts by "layer rule mode".
func (g *Gateway) blockedAll() map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	g.blocks.m.Range(func(k, v any) bool {
		ks := k.(string)
		for i := 0; i < len(ks); i++ {
			if ks[i] == 0 {
				env, rest := ks[:i], ks[i+1:]
				if out[env] == nil {
					out[env] = map[string]int64{}
				}
				out[env][rest] = v.(*atomic.Int64).Load()
				break
			}
		}
		return true
	})
	return out
}
