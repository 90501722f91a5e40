// Package load drives steady HTTP load at a URL and counts what came back,
// per release (the gateway's X-Sluice-Release header): the demo, the
// end-to-end tests and the benchmarks use it to show that no request fails
// while releases switch. It is for loopback targets and bounded runs.
package load

import (
	"context"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a run.
type Options struct {
	// URL is requested with GET.
	URL string
	// Workers send requests concurrently, each waiting Pause between its
	// requests (0: back to back).
	Workers int
	Pause   time.Duration
	// Timeout bounds one request (default 10s).
	Timeout time.Duration
}

// Counts are what a run saw.
type Counts struct {
	Requests int64
	// Failed are transport errors and 5xx answers.
	Failed int64
	// ByRelease counts answers per X-Sluice-Release; FailedByRelease the
	// 5xx answers among them.
	ByRelease       map[string]int64
	FailedByRelease map[string]int64
	// Errors holds up to 10 transport errors, as text.
	Errors []string
}

// Generator sends load until stopped.
type Generator struct {
	o      Options
	cancel context.CancelFunc
	wg     sync.WaitGroup

	requests, failed atomic.Int64
	mu               sync.Mutex
	byRelease        map[string]int64
	failedByRelease  map[string]int64
	errors           []string
}

// Start starts the workers.
func Start(ctx context.Context, o Options) *Generator {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	g := &Generator{o: o, cancel: cancel, byRelease: map[string]int64{}, failedByRelease: map[string]int64{}}
	client := &http.Client{Timeout: o.Timeout, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: o.Workers}}
	for range o.Workers {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			for ctx.Err() == nil {
				g.one(ctx, client)
				if o.Pause > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(o.Pause):
					}
				}
			}
		}()
	}
	return g
}

func (g *Generator) one(ctx context.Context, client *http.Client) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.o.URL, nil)
	if err != nil {
		return
	}
	res, err := client.Do(req)
	if ctx.Err() != nil {
		return // stopping: not the target's failure
	}
	g.requests.Add(1)
	if err != nil {
		g.failed.Add(1)
		g.mu.Lock()
		if len(g.errors) < 10 {
			g.errors = append(g.errors, err.Error())
		}
		g.mu.Unlock()
		return
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	rel := res.Header.Get("X-Sluice-Release")
	bad := res.StatusCode >= 500
	if bad {
		g.failed.Add(1)
	}
	g.mu.Lock()
	g.byRelease[rel]++
	if bad {
		g.failedByRelease[rel]++
	}
	g.mu.Unlock()
}

// Snapshot returns the counts so far.
func (g *Generator) Snapshot() Counts {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := Counts{Requests: g.requests.Load(), Failed: g.failed.Load(), ByRelease: map[string]int64{}, FailedByRelease: map[string]int64{},
		Errors: append([]string(nil), g.errors...)}
	for k, v := range g.byRelease {
		c.ByRelease[k] = v
	}
	for k, v := range g.failedByRelease {
		c.FailedByRelease[k] = v
	}
	return c
}

// Stop stops the workers and returns the final counts.
func (g *Generator) Stop() Counts {
	g.cancel()
	g.wg.Wait()
	return g.Snapshot()
}

// Releases lists the releases that answered, sorted.
func (c Counts) Releases() []string {
	var out []string
	for k := range c.ByRelease {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
