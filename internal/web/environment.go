package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
)

// apiTraffic is GET /api/v1/environments/{env}/traffic: the routing
// table's weights and the gateway's counters per release.
type apiTraffic struct {
	Env        string           `json:"env"`
	Listen     string           `json:"listen"`
	Gateway    string           `json:"gateway"`
	Generation int64            `json:"generation"`
	Time       *time.Time       `json:"time"` // the gateway's clock; nil when it did not answer
	Rollout    *apiRollout      `json:"rollout"`
	Releases   []apiRelTraffic  `json:"releases"`
	Former     []apiRelTraffic  `json:"former"`
	Blocked    map[string]int64 `json:"blocked"`
}

type apiRollout struct {
	Release  string            `json:"release"`
	Version  string            `json:"version"`
	Strategy string            `json:"strategy"`
	State    string            `json:"state"`
	Weight   int               `json:"weight"`
	Step     int               `json:"step"`
	Steps    []int             `json:"steps"`
	Request  string            `json:"request"`
	Message  string            `json:"message"`
	Changes  []apiWeightChange `json:"changes"`
}

type apiRelTraffic struct {
	ID        string     `json:"id"`
	Version   string     `json:"version"`
	Role      string     `json:"role"`
	Weight    int        `json:"weight"`
	Requests  int64      `json:"requests"`
	InFlight  int64      `json:"in_flight"`
	Refused   int64      `json:"refused"`
	ErrorRate float64    `json:"error_rate"`
	P50       float64    `json:"p50_ms"`
	P99       float64    `json:"p99_ms"`
	Series    *apiSeries `json:"series"`
}

// apiReleaseRow is one release of GET .../releases.
type apiReleaseRow struct {
	ID       string    `json:"id"`
	Version  string    `json:"version"`
	Digest   string    `json:"digest"`
	Run      string    `json:"run"`
	Strategy string    `json:"strategy"`
	State    string    `json:"state"`
	Weight   int       `json:"weight"`
	Message  string    `json:"message"`
	Actor    string    `json:"actor"`
	Created  time.Time `json:"created_at"`
	Updated  time.Time `json:"updated_at"`
}

// End is when the release reached its state, or nil while it is being
// rolled out (its duration runs until now).
func (x apiReleaseRow) End() *time.Time {
	if releaseClass(x.State) == "rel-busy" || x.State == "paused" {
		return nil
	}
	return &x.Updated
}

// barSeg is one release's share of the traffic bar, in percent of the
// bar's width (the SVG's viewBox is 100 units wide).
type barSeg struct {
	ID, Version, Role string
	X, Weight         int
}

type envView struct {
	Env apiEnv
	// Gateway is "up" or why the counters are missing ("down: …").
	Gateway     string
	Traffic     *apiTraffic
	Bar         []barSeg
	Charts      *chartsView
	Rollout     *apiRollout
	InProgress  bool
	TrafficURL  string
	Releases    []apiReleaseRow
	ReleaseNote string
	// Error is the API's refusal of the last action (409, 403, 503).
	Error                             string
	CanPromote, CanAbort, CanRollback bool
}

// envPage shows an environment: its releases, the traffic split and
// counters (followed live by app.js while a rollout goes on), the
// rollout's step, the buttons the key's grants allow and the history.
func (u *UI) envPage(w http.ResponseWriter, r *http.Request, s *session) {
	ev, err := u.environment(r, s)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	u.page(w, r, s, http.StatusOK, "environment", "Environment "+ev.Env.Env, "overview", ev)
}

func (u *UI) environment(r *http.Request, s *session) (*envView, error) {
	env := r.PathValue("env")
	if !refRE.MatchString(env) {
		return nil, &apiError{Status: http.StatusNotFound, Message: "there is no environment " + env}
	}
	ev := &envView{TrafficURL: apiPath("/ui/api/environments", env) + "/traffic"}
	base := apiPath("/api/v1/environments", env)
	if err := u.getJSON(r, s, base, &ev.Env); err != nil {
		return nil, err
	}
	var t apiTraffic
	err := u.getJSON(r, s, base+"/traffic", &t)
	var ae *apiError
	switch {
	case err == nil:
		ev.Traffic, ev.Gateway, ev.Rollout = &t, t.Gateway, t.Rollout
	case errors.As(err, &ae) && ae.Status != http.StatusUnauthorized && ae.Status != http.StatusForbidden:
		ev.Gateway = "down: " + ae.Message
	default:
		return nil, err
	}
	ev.Bar = trafficBar(ev.Env, ev.Traffic)
	ev.Charts = buildCharts(chartsURL(env), ev.Traffic)
	if c := ev.Env.Candidate; ev.Rollout == nil && c != nil {
		ev.Rollout = &apiRollout{Release: c.ID, Version: c.Version, Strategy: c.Strategy, State: c.State, Weight: c.Weight, Message: c.Message}
	}
	ev.InProgress = ev.Env.Candidate != nil || ev.Rollout != nil && live(ev.Rollout.State)
	var rels struct {
		Releases []apiReleaseRow `json:"releases"`
	}
	n, fatal := note(u.getJSON(r, s, base+"/releases?limit=50", &rels), "the release history")
	if fatal != nil {
		return nil, fatal
	}
	ev.ReleaseNote, ev.Releases = n, rels.Releases
	ev.CanPromote = s.can(auth.Approve, "", env) && ev.Env.Candidate != nil
	ev.CanAbort = s.can(auth.Rollback, "", env) && ev.InProgress
	ev.CanRollback = s.can(auth.Rollback, "", env) && ev.Env.Candidate == nil && ev.Env.Live != nil
	return ev, nil
}

