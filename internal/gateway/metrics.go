package gateway

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metric names other parts of sluice (analysis) depend on.
const (
	MetricRequests   = "sluice_gateway_requests_total"
	MetricDuration   = "sluice_gateway_request_duration_seconds"
	MetricInFlight   = "sluice_gateway_in_flight_requests"
	MetricGeneration = "sluice_gateway_routing_generation"
)

var (
	descRequests = prometheus.NewDesc(MetricRequests,
		"Requests answered per release, by status class (1xx..5xx, or error for a 502 the gateway sent because no backend could be reached).",
		[]string{"env", "release", "version", "class"}, nil)
	descDuration = prometheus.NewDesc(MetricDuration,
		"Time from receiving a request to the end of its response, per release.",
		[]string{"env", "release"}, nil)
	descInFlight = prometheus.NewDesc(MetricInFlight,
		"Requests being served per release.",
		[]string{"env", "release"}, nil)
	descGeneration = prometheus.NewDesc(MetricGeneration,
		"Generation of the routing table being served.", nil, nil)
	descListenerUp = prometheus.NewDesc("sluice_gateway_listener_up",
		"1 when the environment's listener is open, 0 when its address could not be opened.",
		[]string{"env", "listen"}, nil)
	descReloadErrors = prometheus.NewDesc("sluice_gateway_table_reload_errors_total",
		"Routing table files ignored because they were invalid.", nil, nil)
	descBlocked = prometheus.NewDesc("sluice_gateway_edge_matches_total",
		"Requests the edge protection matched (refused in enforce mode, counted in detect and monitor), by release the request was routed to, layer, rule and mode.",
		[]string{"env", "release", "layer", "rule", "mode"}, nil)
	descEventsDropped = prometheus.NewDesc("sluice_gateway_security_events_dropped_total",
		"Security events not written to the security event log because its writer could not keep up.", nil, nil)
)

// collector exposes the gateway's atomics at scrape time, so the request
// path updates each counter once and scraping costs it nothing.
type collector struct{ g *Gateway }

var _ prometheus.Collector = collector{}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descDuration, descInFlight, descGeneration, descListenerUp, descReloadErrors, descBlocked, descEventsDropped} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	send := func(m prometheus.Metric, err error) {
		if err != nil {
			m = prometheus.NewInvalidMetric(descRequests, err)
		}
		ch <- m
	}
	send(prometheus.NewConstMetric(descGeneration, prometheus.GaugeValue, float64(c.g.Generation())))
	send(prometheus.NewConstMetric(descReloadErrors, prometheus.CounterValue, float64(c.g.reloadErrors.Load())))
	for _, b := range c.g.blockedAll() {
		send(prometheus.NewConstMetric(descBlocked, prometheus.CounterValue, float64(b.n), b.env, b.release, b.layer, b.rule, b.mode))
	}
	if ev := c.g.events; ev != nil {
		send(prometheus.NewConstMetric(descEventsDropped, prometheus.CounterValue, float64(ev.dropped.Load())))
	}
	for name, l := range c.g.Listeners() {
		up := 0.0
		if l.Addr != "" {
			up = 1
		}
		send(prometheus.NewConstMetric(descListenerUp, prometheus.GaugeValue, up, name, l.Listen))
	}
	for _, rc := range c.g.counters.all() {
		version := rc.versionOf()
		for i, class := range classNames {
			send(prometheus.NewConstMetric(descRequests, prometheus.CounterValue,
				float64(rc.status[i].Load()), rc.env, rc.id, version, class))
		}
		send(prometheus.NewConstMetric(descInFlight, prometheus.GaugeValue,
			float64(rc.inFlight.Load()), rc.env, rc.id))
		h := rc.histogram()
		buckets := make(map[float64]uint64, len(h.Bounds))
		for i, b := range h.Bounds {
			buckets[b] = uint64(max(h.Counts[i], 0)) // #nosec G115 -- clamped: counters only grow from 0
		}
		send(prometheus.NewConstHistogram(descDuration, uint64(max(h.Count, 0)), h.Sum, buckets, rc.env, rc.id)) // #nosec G115 -- clamped: counters only grow from 0
	}
}

// metricsHandler serves the Prometheus text format: the gateway's metrics
// plus the Go runtime's and the process's.
func (g *Gateway) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{g: g},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: g.errorLog})
}
