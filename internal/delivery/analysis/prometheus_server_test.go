package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// The traffic the exporter reports for release r1: 970 2xx, 20 5xx and 10
// gateway errors; latencies 880 × 30ms, 40 × 70ms, 60 × 200ms, 20 × 700ms
// over the buckets 0.05, 0.1, 0.25, 0.5, 1 (cumulative 880, 920, 980, 980,
// 1000). By linear interpolation within buckets:
//
//	p50: rank 500 in (0, 0.05]      0.05 × 500/880          = 28.409091ms
//	p90: rank 900 in (0.05, 0.1]    0.05 + 0.05 × 20/40     = 75ms
//	p95: rank 950 in (0.1, 0.25]    0.1 + 0.15 × 30/60      = 175ms
//	p99: rank 990 in (0.5, 1]       0.5 + 0.5 × 10/20       = 750ms
//
// No rank falls on a bucket edge, where rounding could tip it over.
var (
	promBounds  = []float64{0.05, 0.1, 0.25, 0.5, 1}
	promTraffic = map[string]int{"2xx": 970, "5xx": 20, "error": 10}
	promLatency = []struct {
		n int
		v float64
	}{{880, 0.03}, {40, 0.07}, {60, 0.2}, {20, 0.7}}
	promExpected = []time.Duration{28409091, 75 * time.Millisecond, 175 * time.Millisecond, 750 * time.Millisecond}
)

