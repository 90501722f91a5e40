package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery"
	gwroute "github.com/sluice-ci/sluice/internal/delivery/route"
	"github.com/sluice-ci/sluice/internal/store"
)

// seedRollout stores a canary of v2.1.0 in production at 20% over a live
// v2.0.0 that replaced v1.9.0, and writes the routing table as the
// control plane would; no gateway runs, so its counters are missing.
func (fx *fixture) seedRollout() {
	ctx, now := fx.t.Context(), time.Now().UTC()
	rel := func(id, version, state string, weight int, age time.Duration) {
		fx.must(fx.st.Releases().CreateRelease(ctx, &store.Release{ID: id, Env: "production", Version: version, RunID: fx.done.ID,
			Digest: "sha256:" + strings.Repeat("c", 64), Strategy: "canary", State: state, Weight: weight, Step: 2, Message: "step 3 of 4",
			Actor: "bo", CreatedAt: now.Add(-age)}, nil))
	}
	rel("rel-p1", "v1.9.0", store.ReleaseSuperseded, 0, 48*time.Hour)
	rel("rel-p2", "v2.0.0", store.ReleaseLive, 80, 24*time.Hour)
	rel("rel-p3", "v2.1.0", store.ReleaseProgressing, 20, 5*time.Minute)
	fx.must(fx.st.Releases().PutEnv(ctx, &store.EnvState{Env: "production", Live: "rel-p2", Previous: "rel-p1", Candidate: "rel-p3",
		Listen: "127.0.0.1:18080", UpdatedAt: now}, nil))
	fx.must(gwroute.Save(delivery.GatewayDir(fx.data), &gwroute.Table{Generation: 3, Environments: map[string]*gwroute.Environment{
		"production": {Listen: "127.0.0.1:18080", Releases: []gwroute.Release{
			{ID: "rel-p2", Version: "v2.0.0", Role: gwroute.RoleStable, Weight: 80, Backends: []string{"127.0.0.1:18081"}},
			{ID: "rel-p3", Version: "v2.1.0", Role: gwroute.RoleCandidate, Weight: 20, Backends: []string{"127.0.0.1:18082"}},
		}}}}))
}

func TestEnvironmentPage(t *testing.T) {
	fx := newFixture(t)
	fx.seedRollout()
	b := fx.browser()
	b.mustLogin(fx.key("admin", "admin"))
	if p := b.get("/"); !strings.Contains(p.body, `href="/environments/production"`) {
		t.Error("the overview does not link the environment page")
	}
	p := b.get("/environments/production")
	wantStatus(t, "environment page", p, http.StatusOK)
	wantContains(t, "the environment page", p.body,
		"Environment production", `data-testid="env-live"`, "v2.0.0", "v2.1.0", "v1.9.0",
		// No gateway runs: it says so, and the weights come from the table.
		`data-testid="gateway-state" aria-live="polite">down: `,
		`data-testid="traffic-bar"`, `data-release="rel-p2" x="0" y="0" width="80"`, `data-release="rel-p3" x="80" y="0" width="20"`,
		`<strong data-field="weight">80%</strong>`, `<strong data-field="weight">20%</strong>`,
		`data-testid="traffic-table"`, `data-field="requests">0</td>`, `data-field="refused">0</td>`,
		`data-testid="rollout"`, "<strong>canary</strong>", `id="rollout-step">3</span>`,
		`id="traffic" data-url="/ui/api/environments/production/traffic" data-follow="1"`,
		`data-testid="promote"`, `data-testid="abort"`, `data-testid="release-history"`, `data-release="rel-p1"`, "superseded")
	if strings.Contains(p.body, `data-testid="rollback"`) {
		t.Error("rollback offered while a rollout is in progress (the API would refuse it)")
	}
	// The live part reads the traffic through the UI's proxy.
	api := b.get("/ui/api/environments/production/traffic")
	if api.status != http.StatusOK || !strings.Contains(api.body, `"weight": 20`) || !strings.HasPrefix(api.header.Get("Content-Type"), "application/json") {
		t.Errorf("traffic proxy: %d %s", api.status, api.body)
	}
	// This server acts on no release: the API says so, and the page shows it.
	p = b.post("/environments/production/promote", url.Values{"csrf": {b.csrf(p)}}, nil)
	wantStatus(t, "promote without delivery", p, http.StatusServiceUnavailable)
	wantContains(t, "the refusal", p.body, `data-testid="env-error"`, "this server does not act on releases", `data-testid="traffic-bar"`)
	// Without a CSRF token nothing happens.
	wantStatus(t, "promote without a token", b.post("/environments/production/promote", url.Values{}, nil), http.StatusForbidden)

	// Staging has a live release and no rollout: rollback is offered, the
	// bar is the stored weight (no routing table for it).
	p = b.get("/environments/staging")
	wantStatus(t, "staging", p, http.StatusOK)
	wantContains(t, "staging", p.body, `data-release="rel-1" x="0" y="0" width="100"`, "No rollout in progress.", `data-testid="rollback"`)
	if strings.Contains(p.body, `data-follow="1"`) || strings.Contains(p.body, `data-testid="promote"`) {
		t.Error("staging is followed live or offers to promote without a rollout")
	}
	// Rollback's API route reads an optional body: the UI's call, which
	// has none, reaches it (and its refusal) like a served request.
	p = b.post("/environments/staging/rollback", url.Values{"csrf": {b.csrf(p)}}, nil)
	wantStatus(t, "rollback without delivery", p, http.StatusServiceUnavailable)
	wantContains(t, "the rollback's refusal", p.body, "this server does not act on releases")

	// A viewer sees the page without buttons; posting anyway is refused by
	// the API with the permission it lacks.
	v := fx.browser()
	v.mustLogin(fx.key("val", "viewer"))
	p = v.get("/environments/production")
	wantStatus(t, "the viewer's environment page", p, http.StatusOK)
	for _, no := range []string{`data-testid="promote"`, `data-testid="abort"`, `data-testid="rollback"`} {
		if strings.Contains(p.body, no) {
			t.Errorf("a viewer is offered %s", no)
		}
	}
	p = v.post("/environments/production/abort", url.Values{"csrf": {v.csrf(p)}}, nil)
	wantStatus(t, "abort by a viewer", p, http.StatusForbidden)
	wantContains(t, "the viewer's refusal", p.body, "releases:rollback")
	wantStatus(t, "an unknown environment", b.get("/environments/nowhere"), http.StatusNotFound)
	wantStatus(t, "an unknown action", b.post("/environments/production/explode", url.Values{"csrf": {b.csrf(b.get("/"))}}, nil), http.StatusNotFound)
}
