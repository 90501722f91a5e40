package osv

import (
	"context"
	"runtime"
	"sync"
)

// Query is one package version to look up.
type Query struct {
	Ecosystem, Name, Version string
}

// QueryAll looks every query up, on all cores (each lookup parses the
// advisories of its package), and returns the matches keyed by query.
// When ctx ends, the queries not yet started are left out of the result.
func (db *DB) QueryAll(ctx context.Context, qs []Query) map[Query][]Vuln {
	res := make([][]Vuln, len(qs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(qs))) {
		wg.Go(func() {
			for i := range next {
				q := qs[i]
				res[i] = db.Query(q.Ecosystem, q.Name, q.Version)
			}
		})
	}
	sent := 0
	for i := range qs {
		if ctx.Err() != nil {
			break
		}
		next <- i
		sent++
	}
	close(next)
	wg.Wait()
	out := make(map[Query][]Vuln, sent)
	for i := 0; i < sent; i++ {
		out[qs[i]] = res[i]
	}
	return out
}