// chartsURL is where the page's script fetches the charts drawn again.
func chartsURL(env string) string { return apiPath("/ui/api/environments", env) + "/charts" }

// envCharts answers GET /ui/api/environments/{env}/charts with the
// environment page's charts alone, an HTML fragment drawn from the
// traffic as the page draws it: the page's script swaps it in while a
// rollout goes on.
func (u *UI) envCharts(w http.ResponseWriter, r *http.Request, s *session) {
	env := r.PathValue("env")
	if !refRE.MatchString(env) {
		http.NotFound(w, r)
		return
	}
	var t apiTraffic
	if err := u.getJSON(r, s, apiPath("/api/v1/environments", env)+"/traffic", &t); err != nil {
		status := http.StatusBadGateway
		var ae *apiError
		if errors.As(err, &ae) {
			status = ae.Status
		}
		http.Error(w, "the traffic could not be read", status)
		return
	}
	var buf bytes.Buffer
	if err := u.pages.t["environment"].ExecuteTemplate(&buf, "charts", buildCharts(chartsURL(env), &t)); err != nil {
		u.o.Logger.Error("web: render charts", "env", env, "request_id", w.Header().Get("X-Request-Id"), "err", err)
		http.Error(w, "the charts could not be drawn", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}

// trafficBar splits the bar by the routing table's weights when the API
// read them, else by the releases' stored weights.
func trafficBar(e apiEnv, t *apiTraffic) []barSeg {
	var segs []barSeg
	if t != nil && len(t.Releases) > 0 {
		for _, rt := range t.Releases {
			segs = append(segs, barSeg{ID: rt.ID, Version: rt.Version, Role: rt.Role, Weight: rt.Weight})
		}
	} else {
		for _, x := range []struct {
			rel  *apiRelease
			role string
		}{{e.Live, "stable"}, {e.Candidate, "candidate"}} {
			if x.rel != nil {
				segs = append(segs, barSeg{ID: x.rel.ID, Version: x.rel.Version, Role: x.role, Weight: x.rel.Weight})
			}
		}
		if len(segs) == 2 && segs[0].Weight+segs[1].Weight != 100 {
			// The live release takes what the candidate does not.
			segs[0].Weight = max(0, 100-segs[1].Weight)
		}
	}
	x := 0
	for i := range segs {
		segs[i].Weight = min(max(segs[i].Weight, 0), 100-x)
		segs[i].X = x
		x += segs[i].Weight
	}
	return segs
}

// envActions are the environment's buttons, each a POST of the API.
var envActions = map[string]string{"promote": "promoted", "abort": "aborted", "rollback": "rolled back"}

// envAction asks the API to promote, abort or roll back. A refusal (409
// nothing in progress, 403, 503 no delivery) is shown on the page with the
// API's own message.
func (u *UI) envAction(w http.ResponseWriter, r *http.Request, s *session) {
	env, action := r.PathValue("env"), r.PathValue("action")
	if _, ok := envActions[action]; !ok || !refRE.MatchString(env) {
		u.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no such action.")
		return
	}
	var out struct {
		Version string `json:"version"`
		By      string `json:"by"`
	}
	err := u.postJSON(r, s, apiPath("/api/v1/environments", env, action), nil, &out)
	var ae *apiError
	switch {
	case err == nil:
		msg := fmt.Sprintf("%s asked to %s the rollout of %s in %s.", out.By, action, out.Version, env)
		if action == "rollback" {
			msg = fmt.Sprintf("%s rolled %s back to %s.", out.By, env, out.Version)
		}
		u.sessions.setFlash(s.id, msg)
		http.Redirect(w, r, apiPath("/environments", env), http.StatusSeeOther)
		return
	case !errors.As(err, &ae) || ae.Status == http.StatusUnauthorized:
		u.fail(w, r, s, err)
		return
	}
	ev, lerr := u.environment(r, s)
	if lerr != nil {
		u.fail(w, r, s, lerr)
		return
	}
	ev.Error = strings.TrimSpace(ae.Message)
	u.page(w, r, s, ae.Status, "environment", "Environment "+env, "overview", ev)
}