// prometheusServer starts the real Prometheus scraping target every
// second and returns its base URL. It skips the test when the binary is
// missing, unless SLUICE_REQUIRE_TOOLS=1.
func prometheusServer(t *testing.T, target string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			t.Fatalf("prometheus is not installed (SLUICE_REQUIRE_TOOLS=1): %v; run scripts/tools.sh", err)
		}
		t.Skipf("prometheus is not installed (%v); run scripts/tools.sh", err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sluice-gateway
    static_configs:
      - targets: ['%s']
`, target)
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin,
		"--config.file="+cfgFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		if t.Failed() {
			t.Logf("prometheus output:\n%s", logs.String())
		}
	})
	return "http://" + addr
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// promValue runs an instant query directly and returns the first
// sample's value, and false while there is none yet.
func promValue(base, query string) (float64, bool) {
	resp, err := http.Get(base + "/api/v1/query?" + url.Values{"query": {query}}.Encode())
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&r) != nil || len(r.Data.Result) == 0 {
		return 0, false
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// waitFor polls cond every 200ms for up to limit.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestPrometheusAgainstRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus server")
	}
	// The gateway's metrics, as it exposes them.
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricRequests, Help: "Requests by release and status class.",
	}, []string{"env", "release", "version", "class"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sluice_gateway_request_duration_seconds", Help: "Request duration.", Buckets: promBounds,
	}, []string{"env", "release"})
	reg.MustRegister(requests, duration)
	// Every series exists at 0 before traffic, so increase() sees it all.
	for class := range promTraffic {
		requests.WithLabelValues("prod", "r1", "1.4.0", class)
	}
	requests.WithLabelValues("prod", "r0", "1.3.0", "5xx")
	duration.WithLabelValues("prod", "r1")
	duration.WithLabelValues("prod", "r0")
	exporter := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer exporter.Close()

	base := prometheusServer(t, strings.TrimPrefix(exporter.URL, "http://"))
	waitFor(t, "Prometheus to scrape the exporter", 60*time.Second, func() bool {
		_, ok := promValue(base, `sluice_gateway_requests_total{release="r1",class="2xx"}`)
		return ok
	})
	ready := time.Now()
	time.Sleep(2500 * time.Millisecond) // a few scrapes of the zero counters

	// Another release of the environment, all failing: must not leak in.
	requests.WithLabelValues("prod", "r0", "1.3.0", "5xx").Add(500)
	for range 500 {
		duration.WithLabelValues("prod", "r0").Observe(3)
	}
	// r1's latencies, then its requests, which the wait below looks for:
	// a scrape that sees the requests sees everything.
	for _, l := range promLatency {
		for range l.n {
			duration.WithLabelValues("prod", "r1").Observe(l.v)
		}
	}
	for class, n := range promTraffic {
		requests.WithLabelValues("prod", "r1", "1.4.0", class).Add(float64(n))
	}

	// Measure up to the first scrape that saw all the traffic: a window
	// ending on a sample needs no extrapolation, so increase() is exact.
	waitFor(t, "Prometheus to scrape the traffic", 30*time.Second, func() bool {
		v, ok := promValue(base, `sum(sluice_gateway_requests_total{release="r1"})`)
		return ok && v == 1000
	})
	ts, ok := promValue(base, `max(timestamp(sluice_gateway_requests_total{release="r1"}))`)
	if !ok {
		t.Fatal("no sample timestamp")
	}
	scraped := time.UnixMilli(int64(math.Round(ts * 1000)))

	p, err := NewPrometheus(PrometheusConfig{URL: base, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q := Query{Env: "prod", Release: "r1", Version: "1.4.0", Since: ready, Until: scraped}
	m, err := p.Measure(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("measured over %v: %+v", m.Window, m)
	if m.Requests != 1000 || m.Errors != 30 {
		t.Errorf("requests, errors = %d, %d; want 1000, 30", m.Requests, m.Errors)
	}
	if !near(m.SuccessRate, 0.97, 1e-9) || !near(m.ErrorRate, 0.03, 1e-9) {
		t.Errorf("success, error rate = %v, %v; want 0.97, 0.03", m.SuccessRate, m.ErrorRate)
	}
	if !near(m.RPS, 1000/m.Window.Seconds(), 1e-6) {
		t.Errorf("rps = %v over %v, want %v", m.RPS, m.Window, 1000/m.Window.Seconds())
	}
	got := []time.Duration{m.P50, m.P90, m.P95, m.P99}
	for i, want := range promExpected {
		if d := got[i] - want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("percentile %d = %v, want %v", i, got[i], want)
		}
	}
	// The gateway provider's interpolation agrees with histogram_quantile.
	var counts []int64
	var cum int64
	for i, b := range promBounds {
		for _, l := range promLatency {
			if l.v <= b && (i == 0 || l.v > promBounds[i-1]) {
				cum += int64(l.n)
			}
		}
		counts = append(counts, cum)
	}
	fs := FromStats(nil, &route.ReleaseStats{Requests: 1000, Latency: route.Histogram{Bounds: promBounds, Counts: counts, Count: 1000}}, time.Minute)
	for i, fsGot := range []time.Duration{fs.P50, fs.P90, fs.P95, fs.P99} {
		if d := fsGot - got[i]; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("FromStats percentile %d = %v, Prometheus says %v", i, fsGot, got[i])
		}
	}

	// Judged end to end: 97% fails ">= 99%"; p99 750ms meets "< 800ms".
	r := Judge(m, mustConds(t, map[string]string{"success_rate": ">= 99%", "p99": "< 800ms", "min_requests": "100"}), 0)
	if r.Outcome != Failed || len(r.Reasons) != 1 || !strings.Contains(r.Reasons[0], "success_rate >= 99% failed: measured 97%") {
		t.Errorf("judge: %s %q", r.Outcome, r.Reasons)
	}

	// A release id cannot widen the selector: escaped, it matches nothing.
	inj := q
	inj.Release = `r1",release=~".+`
	if m, err := p.Measure(ctx, inj); err != nil || !m.NoData() {
		t.Errorf("injected release: %+v, %v; want no data", m, err)
	}
	// A release without traffic is no data, not an error.
	quiet := q
	quiet.Release = "r9"
	if m, err := p.Measure(ctx, quiet); err != nil || !m.NoData() {
		t.Errorf("quiet release: %+v, %v; want no data", m, err)
	}

	// Overridden templates: by version, and a broken one.
	byVersion, err := NewPrometheus(PrometheusConfig{URL: base, Queries: map[string]string{
		KeyRequests: `sum(increase(` + MetricRequests + `{version="{{.Version}}"}[{{.Window}}])) or vector(0)`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := byVersion.Measure(ctx, q); err != nil || m.Requests != 1000 {
		t.Errorf("requests by version: %d, %v; want 1000", m.Requests, err)
	}
	broken, err := NewPrometheus(PrometheusConfig{URL: base, Queries: map[string]string{KeyP99: `histogram_quantile(0.99, sum by (le) (rate(x[{{.Window}}])`}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := broken.Measure(ctx, q); err == nil || !strings.Contains(err.Error(), "query p99") || !strings.Contains(err.Error(), "bad_data") {
		t.Errorf("broken p99 query: err = %v, want Prometheus' bad_data naming p99", err)
	}
	empty, err := NewPrometheus(PrometheusConfig{URL: base, Queries: map[string]string{KeyRPS: `sum(rate(no_such_metric[{{.Window}}]))`}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := empty.Measure(ctx, q); err == nil || !strings.Contains(err.Error(), "query rps") || !strings.Contains(err.Error(), "empty result") {
		t.Errorf("empty rps query: err = %v", err)
	}
}
