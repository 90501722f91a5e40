package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// The gateway's Prometheus metric names.
const (
	// MetricRequests counts requests by env, release, version and class
	// (1xx … 5xx, or error when no answer came).
	MetricRequests = "sluice_gateway_requests_total"
	// MetricDurationBucket is the request duration histogram in seconds,
	// by env, release and le.
	MetricDurationBucket = "sluice_gateway_request_duration_seconds_bucket"
)

// Query keys of the Prometheus provider, beyond the condition metrics.
const (
	// KeyRequests is the number of requests in the window.
	KeyRequests = "requests"
	// KeyErrors is the number of 5xx and error requests in the window.
	KeyErrors = "errors"
)

const sel = `env="{{.Env}}",release="{{.Release}}"`

// DefaultPrometheusQueries are the PromQL templates the Prometheus provider
// runs, by metric key, over the gateway's metrics. Requests and errors add
// "or vector(0)" so a release without traffic measures 0 rather than no
// data.
var DefaultPrometheusQueries = map[string]string{
	KeyRequests:    `sum(increase(` + MetricRequests + `{` + sel + `}[{{.Window}}])) or vector(0)`,
	KeyErrors:      `sum(increase(` + MetricRequests + `{` + sel + `,class=~"5xx|error"}[{{.Window}}])) or vector(0)`,
	KeySuccessRate: `(sum(rate(` + MetricRequests + `{` + sel + `,class!~"5xx|error"}[{{.Window}}])) or vector(0)) / sum(rate(` + MetricRequests + `{` + sel + `}[{{.Window}}]))`,
	KeyErrorRate:   `(sum(rate(` + MetricRequests + `{` + sel + `,class=~"5xx|error"}[{{.Window}}])) or vector(0)) / sum(rate(` + MetricRequests + `{` + sel + `}[{{.Window}}]))`,
	KeyRPS:         `sum(rate(` + MetricRequests + `{` + sel + `}[{{.Window}}])) or vector(0)`,
	KeyP50:         quantileQuery("0.5"),
	KeyP90:         quantileQuery("0.9"),
	KeyP95:         quantileQuery("0.95"),
	KeyP99:         quantileQuery("0.99"),
}

func quantileQuery(q string) string {
	return `histogram_quantile(` + q + `, sum by (le) (rate(` + MetricDurationBucket + `{` + sel + `}[{{.Window}}])))`
}

// PrometheusConfig configures a Prometheus provider.
type PrometheusConfig struct {
	// URL is the server's base URL ("http://127.0.0.1:9090"); the
	// provider calls URL + "/api/v1/query".
	URL string
	// Queries overrides DefaultPrometheusQueries per key (requests,
	// errors, success_rate, error_rate, rps, p50, p90, p95, p99). A
	// template is text/template with {{.Env}}, {{.Release}}, {{.Version}}
	// (escaped for a double-quoted PromQL string: put them in "…") and
	// {{.Window}} (a PromQL duration such as 300s). Rates are fractions
	// 0..1, latencies seconds.
	Queries map[string]string
	// Timeout bounds each HTTP request; 0 means 10 seconds.
	Timeout time.Duration
	// Client is the HTTP client; nil means http.DefaultClient.
	Client *http.Client
}

// Prometheus measures releases with instant PromQL queries.
//
// Measure evaluates each query at q.Until (now when zero) over the window
// q.Until - q.Since, rounded up to whole seconds (at least 1s). It first
// runs the requests query: with 0 requests it returns Metrics with
// Requests 0 (no data) without running the others. Metrics.Latencies is
// always nil: compare latencies from the gateway provider.
type Prometheus struct {
	base    string
	queries map[string]*template.Template
	timeout time.Duration
	client  *http.Client
}

var _ Provider = (*Prometheus)(nil)

// NewPrometheus checks cfg and parses its query templates.
func NewPrometheus(cfg PrometheusConfig) (*Prometheus, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus provider: URL %q is not an http(s) URL such as http://127.0.0.1:9090", cfg.URL)
	}
	p := &Prometheus{
		base:    strings.TrimSuffix(cfg.URL, "/"),
		queries: map[string]*template.Template{},
		timeout: cfg.Timeout,
		client:  cfg.Client,
	}
	if p.timeout <= 0 {
		p.timeout = 10 * time.Second
	}
	if p.client == nil {
		p.client = http.DefaultClient
	}
	texts := maps.Clone(DefaultPrometheusQueries)
	for k, text := range cfg.Queries {
		if _, ok := texts[k]; !ok {
			return nil, fmt.Errorf("prometheus provider: query %q: unknown key; valid keys are %s",
				k, strings.Join(slices.Sorted(maps.Keys(DefaultPrometheusQueries)), ", "))
		}
		texts[k] = text
	}
	for k, text := range texts {
		t, err := template.New(k).Option("missingkey=error").Parse(text)
		if err == nil {
			// Catches fields that do not exist ({{.Relase}}) now, not at
			// the first measurement.
			err = t.Execute(io.Discard, promData{Env: "e", Release: "r", Version: "v", Window: "60s"})
		}
		if err != nil {
			return nil, fmt.Errorf("prometheus provider: query %s: %w", k, err)
		}
		p.queries[k] = t
	}
	return p, nil
}

// Name returns "prometheus".
func (p *Prometheus) Name() string { return "prometheus" }

