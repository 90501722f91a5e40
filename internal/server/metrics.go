package server

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/dora"
	"github.com/sluice-ci/sluice/internal/store"
)

// doraWindow is the window of the DORA figures in /metrics.
const doraWindow = 30 * 24 * time.Hour

var (
	descRuns        = prometheus.NewDesc("sluice_runs", "Pipeline runs in the store, by status.", []string{"status"}, nil)
	descQueue       = prometheus.NewDesc("sluice_runs_in_progress", "Runs pending or running.", nil, nil)
	descRunDuration = prometheus.NewDesc("sluice_run_duration_seconds", "Durations of finished runs.", nil, nil)
	descDecisions   = prometheus.NewDesc("sluice_gate_decisions", "Gate decisions recorded, by environment and outcome.", []string{"env", "outcome"}, nil)
	descDeploys     = prometheus.NewDesc("sluice_deployments", "Releases that took all traffic, by environment.", []string{"env"}, nil)
	descRollbacks   = prometheus.NewDesc("sluice_rollbacks", "Releases rolled back, by environment.", []string{"env"}, nil)
	descPerDay      = prometheus.NewDesc("sluice_dora_deployments_per_day", "DORA deployment frequency over 30 days.", []string{"env"}, nil)
	descLead        = prometheus.NewDesc("sluice_dora_lead_time_seconds", "DORA lead time for changes (median) over 30 days.", []string{"env"}, nil)
	descCFR         = prometheus.NewDesc("sluice_dora_change_failure_rate", "DORA change failure rate over 30 days.", []string{"env"}, nil)
	descRestore     = prometheus.NewDesc("sluice_dora_time_to_restore_seconds", "DORA time to restore service (median) over 30 days.", []string{"env"}, nil)
)

// collector reads the store at scrape time (at most every 15s), so nothing
// is counted twice and a restart loses nothing.
type collector struct {
	s     *Server
	mu    sync.Mutex
	at    time.Time
	cache []prometheus.Metric
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRuns, descQueue, descRunDuration, descDecisions, descDeploys, descRollbacks, descPerDay, descLead, descCFR, descRestore} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > 15*time.Second || c.cache == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c.cache = c.s.gather(ctx)
		cancel()
		c.at = time.Now()
	}
	for _, m := range c.cache {
		ch <- m
	}
}

// gather computes every metric from the store.
func (s *Server) gather(ctx context.Context) []prometheus.Metric {
	var out []prometheus.Metric
	runs, err := s.o.Store.Runs().ListRuns(ctx, store.RunFilter{})
	if err != nil {
		return nil
	}
	byStatus := map[store.Status]int{}
	queue := 0
	buckets := map[float64]uint64{}
	bounds := []float64{10, 30, 60, 120, 300, 600, 1800, 3600}
	var n uint64
	var sum float64
	for _, r := range runs {
		byStatus[r.Status]++
		if !r.Status.Final() {
			queue++
		}
		if r.Status.Final() && !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() {
			d := r.FinishedAt.Sub(r.StartedAt).Seconds()
			n++
			sum += d
			for _, b := range bounds {
				if d <= b {
					buckets[b]++
				}
			}
		}
	}
	for st, k := range byStatus {
		out = append(out, prometheus.MustNewConstMetric(descRuns, prometheus.GaugeValue, float64(k), string(st)))
	}
	out = append(out, prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(queue)))
	if h, err := prometheus.NewConstHistogram(descRunDuration, n, sum, buckets); err == nil {
		out = append(out, h)
	}
	// Gate decisions and environments from the audit trail.
	decisions := map[[2]string]int{}
	envs := map[string]bool{}
	var after int64
	for {
		page, err := s.o.Store.Audit().ListAudit(ctx, store.AuditQuery{AfterSeq: after, Limit: 5000})
		if err != nil || len(page) == 0 {
			break
		}
		for _, a := range page {
			switch a.Action {
			case "gate.decide":
				decisions[[2]string{a.Data["env"], a.Data["outcome"]}]++
			case "release.create", "env.switch":
				if e := a.Data["env"]; e != "" {
					envs[e] = true
				} else if len(a.Subject) > 4 && a.Subject[:4] == "env/" {
					envs[a.Subject[4:]] = true
				}
			}
		}
		after = page[len(page)-1].Seq
	}
	for k, v := range decisions {
		out = append(out, prometheus.MustNewConstMetric(descDecisions, prometheus.GaugeValue, float64(v), k[0], k[1]))
	}
	for env := range envs {
		m, err := dora.Compute(ctx, s.o.Store, env, s.o.Now(), doraWindow)
		if err != nil {
			continue
		}
		rels, _ := s.o.Store.Releases().ListReleases(ctx, env, 0)
		deploys, rollbacks := 0, 0
		for _, r := range rels {
			switch r.State {
			case store.ReleaseLive, store.ReleaseMonitoring, store.ReleaseSuperseded:
				deploys++
			case store.ReleaseRolledBack:
				rollbacks++
			}
		}
		out = append(out,
			prometheus.MustNewConstMetric(descDeploys, prometheus.GaugeValue, float64(deploys), env),
			prometheus.MustNewConstMetric(descRollbacks, prometheus.GaugeValue, float64(rollbacks), env),
			prometheus.MustNewConstMetric(descPerDay, prometheus.GaugeValue, m.PerDay, env),
			prometheus.MustNewConstMetric(descLead, prometheus.GaugeValue, m.LeadTime.Seconds(), env),
			prometheus.MustNewConstMetric(descCFR, prometheus.GaugeValue, m.FailureRate, env),
			prometheus.MustNewConstMetric(descRestore, prometheus.GaugeValue, m.TimeToRestore.Seconds(), env))
	}
	return out
}

func (s *Server) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{s: s})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	s.metricsOnce.Do(func() { s.metricsH = s.metricsHandler() })
	s.metricsH.ServeHTTP(w, r)
}

func (s *Server) dora(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	env := r.PathValue("env")
	days := 30
	if v := r.URL.Query().Get("days"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 1 || d > 3650 {
			writeError(w, http.StatusBadRequest, "bad_query", "days: 1..3650")
			return
		}
		days = d
	}
	m, err := dora.Compute(r.Context(), s.o.Store, env, s.o.Now(), time.Duration(days)*24*time.Hour)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, m)
}
