package analysis

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWebhook(t *testing.T) {
	since := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	until := since.Add(5 * time.Minute)
	var (
		mu     sync.Mutex // guards got, answer and status
		got    map[string]any
		answer = `{}`
		status = http.StatusOK
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") != "Bearer t0ken" {
			http.Error(w, "bad request shape", http.StatusBadRequest)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = body
		st, ans := status, answer
		mu.Unlock()
		if r.URL.Path == "/slow" {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(st)
		_, _ = w.Write([]byte(ans))
	}))
	defer srv.Close()

	hook, err := NewWebhook(srv.URL+"/check", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	hook.Header = http.Header{"Authorization": {"Bearer t0ken"}}
	q := Query{Env: "prod", Release: "r-42", Version: "1.4.0", Since: since, Until: until}

	tests := []struct {
		name    string
		status  int
		answer  string
		want    Outcome
		reason  string
		metrics map[string]float64
	}{
		{"pass", 200, `{"pass": true, "message": "latency ok", "metrics": {"p99_ms": 212, "score": 0.98}}`, Successful, "webhook: latency ok", map[string]float64{"p99_ms": 212, "score": 0.98}},
		{"fail", 200, `{"pass": false, "message": "checkout errors up 40%"}`, Failed, "webhook: checkout errors up 40%", nil},
		{"fail without message", 202, `{"pass": false}`, Failed, "said fail without a message", nil},
		{"server error", 500, `database down`, Error, `answered HTTP 500: "database down"`, nil},
		{"not JSON", 200, `<html>ok</html>`, Error, "not the expected JSON", nil},
		{"no pass field", 200, `{"message": "hmm"}`, Error, `no boolean "pass"`, nil},
		{"pass not boolean", 200, `{"pass": "yes"}`, Error, "not the expected JSON", nil},
	}
	for _, tt := range tests {
		mu.Lock()
		status, answer = tt.status, tt.answer
		mu.Unlock()
		r := hook.Check(context.Background(), q)
		if r.Outcome != tt.want || len(r.Reasons) != 1 || !strings.Contains(r.Reasons[0], tt.reason) {
			t.Errorf("%s: %s %q, want %s with %q", tt.name, r.Outcome, r.Reasons, tt.want, tt.reason)
		}
		if len(r.Values) != len(tt.metrics) {
			t.Errorf("%s: values %v, want %v", tt.name, r.Values, tt.metrics)
		}
		for k, v := range tt.metrics {
			if r.Values[k] != v {
				t.Errorf("%s: value %s = %v, want %v", tt.name, k, r.Values[k], v)
			}
		}
	}
	mu.Lock()
	sent := got
	mu.Unlock()
	want := map[string]any{"env": "prod", "release": "r-42", "version": "1.4.0",
		"since": "2025-03-01T12:00:00Z", "until": "2025-03-01T12:05:00Z"}
	for k, v := range want {
		if sent[k] != v {
			t.Errorf("request field %s = %v, want %v", k, sent[k], v)
		}
	}

	slow, err := NewWebhook(srv.URL+"/slow", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	slow.Header = hook.Header
	start := time.Now()
	r := slow.Check(context.Background(), q)
	if r.Outcome != Error || !strings.Contains(r.Reasons[0], "timeout 200ms") {
		t.Errorf("slow webhook: %s %q, want an Error naming the timeout", r.Outcome, r.Reasons)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("slow webhook took %v despite a 200ms timeout", d)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	gone, _ := NewWebhook(closedURL, time.Second)
	if r := gone.Check(context.Background(), q); r.Outcome != Error || !strings.Contains(r.Reasons[0], "no answer") {
		t.Errorf("unreachable webhook: %s %q", r.Outcome, r.Reasons)
	}

	for _, bad := range []string{"", "ftp://x/y", "http://", "::"} {
		if _, err := NewWebhook(bad, 0); err == nil {
			t.Errorf("NewWebhook(%q): no error", bad)
		}
	}
}
