package analysis

import "fmt"

// Outcome is the judgement of one measurement.
type Outcome string

// The four outcomes, as in Argo Rollouts' analysis.
const (
	// Successful: enough requests and every condition met.
	Successful Outcome = "Successful"
	// Failed: at least one condition not met (for a rollback judgement:
	// at least one rollback condition breached).
	Failed Outcome = "Failed"
	// Inconclusive: too few requests (or none) to judge.
	Inconclusive Outcome = "Inconclusive"
	// Error: the measurement itself failed (source unreachable, bad
	// answer); says nothing about the release.
	Error Outcome = "Error"
)

// Result is the judgement of one measurement.
type Result struct {
	Outcome Outcome
	// Reasons explain the outcome: each failed condition with its measured
	// value, the shortage of requests, the error, a webhook's message.
	Reasons []string
	// Metrics is what was measured (zero for an Error).
	Metrics Metrics
	// Values are named numbers a webhook reported; nil otherwise.
	Values map[string]float64
}

// Judge judges m against success conditions: every condition must hold.
//
// The minimum number of requests is minRequests, or the min_requests
// condition when conds has one (it takes precedence). With fewer requests
// the Result is Inconclusive ("only 12 requests, need 100"); so is a
// window without any request when conds has a metric condition, since a
// rate or a percentile of nothing cannot be judged. Otherwise the Result
// is Failed when any condition does not hold, with one reason per failed
// condition naming it and the measured value, and Successful when all do.
func Judge(m Metrics, conds []Condition, minRequests int64) Result {
	return judge(m, conds, minRequests, false)
}

// JudgeRollback judges m against rollback conditions, as a monitor's
// rollback_when: the Result is Failed when any condition holds (is
// breached), Successful when none does. Requests are counted as in Judge:
// too few make the Result Inconclusive.
func JudgeRollback(m Metrics, conds []Condition, minRequests int64) Result {
	return judge(m, conds, minRequests, true)
}

func judge(m Metrics, conds []Condition, minRequests int64, rollback bool) Result {
	r := Result{Metrics: m}
	need, metricConds := minRequests, 0
	for _, c := range conds {
		if c.Key == KeyMinRequests {
			need = int64(c.Threshold)
		} else {
			metricConds++
		}
	}
	if m.Requests < need {
		r.Outcome = Inconclusive
		r.Reasons = []string{fmt.Sprintf("only %d requests, need %d", max(m.Requests, 0), need)}
		return r
	}
	if m.NoData() && metricConds > 0 {
		r.Outcome = Inconclusive
		r.Reasons = []string{"no requests in the window: no data to judge"}
		return r
	}
	for _, c := range conds {
		v, ok := c.Value(m)
		if !ok {
			continue
		}
		holds := c.Holds(m)
		switch {
		case rollback && holds:
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s breached: measured %s over %d requests", c, c.Format(v), m.Requests))
		case !rollback && !holds:
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s failed: measured %s over %d requests", c, c.Format(v), m.Requests))
		}
	}
	r.Outcome = Successful
	if len(r.Reasons) > 0 {
		r.Outcome = Failed
	}
	return r
}
