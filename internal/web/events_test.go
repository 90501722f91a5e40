package web

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery"
	"github.com/sluice-ci/sluice/internal/gateway"
)

// writeEvents writes the gateway's security event log as the gateway does:
// one JSON object a line, oldest first.
func (fx *fixture) writeEvents(evs ...gateway.SecurityEvent) {
	dir := delivery.GatewayDir(fx.data)
	fx.must(os.MkdirAll(dir, 0o700))
	var b strings.Builder
	for _, e := range evs {
		data, err := json.Marshal(e)
		fx.must(err)
		b.Write(data)
		b.WriteByte('\n')
	}
	fx.must(os.WriteFile(filepath.Join(dir, gateway.EventLogFile), []byte(b.String()), 0o600))
}

func TestEventsPage(t *testing.T) {
	fx := newFixture(t)
	now := time.Now().UTC()
	ev := func(ago time.Duration, env, layer, rule, ip, path string, enforced bool) gateway.SecurityEvent {
		mode := "enforce"
		if !enforced {
			mode = "monitor"
		}
		return gateway.SecurityEvent{Time: now.Add(-ago), Env: env, Release: "rel-1", Layer: layer, Rule: rule, Mode: mode,
			Enforced: enforced, Status: map[bool]int{true: 403, false: 200}[enforced], RequestID: "req-" + rule, ClientIP: ip,
			Method: "GET", Path: path, Message: "matched " + rule}
	}
	fx.writeEvents(
		ev(48*time.Hour, "production", "waf", "942100", "192.0.2.9", "/old", true),
		ev(30*time.Minute, "production", "waf", "942100", "192.0.2.7", "/books", true),
		ev(20*time.Minute, "production", "waf", "941100", "192.0.2.7", `/books/<script>alert(1)</script>`, true),
		ev(10*time.Minute, "production", "rate", "per-ip", "192.0.2.8", "/books", true),
		ev(5*time.Minute, "staging", "waf", "942100", "198.51.100.4", "/books", false),
	)

	b := fx.browser()
	b.mustLogin(fx.key("val", "viewer"))
	p := b.get("/events")
	wantStatus(t, "events", p, http.StatusOK)
	// The last 24 hours by default: four events, the newest first; by rule
	// 942100 matched twice (one refused, one only seen in monitor mode).
	wantContains(t, "events", p.body, `data-testid="event-count"`, "4 events matched, 3 of the 4 shown refused",
		`<tr><td>waf</td><th scope="row"><code>942100</code></th><td>2</td><td>1</td></tr>`,
		`<tr><th scope="row"><code>192.0.2.7</code></th><td>2</td><td>2</td></tr>`, "refused 403", "monitor")
	table := p.body[strings.Index(p.body, `data-testid="events-table"`):]
	if i, j := strings.Index(table, `data-env="staging"`), strings.Index(table, "per-ip</code>"); i < 0 || j < 0 || i > j {
		t.Error("events are not listed newest first")
	}
	if strings.Contains(p.body, "/old") {
		t.Error("an event of two days ago is shown within the last 24 hours")
	}
	// What attackers send is text on the page, never markup.
	if strings.Contains(p.body, "<script>alert(1)") || !strings.Contains(p.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the request path of an event is not escaped")
	}
	if bad := inlineCode(p.body); len(bad) > 0 {
		t.Errorf("inline code on the events page: %q", bad)
	}

	p = b.get("/events?layer=rate&since=all")
	wantStatus(t, "rate events", p, http.StatusOK)
	wantContains(t, "rate events", p.body, "1 event matched", "per-ip")
	if strings.Contains(p.body, "942100") {
		t.Error("the layer filter let WAF events through")
	}
	p = b.get("/events?since=all")
	wantContains(t, "every event", p.body, "5 events matched", "/old")

	// A key that may read staging only sees staging's events.
	s := fx.browser()
	s.mustLogin(fx.key("sam", "viewer@*/staging"))
	p = s.get("/events")
	wantStatus(t, "staging's events", p, http.StatusOK)
	wantContains(t, "staging's events", p.body, "1 event matched", "198.51.100.4")
	if strings.Contains(p.body, "192.0.2.7") {
		t.Error("a key scoped to staging sees production's events")
	}
	// Asking for another environment is the API's refusal, named.
	p = s.get("/events?env=production")
	wantStatus(t, "production's events for a staging key", p, http.StatusForbidden)
	wantContains(t, "the refusal", p.body, "releases:read")
}

func TestSummarizeEvents(t *testing.T) {
	evs := []apiSecurityEvent{
		{Layer: "waf", Rule: "1", ClientIP: "a", Enforced: true},
		{Layer: "waf", Rule: "1", ClientIP: "b"},
		{Layer: "rate", Rule: "1", ClientIP: "a", Enforced: true},
		{Layer: "waf", Rule: "2"},
	}
	byRule, byClient, refused := summarizeEvents(evs)
	if refused != 2 {
		t.Errorf("refused %d, want 2", refused)
	}
	if len(byRule) != 3 || byRule[0] != (eventCount{Key: "1", Layer: "waf", Matched: 2, Refused: 1}) {
		t.Errorf("by rule %+v; want waf/1 first, matched 2, refused 1, and rate/1 apart", byRule)
	}
	if len(byClient) != 3 || byClient[0] != (eventCount{Key: "a", Matched: 2, Refused: 2}) || byClient[2].Key != "unknown" {
		t.Errorf("by client %+v", byClient)
	}
}
