package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// eventsPageSize is how many of the newest matching events the page reads.
const eventsPageSize = 500

// apiSecurityEvent is one of GET /api/v1/events: a request the gateway's
// edge protection matched (and refused, when enforced).
type apiSecurityEvent struct {
	Time      time.Time `json:"time"`
	Env       string    `json:"env"`
	Release   string    `json:"release"`
	Layer     string    `json:"layer"`
	Rule      string    `json:"rule"`
	Mode      string    `json:"mode"`
	Enforced  bool      `json:"enforced"`
	Alert     bool      `json:"alert"`
	Status    int       `json:"status"`
	RequestID string    `json:"request_id"`
	ClientIP  string    `json:"client_ip"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Query     string    `json:"query"`
	Message   string    `json:"message"`
}

// eventLayers are the edge's layers, as the filter offers them.
var eventLayers = []struct{ Value, Label string }{
	{"waf", "WAF (Core Rule Set)"}, {"openapi", "OpenAPI validation"}, {"rate", "rate limit"},
	{"geo", "geo-blocking"}, {"auth", "API keys and HMAC"},
}

// eventWindows are the periods the filter offers, as the API's ?since=.
var eventWindows = []struct{ Value, Label string }{
	{"1h", "last hour"}, {"24h", "last 24 hours"}, {"7d", "last 7 days"}, {"30d", "last 30 days"},
}

type eventsFilter struct {
	Env, Layer, Since string
}

// eventCount is one line of a summary: a rule or a client and how often
// it matched, how often it was refused.
type eventCount struct {
	Key, Layer       string
	Matched, Refused int
}

type eventsView struct {
	Filter  eventsFilter
	Envs    []string
	Layers  []struct{ Value, Label string }
	Windows []struct{ Value, Label string }
	// Events are the newest first; Matched counts every event the filter
	// matched, Truncated says the page shows only the newest of them.
	Events    []apiSecurityEvent
	Matched   int
	Truncated bool
	ByRule    []eventCount
	ByClient  []eventCount
	Refused   int
}

// eventsPage shows the gateway's security events: what the WAF, the
// OpenAPI validation, the rate limits, geo-blocking and API keys matched
// in the environments the key may read, summarised by rule and by client,
// then newest first. A plain GET form filters (no script).
func (u *UI) eventsPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	ev := eventsView{Layers: eventLayers, Windows: eventWindows,
		Filter: eventsFilter{Env: q.Get("env"), Layer: q.Get("layer"), Since: cmp.Or(q.Get("since"), "24h")}}
	var envs struct {
		Environments []apiEnv `json:"environments"`
	}
	if err := u.getJSON(r, s, "/api/v1/environments", &envs); err != nil {
		u.fail(w, r, s, err)
		return
	}
	for _, e := range envs.Environments {
		ev.Envs = append(ev.Envs, e.Env)
	}
	v := url.Values{"limit": {strconv.Itoa(eventsPageSize)}}
	for k, val := range map[string]string{"env": ev.Filter.Env, "layer": ev.Filter.Layer, "since": ev.Filter.Since} {
		if val != "" && val != "all" {
			v.Set(k, val)
		}
	}
	var out struct {
		Events    []apiSecurityEvent `json:"events"`
		Matched   int                `json:"matched"`
		Truncated bool               `json:"truncated"`
	}
	if err := u.getJSON(r, s, "/api/v1/events?"+v.Encode(), &out); err != nil {
		u.fail(w, r, s, err)
		return
	}
	slices.Reverse(out.Events) // the API lists oldest first
	ev.Events, ev.Matched, ev.Truncated = out.Events, out.Matched, out.Truncated
	ev.ByRule, ev.ByClient, ev.Refused = summarizeEvents(out.Events)
	u.page(w, r, s, http.StatusOK, "events", "Security events", "events", ev)
}

// summarizeEvents counts events by rule (with its layer) and by client
// address, most frequent first, at most ten of each.
func summarizeEvents(evs []apiSecurityEvent) (byRule, byClient []eventCount, refused int) {
	rules, clients := map[string]*eventCount{}, map[string]*eventCount{}
	add := func(m map[string]*eventCount, key, layer string, e apiSecurityEvent) {
		c := m[key]
		if c == nil {
			c = &eventCount{Key: key, Layer: layer}
			m[key] = c
		}
		c.Matched++
		if e.Enforced {
			c.Refused++
		}
	}
	for _, e := range evs {
		add(rules, e.Layer+"\x00"+e.Rule, e.Layer, e)
		add(clients, cmp.Or(e.ClientIP, "unknown"), "", e)
		if e.Enforced {
			refused++
		}
	}
	top := func(m map[string]*eventCount, rule bool) []eventCount {
		out := make([]eventCount, 0, len(m))
		for _, c := range m {
			if rule {
				c.Key = c.Key[len(c.Layer)+1:]
			}
			out = append(out, *c)
		}
		slices.SortFunc(out, func(a, b eventCount) int {
			return cmp.Or(cmp.Compare(b.Matched, a.Matched), cmp.Compare(a.Key, b.Key))
		})
		return out[:min(len(out), 10)]
	}
	return top(rules, true), top(clients, false), refused
}
