package server

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/gateway"
)

// writeEventLog writes events as the gateway does (one JSON object per
// line) to file in the gateway folder, with a torn last line.
func writeEventLog(t *testing.T, dir, file string, evs ...gateway.SecurityEvent) {
	t.Helper()
	var b strings.Builder
	for _, ev := range evs {
		line, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteString(`{"time":"2025-`)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSecurityEvents reads the gateway's event log, rotated file first:
// oldest first, the newest ?limit= of them, filtered by environment
// (and to those the key may read), layer and time.
func TestSecurityEvents(t *testing.T) {
	fx := newFixture(t)
	now := time.Now().UTC().Truncate(time.Second)
	ev := func(ago time.Duration, env, layer, rule string) gateway.SecurityEvent {
		return gateway.SecurityEvent{Time: now.Add(-ago), Env: env, Layer: layer, Rule: rule, Mode: "enforce", Enforced: true, Status: 403,
			RequestID: rule + "-" + env, Method: "GET", Path: "/books"}
	}
	writeEventLog(t, fx.s.o.GatewayDir, gateway.EventLogFile+".1",
		ev(3*time.Hour, "production", "waf", "942100"), ev(2*time.Hour, "staging", "rate", "per-ip"))
	writeEventLog(t, fx.s.o.GatewayDir, gateway.EventLogFile,
		ev(time.Hour, "production", "rate", "per-ip"), ev(30*time.Minute, "production", "waf", "941100"), ev(time.Minute, "staging", "waf", "930100"))

	type answer struct {
		Events    []gateway.SecurityEvent
		Matched   int
		Truncated bool
	}
	get := func(key, query string) (int, answer) {
		t.Helper()
		res, body := fx.do("GET", "/api/v1/events"+query, key, nil, nil)
		var a answer
		if res.StatusCode == http.StatusOK {
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatal(err)
			}
		}
		return res.StatusCode, a
	}
	ids := func(a answer) string {
		var s []string
		for _, e := range a.Events {
			s = append(s, e.RequestID)
		}
		return strings.Join(s, " ")
	}
	viewer := fx.mkKey("v", "viewer")
	staging := fx.mkKey("s", "viewer@*/staging")

	if code, a := get(viewer, ""); code != 200 || ids(a) != "942100-production per-ip-staging per-ip-production 941100-production 930100-staging" || a.Truncated {
		t.Errorf("all events: %d %s", code, ids(a))
	}
	if code, a := get(viewer, "?limit=2"); code != 200 || ids(a) != "941100-production 930100-staging" || !a.Truncated || a.Matched != 5 {
		t.Errorf("newest 2: %d %s %+v", code, ids(a), a)
	}
	if _, a := get(viewer, "?env=production&layer=waf"); ids(a) != "942100-production 941100-production" {
		t.Errorf("production's WAF events: %s", ids(a))
	}
	if _, a := get(viewer, "?since=90m"); ids(a) != "per-ip-production 941100-production 930100-staging" {
		t.Errorf("the last 90 minutes: %s", ids(a))
	}
	if _, a := get(viewer, "?since="+now.Add(-45*time.Minute).Format(time.RFC3339)); ids(a) != "941100-production 930100-staging" {
		t.Errorf("since a time: %s", ids(a))
	}
	if code, a := get(staging, ""); code != 200 || ids(a) != "per-ip-staging 930100-staging" {
		t.Errorf("a staging viewer sees: %d %s", code, ids(a))
	}
	if code, _ := get(staging, "?env=production"); code != http.StatusForbidden {
		t.Errorf("a staging viewer asks for production: %d, want 403", code)
	}
	for _, q := range []string{"?limit=5001", "?limit=0", "?since=yesterday"} {
		if code, _ := get(viewer, q); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, code)
		}
	}
	if code, a := get(viewer, "?limit=5000"); code != 200 || len(a.Events) != 5 {
		t.Errorf("the largest limit: %d %d events", code, len(a.Events))
	}
}

// TestSecurityEventsEmpty: no log yet is no events, not an error.
func TestSecurityEventsEmpty(t *testing.T) {
	fx := newFixture(t)
	res, body := fx.do("GET", "/api/v1/events", fx.mkKey("v", "viewer"), nil, nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"events": []`) {
		t.Errorf("no log: %d %s", res.StatusCode, body)
	}
}
