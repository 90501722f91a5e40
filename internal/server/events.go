package server

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/gateway"
)

// Bounds of GET /api/v1/events.
const (
	defaultEvents = 200
	maxEvents     = 5000
)

// listEvents returns the gateway's security events (what the WAF, rate
// limit, geo, OpenAPI and API-key layers matched), oldest first, the
// newest ?limit= of them: of ?env= (else of every environment the key may
// read), at or after ?since= (RFC 3339, or a duration back from now: 90m,
// 2d), of ?layer=.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	q := r.URL.Query()
	limit, err := limitOf(r, defaultEvents, maxEvents)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		if since, err = parseSince(v, s.o.Now()); err != nil {
			writeError(w, http.StatusBadRequest, "bad_query", "since: "+err.Error())
			return
		}
	}
	env, layer := q.Get("env"), q.Get("layer")
	if env != "" && !p.Can(auth.ReadReleases, "", env) {
		s.deny(w, r, p, auth.ReadReleases, "", env)
		return
	}
	if s.o.GatewayDir == "" {
		writeError(w, http.StatusServiceUnavailable, "no_gateway", "this server knows no gateway")
		return
	}
	match := func(ev *gateway.SecurityEvent) bool {
		return (env == "" || ev.Env == env) && (layer == "" || ev.Layer == layer) &&
			(since.IsZero() || !ev.Time.Before(since)) && p.Can(auth.ReadReleases, "", ev.Env)
	}
	// A ring of the newest limit events: the log is read once, oldest
	// first, whatever its size.
	ring := make([]gateway.SecurityEvent, 0, min(limit, 1024))
	next := 0
	n, err := gateway.ReadEvents(filepath.Join(s.o.GatewayDir, gateway.EventLogFile), match, func(ev gateway.SecurityEvent) error {
		if len(ring) < limit {
			ring = append(ring, ev)
			return nil
		}
		ring[next] = ev
		next = (next + 1) % limit
		return nil
	})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "events", err.Error())
		return
	}
	out := append(ring[next:len(ring):len(ring)], ring[:next]...)
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "matched": n, "truncated": n > len(out)})
}

// parseSince reads an RFC 3339 time or a duration back from now ("90m",
// "2d").
func parseSince(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither a duration (90m, 2d) nor an RFC 3339 time", v)
	}
	return now.Add(-d), nil
}
