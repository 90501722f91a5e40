package release

import (
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/analysis"
)

// failFastRequests is how many requests a window needs before a breached
// condition fails a release before the window ends: one bad request of
// three is noise, of a few dozen it is a signal.
const failFastRequests = 20

type verdict int

const (
	verdictPass verdict = iota
	verdictFail
	verdictNoData
)

// judge judges measurements against a strategy's conditions: success
// conditions (canary analysis: all must hold) or rollback conditions
// (monitor rollback_when: none may hold).
type judge struct {
	conds    []analysis.Condition
	rollback bool
	minReq   int64
	errors   int
	src      sources
	prom     *analysis.Prometheus
	hook     *analysis.Webhook
}

// sources are where a judge's numbers come from, besides the gateway.
type sources struct {
	prometheus string // metrics from this Prometheus server
	webhook    string // and a pass/fail verdict from this URL
}

// splitSources separates the source URLs from the conditions.
func splitSources(m map[string]string) (map[string]string, sources, error) {
	var src sources
	conds := map[string]string{}
	for k, v := range m {
		switch k {
		case "prometheus":
			src.prometheus = v
		case "webhook":
			src.webhook = v
		default:
			conds[k] = v
		}
	}
	_, err := analysis.ParseConditions(conds)
	return conds, src, err
}

func newJudge(all map[string]string, rollback bool) (*judge, error) {
	conds, src, err := splitSources(all)
	if err != nil {
		return nil, err
	}
	cs, err := analysis.ParseConditions(conds)
	if err != nil {
		return nil, err
	}
	j := &judge{conds: cs, rollback: rollback, minReq: 1, src: src}
	if src.prometheus != "" {
		p, err := analysis.NewPrometheus(analysis.PrometheusConfig{URL: src.prometheus})
		if err != nil {
			return nil, err
		}
		j.prom = p
	}
	if src.webhook != "" {
		w, err := analysis.NewWebhook(src.webhook, 10*time.Second)
		if err != nil {
			return nil, err
		}
		j.hook = w
	}
	for _, c := range cs {
		if c.Key == analysis.KeyMinRequests {
			j.minReq = int64(c.Threshold)
		}
	}
	return j, nil
}

// active says whether there is anything to judge.
func (j *judge) active() bool {
	if j.hook != nil {
		return true
	}
	for _, c := range j.conds {
		if c.Key != analysis.KeyMinRequests {
			return true
		}
	}
	return false
}

// judge returns the verdict on m and why. A breach fails only with
// enough requests for a signal; too few requests is no data.
func (j *judge) judge(m analysis.Metrics) (verdict, string) {
	var r analysis.Result
	if j.rollback {
		r = analysis.JudgeRollback(m, j.conds, j.minReq)
	} else {
		r = analysis.Judge(m, j.conds, j.minReq)
	}
	why := strings.Join(r.Reasons, "; ")
	switch r.Outcome {
	case analysis.Failed:
		if m.Requests >= max(j.minReq, failFastRequests) {
			return verdictFail, why
		}
		return verdictNoData, why
	case analysis.Inconclusive, analysis.Error:
		return verdictNoData, why
	}
	return verdictPass, why
}
