package gatekeeper

import (
	"context"
	"fmt"

	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/store"
)

// lastAdmittedRun returns the newest run before cur whose gate admitted a
// job into env, with the fingerprints of its findings; nil when there is
// none among the last 200 runs.
func lastAdmittedRun(ctx context.Context, st store.Store, env string, cur *store.Run) (*store.Run, []string, error) {
	runs, err := st.Runs().ListRuns(ctx, store.RunFilter{Limit: 200})
	if err != nil {
		return nil, nil, err
	}
	for _, r := range runs {
		if r.Number >= cur.Number {
			continue
		}
		ds, err := st.Decisions().ListDecisions(ctx, r.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range ds {
			if d.Env == env && d.JobID != "" && d.Outcome != string(gate.Block) {
				ev, err := RunEvidence(ctx, st, r.ID, nil)
				if err != nil {
					return nil, nil, err
				}
				return r, ev.Fingerprints(), nil
			}
		}
	}
	return nil, nil, nil
}

func baselineFrom(r *store.Run, env string) string {
	return fmt.Sprintf("run #%d, the last admitted to %s", r.Number, env)
}

// Baseline is the baseline a gate decision of a run judged against: the
// findings of the run last admitted to the decision's environment.
type Baseline struct {
	// Env is the environment of the decision; Decision its id.
	Env      string
	Decision int64
	// Run is the run whose findings were the baseline.
	Run *store.Run
	// From says so in words ("run #3, the last admitted to production").
	From string
	// Fingerprints are the baseline's findings.
	Fingerprints map[string]bool
}

// UsedBaseline returns the baseline of run's newest gate decision that
// judged against one (an environment with new_only), found again in the
// store and checked against the digest the decision recorded. It returns
// nil when no decision of the run used a baseline, or when the one used
// cannot be told any more (a --baseline report given by hand, or a
// decision recorded since on an earlier run): then no one can say which
// of the run's findings are new.
func UsedBaseline(ctx context.Context, st store.Store, run *store.Run) (*Baseline, error) {
	return usedBaseline(ctx, st, run, "")
}

// EnvBaseline is UsedBaseline for env's gate alone: the baseline of the
// newest decision of run in env that judged against one, checked the same
// way; nil when there is none or it cannot be told any more.
func EnvBaseline(ctx context.Context, st store.Store, run *store.Run, env string) (*Baseline, error) {
	if env == "" {
		return nil, nil
	}
	return usedBaseline(ctx, st, run, env)
}

// usedBaseline looks at the decisions of env ("" for every environment).
func usedBaseline(ctx context.Context, st store.Store, run *store.Run, env string) (*Baseline, error) {
	ds, err := st.Decisions().ListDecisions(ctx, run.ID)
	if err != nil {
		return nil, fmt.Errorf("decisions of run %s: %w", run.ID, err)
	}
	tried := map[string]bool{}
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		want := d.Digests["baseline"]
		if want == "" || env != "" && d.Env != env || tried[d.Env+" "+want] {
			continue
		}
		tried[d.Env+" "+want] = true
		r, fps, err := lastAdmittedRun(ctx, st, d.Env, run)
		if err != nil {
			return nil, fmt.Errorf("baseline of run %s in %s: %w", run.ID, d.Env, err)
		}
		if r == nil || combine(fps) != want {
			continue
		}
		b := &Baseline{Env: d.Env, Decision: d.ID, Run: r, From: baselineFrom(r, d.Env), Fingerprints: make(map[string]bool, len(fps))}
		for _, fp := range fps {
			b.Fingerprints[fp] = true
		}
		return b, nil
	}
	return nil, nil
}