// Measure runs the queries for q; see Prometheus.
func (p *Prometheus) Measure(ctx context.Context, q Query) (Metrics, error) {
	until := q.Until
	if until.IsZero() {
		until = time.Now()
	}
	if q.Since.IsZero() || !q.Since.Before(until) {
		return Metrics{}, fmt.Errorf("prometheus: measure release %s: the window needs Since before Until (got %s … %s)",
			q.Release, q.Since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	secs := int64(math.Ceil(until.Sub(q.Since).Seconds()))
	data, err := templateData(q, secs)
	if err != nil {
		return Metrics{}, err
	}
	m := Metrics{Window: time.Duration(secs) * time.Second}
	run := func(key string) (float64, error) { return p.run(ctx, key, data, until) }

	reqs, err := run(KeyRequests)
	if err != nil {
		return Metrics{}, err
	}
	m.Requests = int64(math.Round(reqs))
	if m.Requests <= 0 {
		m.Requests = 0
		return m, nil
	}
	errs, err := run(KeyErrors)
	if err != nil {
		return Metrics{}, err
	}
	m.Errors = min(max(int64(math.Round(errs)), 0), m.Requests)
	if m.SuccessRate, err = run(KeySuccessRate); err != nil {
		return Metrics{}, err
	}
	if m.ErrorRate, err = run(KeyErrorRate); err != nil {
		return Metrics{}, err
	}
	if m.RPS, err = run(KeyRPS); err != nil {
		return Metrics{}, err
	}
	for _, pq := range []struct {
		key string
		dst *time.Duration
	}{{KeyP50, &m.P50}, {KeyP90, &m.P90}, {KeyP95, &m.P95}, {KeyP99, &m.P99}} {
		v, err := run(pq.key)
		if err != nil {
			return Metrics{}, err
		}
		*pq.dst = seconds(v)
	}
	return m, nil
}

// promData is what a query template sees.
type promData struct {
	Env, Release, Version, Window string
}

// templateData escapes q's labels for a double-quoted PromQL string.
// Quotes of other kinds and control characters are refused: they could
// end a label value quoted another way.
func templateData(q Query, secs int64) (promData, error) {
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	d := promData{Window: strconv.FormatInt(max(secs, 1), 10) + "s"}
	for _, f := range []struct {
		name, v string
		dst     *string
	}{{"env", q.Env, &d.Env}, {"release", q.Release, &d.Release}, {"version", q.Version, &d.Version}} {
		if strings.ContainsAny(f.v, "'`") || strings.ContainsFunc(f.v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return promData{}, fmt.Errorf("prometheus: %s %q contains a quote or control character that cannot be put in a PromQL label", f.name, f.v)
		}
		*f.dst = esc.Replace(f.v)
	}
	return d, nil
}

// run renders and evaluates one query at t and returns its single value.
func (p *Prometheus) run(ctx context.Context, key string, data promData, t time.Time) (float64, error) {
	var sb strings.Builder
	if err := p.queries[key].Execute(&sb, data); err != nil {
		return 0, fmt.Errorf("prometheus: query %s: %w", key, err)
	}
	query := sb.String()
	v, err := p.instant(ctx, query, t)
	if err != nil {
		return 0, fmt.Errorf("prometheus: query %s (%s): %w", key, query, err)
	}
	return v, nil
}

// promResponse is the envelope of the Prometheus HTTP API.
type promResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// instant runs an instant query and returns its one value: a scalar, or a
// vector of exactly one sample.
func (p *Prometheus) instant(ctx context.Context, query string, t time.Time) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	form := url.Values{"query": {query}, "time": {strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/api/v1/query?"+form.Encode(), nil)
	if err != nil {
		return 0, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reach %s: %w", p.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return 0, fmt.Errorf("read answer of %s: %w", p.base, err)
	}
	var pr promResponse
	if err := json.Unmarshal(body, &pr); err != nil {
		return 0, fmt.Errorf("%s answered HTTP %d with no Prometheus API response: %s", p.base, resp.StatusCode, snippet(body))
	}
	if pr.Status != "success" {
		return 0, fmt.Errorf("the server answered an error (%s): %s", pr.ErrorType, pr.Error)
	}
	var sample []json.RawMessage // [time, "value"]
	switch pr.Data.ResultType {
	case "scalar":
		if err := json.Unmarshal(pr.Data.Result, &sample); err != nil {
			return 0, fmt.Errorf("bad scalar result: %w", err)
		}
	case "vector":
		var vec []struct {
			Value []json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(pr.Data.Result, &vec); err != nil {
			return 0, fmt.Errorf("bad vector result: %w", err)
		}
		if len(vec) == 0 {
			return 0, fmt.Errorf("empty result: no series matched; check the labels and that Prometheus scrapes the gateway")
		}
		if len(vec) > 1 {
			return 0, fmt.Errorf("%d series in the result, want 1: aggregate the query (sum, or sum by (le) for histogram_quantile)", len(vec))
		}
		sample = vec[0].Value
	default:
		return 0, fmt.Errorf("result type %q, want a scalar or a vector", pr.Data.ResultType)
	}
	var s string
	if len(sample) != 2 || json.Unmarshal(sample[1], &s) != nil {
		return 0, fmt.Errorf("bad sample in the result")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("the result is %s, not a number: is there traffic in the window?", s)
	}
	return v, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}
