package analysis

import (
	"context"
	"errors"
	"time"
)

// Query says whose traffic to measure and over which window.
type Query struct {
	// Env and Release identify the release as the routing table does;
	// Version is its version label (used by Prometheus queries and
	// webhooks; the gateway counts by release ID).
	Env, Release, Version string
	// Since and Until bound the window. A zero Until means now. How a
	// provider uses Since is documented on the provider.
	Since, Until time.Time
}

// Provider measures a release's traffic.
//
// Measure returns an error when it could not measure (source unreachable,
// bad answer); a window without traffic is not an error but Metrics with
// Requests 0.
type Provider interface {
	// Name identifies the provider in results and logs ("gateway").
	Name() string
	// Measure measures q's release over q's window.
	Measure(ctx context.Context, q Query) (Metrics, error)
}

// Beginner is implemented by providers that must see the start of a
// window (the gateway's counters are cumulative, so its provider takes a
// baseline snapshot). Callers call Begin, when the provider has it, before
// the first Measure of a window.
type Beginner interface {
	Begin(ctx context.Context, q Query) error
}

// Checker is a source that judges by itself, such as a pass/fail webhook.
type Checker interface {
	// Name identifies the checker in results and logs.
	Name() string
	// Check returns Successful, Failed or Error; never Inconclusive
	// unless the checker says so itself.
	Check(ctx context.Context, q Query) Result
}

// ErrNoBaseline is returned by Gateway.Measure when Begin was not called
// for the query's environment and release.
var ErrNoBaseline = errors.New("no baseline snapshot: call Begin at the start of the window")

// Evaluate measures q with p and judges the Metrics with judge, for
// example
//
//	func(m Metrics) Result { return Judge(m, conds, 100) }
//
// A measuring error becomes an Error Result naming the provider.
func Evaluate(ctx context.Context, p Provider, q Query, judge func(Metrics) Result) Result {
	m, err := p.Measure(ctx, q)
	if err != nil {
		return Result{Outcome: Error, Reasons: []string{p.Name() + ": " + err.Error()}}
	}
	return judge(m)
}
