package scan

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
)

// Result is what a scan produced: every finding as reported (not yet
// merged) and the health of every scanner that was asked for.
type Result struct {
	Findings []findings.Finding
	Health   []Health
}

// Progress is told when each scanner starts and ends; nil means silent.
type Progress interface {
	Started(scanner string)
	Finished(h Health)
}

// Run runs the scanners over t concurrently and waits for all of them. A
// scanner that does not apply is reported Skipped with its reason; one that
// fails is reported Failed with the error; neither stops the others. Health
// is returned in the order of scanners.
func Run(ctx context.Context, t *Target, scanners []Scanner, p Progress) Result {
	var (
		mu  sync.Mutex
		res Result
		wg  sync.WaitGroup
	)
	health := make([]Health, len(scanners))
	for i, s := range scanners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p != nil {
				p.Started(s.Name())
			}
			start := time.Now()
			h := runOne(ctx, t, s, func(f findings.Finding) {
				if f.Scanner == "" {
					f.Scanner = s.Name()
				}
				if f.Category == "" {
					f.Category = s.Category()
				}
				mu.Lock()
				res.Findings = append(res.Findings, f)
				mu.Unlock()
			})
			h.Scanner = s.Name()
			if h.Duration == 0 {
				h.Duration = time.Since(start)
			}
			health[i] = h
			if p != nil {
				p.Finished(h)
			}
		}()
	}
	wg.Wait()
	res.Health = health
	// Scanners report concurrently; give callers a stable order.
	sort.SliceStable(res.Findings, func(i, j int) bool {
		a, b := res.Findings[i], res.Findings[j]
		if a.Scanner != b.Scanner {
			return a.Scanner < b.Scanner
		}
		if a.Location.Path != b.Location.Path {
			return a.Location.Path < b.Location.Path
		}
		if a.Location.StartLine != b.Location.StartLine {
			return a.Location.StartLine < b.Location.StartLine
		}
		return a.RuleID < b.RuleID
	})
	return res
}

// runOne runs one scanner, turning a panic into a Failed health so one
// broken scanner never takes the whole scan down.
func runOne(ctx context.Context, t *Target, s Scanner, report func(findings.Finding)) (h Health) {
	defer func() {
		if r := recover(); r != nil {
			h = Health{Status: Failed, Reason: fmt.Sprintf("scanner crashed: %v", r)}
		}
	}()
	if ok, why := s.Applies(ctx, t); !ok {
		return Health{Status: Skipped, Reason: why}
	}
	var n, ignored atomic.Int64 // report may be called from many goroutines
	h, err := s.Scan(ctx, t, func(f findings.Finding) {
		n.Add(1)
		if f.InlineIgnored {
			ignored.Add(1)
		}
		report(f)
	})
	if err != nil {
		h.Status = Failed
		h.Reason = err.Error()
	} else if h.Status == "" {
		h.Status = Ran
	}
	if h.Findings == 0 {
		h.Findings = int(n.Load())
	}
	h.Ignored = int(ignored.Load())
	if len(h.Errors) > 0 {
		h.Partial = true
	}
	return h
}
