package analysis

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultyPrometheus answers every query with body, recording the queries:
// for the answers a healthy server cannot be made to give.
func faultyPrometheus(t *testing.T, body string) (*Prometheus, *[]string) {
	var mu sync.Mutex
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Query().Get("query")+" @"+r.URL.Query().Get("time"))
		mu.Unlock()
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	p, err := NewPrometheus(PrometheusConfig{URL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	return p, &queries
}

func TestPrometheusQueryRendering(t *testing.T) {
	p, queries := faultyPrometheus(t, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0"]}]}}`)
	until := time.Date(2025, 3, 1, 12, 0, 0, 250e6, time.UTC)
	q := Query{Env: "prod", Release: `r1"} or vector(1) #\`, Since: until.Add(-90*time.Second - time.Millisecond), Until: until}
	m, err := p.Measure(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if !m.NoData() || m.Window != 91*time.Second {
		t.Errorf("metrics %+v, want no data over 91s", m)
	}
	// Zero requests: only the requests query runs, with the label escaped
	// and the window rounded up to whole seconds.
	want := `sum(increase(sluice_gateway_requests_total{env="prod",release="r1\"} or vector(1) #\\"}[91s])) or vector(0) @1740830400.250`
	if len(*queries) != 1 || (*queries)[0] != want {
		t.Errorf("queries sent:\n%q\nwant\n%q", *queries, want)
	}

	if _, err := p.Measure(context.Background(), Query{Env: "prod", Release: "it's", Since: q.Since, Until: until}); err == nil || !strings.Contains(err.Error(), "cannot be put in a PromQL label") {
		t.Errorf("single quote in release: err = %v", err)
	}
	if _, err := p.Measure(context.Background(), Query{Env: "prod", Release: "r1", Until: until}); err == nil || !strings.Contains(err.Error(), "Since before Until") {
		t.Errorf("no Since: err = %v", err)
	}
}

func TestPrometheusErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"status error", `{"status":"error","errorType":"bad_data","error":"parse error at char 5"}`, "the server answered an error (bad_data): parse error at char 5"},
		{"empty vector", `{"status":"success","data":{"resultType":"vector","result":[]}}`, "empty result: no series matched"},
		{"two series", `{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"1"]},{"value":[1,"2"]}]}}`, "2 series in the result, want 1"},
		{"NaN", `{"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}}`, "the result is NaN, not a number"},
		{"matrix", `{"status":"success","data":{"resultType":"matrix","result":[]}}`, `result type "matrix"`},
		{"not the API", `<html>proxy login</html>`, `no Prometheus API response: "<html>proxy login</html>"`},
	}
	for _, tt := range tests {
		p, _ := faultyPrometheus(t, tt.body)
		now := time.Now()
		_, err := p.Measure(context.Background(), Query{Env: "prod", Release: "r1", Since: now.Add(-time.Minute), Until: now})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "query requests") {
			t.Errorf("%s: err = %v, want it to name the query and say %q", tt.name, err, tt.want)
		}
	}
}

func TestNewPrometheusConfig(t *testing.T) {
	for _, bad := range []string{"", "127.0.0.1:9090", "ftp://h/"} {
		if _, err := NewPrometheus(PrometheusConfig{URL: bad}); err == nil {
			t.Errorf("URL %q: no error", bad)
		}
	}
	_, err := NewPrometheus(PrometheusConfig{URL: "http://h", Queries: map[string]string{"p42": "x"}})
	if err == nil || !strings.Contains(err.Error(), `"p42"`) || !strings.Contains(err.Error(), "error_rate, errors, p50") {
		t.Errorf("unknown query key: err = %v", err)
	}
	for _, text := range []string{"{{.Env", "{{.Relase}}"} {
		_, err = NewPrometheus(PrometheusConfig{URL: "http://h", Queries: map[string]string{"p99": text}})
		if err == nil || !strings.Contains(err.Error(), "query p99") {
			t.Errorf("bad template %q: err = %v", text, err)
		}
	}
}
