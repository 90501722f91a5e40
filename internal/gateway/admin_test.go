package gateway

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/sluice-ci/sluice/internal/delivery/route"
)

func TestAdminAuth(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, dir)
	_, token, err := ReadAdmin(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/stats", "/metrics"} {
		for _, tok := range []string{"", "wrong", token + "x", strings.ToUpper(token)} {
			if code, _ := adminGet(t, g, path, tok); code != http.StatusUnauthorized {
				t.Errorf("%s with token %q: %d, want 401", path, tok, code)
			}
		}
		if code, body := adminGet(t, g, path, token); code != http.StatusOK {
			t.Errorf("%s with the token: %d %s", path, code, body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+g.AdminAddr()+"/v1/reload", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("reload without token: %d", res.StatusCode)
	}
	if code, body := adminGet(t, g, "/healthz", ""); code != http.StatusOK || !strings.Contains(body, `"generation":0`) {
		t.Errorf("/healthz without token: %d %s", code, body)
	}
}

func TestAdminFiles(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, dir)
	fi, err := os.Stat(filepath.Join(dir, TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	addr, token, err := ReadAdmin(dir)
	if err != nil {
		t.Fatal(err)
	}
	if addr != g.AdminAddr() || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(token) {
		t.Errorf("ReadAdmin = %q %q, want %s and 64 hex digits", addr, token, g.AdminAddr())
	}
	var info AdminInfo
	data, _ := os.ReadFile(filepath.Join(dir, AdminFile))
	if err := json.Unmarshal(data, &info); err != nil || info.PID != os.Getpid() || info.Started.IsZero() {
		t.Errorf("admin.json %s: %v", data, err)
	}
	// A second gateway on the folder reuses the token.
	tok2, err := loadOrCreateToken(dir)
	if err != nil || tok2 != token {
		t.Errorf("token reread as %q (%v), want %q", tok2, err, token)
	}
}

func TestReadAdminWithoutGateway(t *testing.T) {
	_, err := FetchStats(context.Background(), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "is the gateway running") {
		t.Fatalf("FetchStats without gateway: %v", err)
	}
}

func TestStatsAndMetrics(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	dir := t.TempDir()
	if err := route.Save(dir, oneEnv(7, "127.0.0.1:0", rel("ra", route.RoleStable, 100, a), rel("rb", route.RoleCandidate, 0, b))); err != nil {
		t.Fatal(err)
	}
	tab, _ := route.Load(dir)
	tab.Environments["prod"].Header = "X-Release"
	if err := route.Save(dir, tab); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	url := "http://" + g.ListenAddr("prod")
	c := newClient(t)
	for range 30 {
		get(t, c, url+"/")
	}
	for range 5 {
		get(t, c, url+"/status/503")
	}
	for range 3 {
		get(t, c, url+"/status/404")
	}
	for range 4 {
		get(t, c, url+"/", "X-Release", "rb")
	}

	s, err := FetchStats(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Generation != 7 || s.Started.IsZero() || s.Time.Before(s.Started) {
		t.Errorf("stats header %+v", s)
	}
	ra := s.Environments["prod"].Releases["ra"]
	want := map[string]int64{"1xx": 0, "2xx": 30, "3xx": 0, "4xx": 3, "5xx": 5, "error": 0}
	if ra.Requests != 38 || !equalCounts(ra.Status, want) {
		t.Errorf("ra: %d requests, status %v; want 38 and %v", ra.Requests, ra.Status, want)
	}
	if ra.Latency.Count != 38 || len(ra.Recent) != 38 || ra.Latency.Sum <= 0 {
		t.Errorf("ra latency count %d, recent %d, sum %v; want 38, 38, > 0", ra.Latency.Count, len(ra.Recent), ra.Latency.Sum)
	}
	if last := ra.Latency.Counts[len(ra.Latency.Counts)-1]; last != 38 {
		t.Errorf("ra histogram's last bucket %d, want all 38 under %vs", last, ra.Latency.Bounds[len(ra.Latency.Bounds)-1])
	}
	if rb := s.Environments["prod"].Releases["rb"]; rb.Requests != 4 || rb.Status["2xx"] != 4 {
		t.Errorf("rb: %+v, want 4 pinned requests", rb)
	}

	_, token, _ := ReadAdmin(dir)
	code, text := adminGet(t, g, "/metrics", token)
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	counts := map[string]float64{}
	for _, m := range fams[MetricRequests].GetMetric() {
		l := labels(m.GetLabel())
		if l["env"] != "prod" {
			t.Errorf("requests metric with env %q", l["env"])
		}
		counts[l["release"]+"/"+l["version"]+"/"+l["class"]] = m.GetCounter().GetValue()
	}
	for k, v := range map[string]float64{"ra/v-ra/2xx": 30, "ra/v-ra/5xx": 5, "ra/v-ra/4xx": 3, "ra/v-ra/error": 0, "rb/v-rb/2xx": 4} {
		if counts[k] != v {
			t.Errorf("%s{%s} = %v, want %v (all: %v)", MetricRequests, k, counts[k], v, counts)
		}
	}
	var histCount uint64
	for _, m := range fams[MetricDuration].GetMetric() {
		if labels(m.GetLabel())["release"] == "ra" {
			histCount = m.GetHistogram().GetSampleCount()
			if n := len(m.GetHistogram().GetBucket()); n != len(latencyBounds)+1 { // and +Inf
				t.Errorf("histogram has %d buckets, want %d", n, len(latencyBounds)+1)
			}
		}
	}
	if histCount != 38 {
		t.Errorf("%s count for ra = %d, want 38", MetricDuration, histCount)
	}
	if fams[MetricInFlight] == nil || len(fams[MetricInFlight].GetMetric()) != 2 {
		t.Errorf("%s missing or wrong: %v", MetricInFlight, fams[MetricInFlight])
	}
	if gen := fams[MetricGeneration].GetMetric()[0].GetGauge().GetValue(); gen != 7 {
		t.Errorf("%s = %v, want 7", MetricGeneration, gen)
	}
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func labels[L interface {
	GetName() string
	GetValue() string
}](ls []L) map[string]string {
	out := map[string]string{}
	for _, l := range ls {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func TestGracefulShutdown(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	slow := newBlockingBackend(t, arrived, release)
	dir := t.TempDir()
	if err := route.Save(dir, oneEnv(1, "127.0.0.1:0", rel("r", route.RoleStable, 100, slow))); err != nil {
		t.Fatal(err)
	}
	g, err := New(Options{Dir: dir, Logger: quietLogger(), PollInterval: 5 * time.Millisecond, Grace: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Serve(ctx) }()
	addr := g.ListenAddr("prod")
	c := newClient(t)
	done := make(chan result, 1)
	go func() {
		r, err := do(c, mustReq("http://"+addr+"/"))
		if err != nil {
			r.body = err.Error()
		}
		done <- r
	}()
	<-arrived
	cancel()
	// New connections are refused once the listener is closed.
	// Probe with a bare dial: a request sent before the listener closes
	// would reach the blocking backend and wait for release.
	waitFor(t, "the listener to close", func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return isRefused(err)
		}
		conn.Close()
		return false
	})
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}
	close(release)
	if r := <-done; r.code != http.StatusOK || r.body != "slow" {
		t.Fatalf("in-flight request at shutdown: %d %q", r.code, r.body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, AdminFile)); !os.IsNotExist(err) {
		t.Errorf("admin.json left behind after shutdown: %v", err)
	}
}
