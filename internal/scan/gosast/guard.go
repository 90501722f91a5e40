package gosast

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/securego/gosec/v2/analyzers"
	"golang.org/x/tools/go/analysis"
)

// guarded wraps every analyzer so that a panic in it, which gosec runs on
// a goroutine of its own where no caller could recover it, becomes an
// error recorded in watch.
func guarded(defs map[string]analyzers.AnalyzerDefinition, watch *panicWatch) map[string]analyzers.AnalyzerDefinition {
	out := make(map[string]analyzers.AnalyzerDefinition, len(defs))
	for id, def := range defs {
		create := def.Create
		def.Create = func(id, desc string) *analysis.Analyzer {
			a := create(id, desc)
			run := a.Run
			a.Run = func(pass *analysis.Pass) (res any, err error) {
				defer func() {
					if v := recover(); v != nil {
						watch.add(fmt.Sprintf("rule %s crashed: %v", id, v))
						res, err = nil, fmt.Errorf("%s crashed: %v", id, v)
					}
				}()
				return run(pass)
			}
			return a
		}
		out[id] = def
	}
	return out
}

// panicWatch collects the crashes gosec recovers from itself and only
// logs (building the SSA form of a package), and those of guarded.
type panicWatch struct {
	mu   sync.Mutex
	msgs []string
}

// Write receives gosec's log lines and keeps the panics.
func (w *panicWatch) Write(b []byte) (int, error) {
	if bytes.HasPrefix(b, []byte("Panic when running SSA")) {
		w.add("gosec could not build the SSA form of this package; SSA-based rules (G115, G602, G7xx …) did not run")
	}
	return len(b), nil
}

func (w *panicWatch) add(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *panicWatch) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(w.msgs, "; "))
}
