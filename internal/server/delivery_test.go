//go:build linux

package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery"
	"github.com/sluice-ci/sluice/internal/delivery/release"
	"github.com/sluice-ci/sluice/internal/gateway"
	"github.com/sluice-ci/sluice/internal/store"
)

// deliveryFixture is a control plane with a real gateway and real release
// controllers deploying the test binary as the app (TestMain), to the
// environment "production" behind the gateway's listener.
type deliveryFixture struct {
	*fixture
	gw, listen string
	controller func(actor string) *release.Controller
}

func newDeliveryFixture(t *testing.T) *deliveryFixture {
	t.Helper()
	fx := newFixture(t)
	gw := delivery.GatewayDir(fx.data)
	g, err := gateway.New(gateway.Options{Dir: gw, PollInterval: 10 * time.Millisecond, Grace: 2 * time.Second,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx) }()
	df := &deliveryFixture{fixture: fx, gw: gw}
	df.controller = func(actor string) *release.Controller {
		return release.New(release.Options{Store: fx.st, DataDir: fx.data, Actor: actor, Target: delivery.LocalTarget{DataDir: fx.data},
			Router: delivery.GatewayRouter{Dir: gw}, Meter: delivery.NewGatewayMeter(gw), Tick: 50 * time.Millisecond, Grace: 2 * time.Second})
	}
	fx.s.o.Delivery = ReleaseDelivery{Controller: df.controller}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	df.listen = ln.Addr().String()
	ln.Close()
	t.Cleanup(func() {
		// Every replica stops with the environment; then the gateway.
		_ = df.controller("test").Down(context.Background(), "production")
		cancel()
		<-done
	})
	return df
}

// deploy rolls version out to production with strategy (canary steps
// wait an hour each: only a request moves them on).
func (df *deliveryFixture) deploy(ctx context.Context, version, strategy string, steps ...int) (*store.Release, error) {
	return df.deployEdge(ctx, nil, version, strategy, steps...)
}

// deployEdge is deploy with the gateway's edge protection edge (JSON).
func (df *deliveryFixture) deployEdge(ctx context.Context, edge []byte, version, strategy string, steps ...int) (*store.Release, error) {
	t := df.t
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	artifact := filepath.Join(t.TempDir(), "app-"+version)
	if err := os.WriteFile(artifact, []byte("build "+version), 0o600); err != nil {
		return nil, err
	}
	cfg := &release.Config{Run: []string{self, "-port", "${PORT}", "-version", "${VERSION}"}, Env: map[string]string{testAppEnv: "app"},
		Replicas: 1, Strategy: strategy, Steps: steps, Interval: time.Hour, Workdir: t.TempDir(), Listen: df.listen, Edge: edge}
	return df.controller("deployer").Deploy(ctx, release.DeployRequest{Env: "production", Config: cfg, Artifact: artifact, Version: version})
}

// get sends a request through the gateway and returns the answer.
func (df *deliveryFixture) get() string {
	df.t.Helper()
	res, err := http.Get("http://" + df.listen + "/")
	if err != nil {
		df.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return strings.TrimSpace(string(b))
}

// trafficOf reads GET /environments/production/traffic.
func (df *deliveryFixture) trafficOf(key string) trafficJSON {
	df.t.Helper()
	res, body := df.do("GET", "/api/v1/environments/production/traffic", key, nil, nil)
	if res.StatusCode != http.StatusOK {
		df.t.Fatalf("traffic: %d %s", res.StatusCode, body)
	}
	var tr trafficJSON
	if err := json.Unmarshal(body, &tr); err != nil {
		df.t.Fatal(err)
	}
	return tr
}

// waitRollout polls the traffic route until the rollout is progressing at
// weight.
func (df *deliveryFixture) waitRollout(key string, weight int) trafficJSON {
	df.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		tr := df.trafficOf(key)
		if tr.Rollout != nil && tr.Rollout.State == store.ReleaseProgressing && tr.Rollout.Weight == weight {
			return tr
		}
		if time.Now().After(deadline) {
			df.t.Fatalf("no rollout at %d%%: %+v", weight, tr.Rollout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDeliveryRoutes deploys real releases behind the real gateway and
// drives them through the API: the environments list, live traffic,
// rollback, and promote and abort of canaries whose controller runs.
func TestDeliveryRoutes(t *testing.T) {
	df := newDeliveryFixture(t)
	ctx := t.Context()
	if _, err := df.deploy(ctx, "1.0.0", release.BlueGreen); err != nil {
		t.Fatal(err)
	}
	v2, err := df.deploy(ctx, "2.0.0", release.BlueGreen)
	if err != nil {
		t.Fatal(err)
	}
	viewer := df.mkKey("viewer", "viewer")
	stagingViewer := df.mkKey("staging-viewer", "viewer@*/staging")
	dev := df.mkKey("dev", "developer")
	approver := df.mkKey("release-manager", "approver@*/production")
	stagingApprover := df.mkKey("staging-approver", "approver@*/staging")

	// The environments the key may read.
	res, body := df.do("GET", "/api/v1/environments", viewer, nil, nil)
	var envs struct {
		Environments []struct {
			Env                       string
			Listen                    string
			Live, Previous, Candidate *envReleaseJSON
		}
	}
	if err := json.Unmarshal(body, &envs); err != nil || res.StatusCode != 200 {
		t.Fatalf("environments: %d %s", res.StatusCode, body)
	}
	if len(envs.Environments) != 1 || envs.Environments[0].Env != "production" || envs.Environments[0].Live == nil ||
		envs.Environments[0].Live.Version != "2.0.0" || envs.Environments[0].Previous == nil || envs.Environments[0].Previous.Version != "1.0.0" ||
		envs.Environments[0].Candidate != nil || envs.Environments[0].Listen != df.listen {
		t.Errorf("environments:\n%s", body)
	}
	if _, body := df.do("GET", "/api/v1/environments", stagingViewer, nil, nil); !strings.Contains(string(body), `"environments": []`) {
		t.Errorf("a staging viewer lists:\n%s", body)
	}

	// Live traffic: the gateway's counters and the table's weights.
	for range 5 {
		if got := df.get(); got != "2.0.0" {
			t.Fatalf("the gateway answered %q, want 2.0.0", got)
		}
	}
	tr := df.trafficOf(viewer)
	if tr.Gateway != "up" || tr.Listen != df.listen || tr.Rollout != nil || len(tr.Releases) == 0 || tr.Started == nil {
		t.Fatalf("traffic: %+v", tr)
	}
	live := tr.Releases[0]
	if live.ID != v2.ID || live.Role != "stable" || live.Weight != 100 || live.Requests != 5 || live.Status["2xx"] != 5 ||
		live.Latency.Count != 5 || live.Backends != 1 || live.ErrorRate != 0 {
		t.Errorf("live release traffic: %+v", live)
	}
	// The same requests, interval by interval, from the gateway's series.
	if s := live.Series; s == nil || s.Interval != 10 || sum(s.Requests) != 5 || len(s.Times) != len(s.P99) || len(s.ErrorRate) != len(s.Times) {
		t.Errorf("live release series: %+v", s)
	} else {
		for i := range s.Times {
			if s.ErrorRate[i] != 0 || s.P99[i] <= 0 || s.P50[i] > s.P99[i] || i > 0 && !s.Times[i].After(s.Times[i-1]) {
				t.Errorf("live release series, interval %d: %+v", i, s)
			}
		}
	}
	if res, _ := df.do("GET", "/api/v1/environments/production/traffic", stagingViewer, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a staging viewer reads production's traffic: %d, want 403", res.StatusCode)
	}
	if res, _ := df.do("GET", "/api/v1/environments/nowhere/traffic", viewer, nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("traffic of an unknown environment: %d, want 404", res.StatusCode)
	}

	// Nothing to promote or abort.
	for _, what := range []string{"promote", "abort"} {
		if res, body := df.do("POST", "/api/v1/environments/production/"+what, approver, nil, nil); res.StatusCode != http.StatusConflict {
			t.Errorf("%s with nothing in progress: %d %s, want 409", what, res.StatusCode, body)
		}
	}

	// Rollback: approvers of production only.
	for name, key := range map[string]string{"viewer": viewer, "developer": dev, "staging approver": stagingApprover} {
		if res, _ := df.do("POST", "/api/v1/environments/production/rollback", key, nil, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s rolls back: %d, want 403", name, res.StatusCode)
		}
	}
	res, body = df.do("POST", "/api/v1/environments/production/rollback", approver, nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"version": "1.0.0"`) {
		t.Fatalf("rollback: %d %s", res.StatusCode, body)
	}
	if got := df.get(); got != "1.0.0" {
		t.Errorf("after the rollback the gateway answered %q", got)
	}
	if recs := df.audited("env/production", "env.rollback"); len(recs) != 1 || recs[0].Actor != "release-manager" {
		t.Errorf("rollback audit: %+v", recs)
	}
	if res, body := df.do("POST", "/api/v1/environments/production/rollback", approver, nil, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("a second rollback with no previous release: %d %s, want 409", res.StatusCode, body)
	}

	// A canary whose controller runs: promote.
	type result struct {
		rel *store.Release
		err error
	}
	done := make(chan result, 1)
	go func() {
		rel, err := df.deploy(ctx, "3.0.0", release.Canary, 50, 100)
		done <- result{rel, err}
	}()
	tr = df.waitRollout(viewer, 50)
	if tr.Rollout.Version != "3.0.0" || tr.Rollout.Strategy != release.Canary || tr.Rollout.Step != 1 || fmt.Sprint(tr.Rollout.Steps) != "[50 100]" {
		t.Errorf("rollout: %+v", tr.Rollout)
	}
	weights := map[string]int{}
	for _, r := range tr.Releases {
		weights[r.Version+"/"+r.Role] = r.Weight
	}
	if weights["1.0.0/stable"] != 50 || weights["3.0.0/candidate"] != 50 {
		t.Errorf("canary weights: %v", weights)
	}
	if c := tr.Rollout.Changes; len(c) != 1 || c[0].Weight != 50 || c[0].Step != 1 || c[0].State != store.ReleaseProgressing || c[0].Time.IsZero() {
		t.Errorf("the rollout's weight changes: %+v", c)
	}
	if res, body := df.do("POST", "/api/v1/environments/production/rollback", approver, nil, nil); res.StatusCode != http.StatusConflict ||
		!strings.Contains(string(body), "rollout_in_progress") {
		t.Errorf("rollback during a rollout: %d %s, want 409", res.StatusCode, body)
	}
	if res, _ := df.do("POST", "/api/v1/environments/production/promote", dev, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a developer promotes: %d, want 403", res.StatusCode)
	}
	res, body = df.do("POST", "/api/v1/environments/production/promote", approver, nil, nil)
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("promote: %d %s", res.StatusCode, body)
	}
	r := <-done
	if r.err != nil || r.rel.State != store.ReleaseLive {
		t.Fatalf("the promoted canary: %v %+v", r.err, r.rel)
	}
	if got := df.get(); got != "3.0.0" {
		t.Errorf("after the promotion the gateway answered %q", got)
	}
	if recs := df.audited("release/"+r.rel.ID, "release.promote_requested"); len(recs) != 1 || recs[0].Actor != "release-manager" {
		t.Errorf("promote audit: %+v", recs)
	}

	// A canary whose controller runs: abort.
	go func() {
		rel, err := df.deploy(ctx, "4.0.0", release.Canary, 50, 100)
		done <- result{rel, err}
	}()
	tr = df.waitRollout(viewer, 50)
	res, body = df.do("POST", "/api/v1/environments/production/abort", approver, nil, nil)
	if res.StatusCode != http.StatusAccepted || !strings.Contains(string(body), `"version": "4.0.0"`) {
		t.Fatalf("abort: %d %s", res.StatusCode, body)
	}
	if r := <-done; !errors.Is(r.err, release.ErrRolledBack) {
		t.Fatalf("the aborted canary: %v", r.err)
	}
	if got := df.get(); got != "3.0.0" {
		t.Errorf("after the abort the gateway answered %q", got)
	}
	aborted, err := df.st.Releases().GetRelease(ctx, tr.Rollout.Release)
	if err != nil || aborted.State != store.ReleaseAborted {
		t.Errorf("the aborted release: %v %+v", err, aborted)
	}
	if recs := df.audited("release/"+aborted.ID, "release.abort_requested"); len(recs) != 1 || recs[0].Actor != "release-manager" {
		t.Errorf("abort audit: %+v", recs)
	}
	// Releases that left the routing table keep their series for the hour:
	// 2.0.0 answered the first five requests.
	tr = df.trafficOf(viewer)
	former := map[string]releaseTraffic{}
	for _, f := range tr.Former {
		former[f.Version] = f
	}
	if f := former["2.0.0"]; f.ID != v2.ID || f.Role != RoleFormer || f.Weight != 0 || f.Requests != 5 || f.Series == nil || sum(f.Series.Requests) != 5 {
		t.Errorf("former releases: %+v", tr.Former)
	}
	for _, r := range tr.Releases {
		if _, dup := former[r.Version]; dup {
			t.Errorf("%s is both routed and former", r.Version)
		}
	}
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}

// TestDeliveryRoutesWithoutDelivery: a server without a Delivery refuses
// the release actions with 503.
func TestDeliveryRoutesWithoutDelivery(t *testing.T) {
	fx := newFixture(t)
	admin := fx.mkKey("admin", "admin")
	if err := fx.st.Releases().PutEnv(t.Context(), &store.EnvState{Env: "production", Live: "r1"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, what := range []string{"promote", "abort", "rollback"} {
		if res, _ := fx.do("POST", "/api/v1/environments/production/"+what, admin, nil, nil); res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s without delivery: %d, want 503", what, res.StatusCode)
		}
	}
}

// TestAbortSettlesWhenNoControllerRuns: a rollout whose controller died
// (here: a candidate left pending in the store, no lock held) is settled
// by the server itself after the request, as sluice abort does.
func TestAbortSettlesWhenNoControllerRuns(t *testing.T) {
	df := newDeliveryFixture(t)
	cfg, err := json.Marshal(release.Config{Run: []string{"true"}, Replicas: 1, Strategy: release.Canary, Steps: []int{50, 100}, Listen: df.listen})
	if err != nil {
		t.Fatal(err)
	}
	rel := &store.Release{ID: "rdead", Env: "production", Version: "5.0.0", Strategy: release.Canary, Config: cfg, State: store.ReleasePending,
		CreatedAt: time.Now()}
	if err := df.st.Releases().CreateRelease(t.Context(), rel, &store.AuditRecord{Time: time.Now(), Actor: "deployer", Action: "release.create",
		Subject: "release/rdead", Data: map[string]string{"env": "production"}}); err != nil {
		t.Fatal(err)
	}
	if err := df.st.Releases().PutEnv(t.Context(), &store.EnvState{Env: "production", Candidate: rel.ID, Listen: df.listen}, nil); err != nil {
		t.Fatal(err)
	}
	approver := df.mkKey("release-manager", "approver")
	res, body := df.do("POST", "/api/v1/environments/production/abort", approver, nil, nil)
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("abort: %d %s", res.StatusCode, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		cur, err := df.st.Releases().GetRelease(t.Context(), rel.ID)
		es, err2 := df.st.Releases().GetEnv(t.Context(), "production")
		if err == nil && err2 == nil && store.ReleaseFinal(cur.State) && es.Candidate == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the interrupted rollout was not settled: %+v %v", cur, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if recs := df.audited("release/rdead", "release.abort_requested"); len(recs) != 1 || recs[0].Actor != "release-manager" {
		t.Errorf("abort audit: %+v", recs)
	}
}

// TestTrafficAndEventsOfTheEdge: requests the gateway's rate limit
// refuses show in the traffic (refused, blocked) and as security events
// the gateway wrote.
func TestTrafficAndEventsOfTheEdge(t *testing.T) {
	df := newDeliveryFixture(t)
	rel, err := df.deployEdge(t.Context(), []byte(`{"rate_limit": {"mode": "enforce", "limit": 3, "window": "1m"}}`), "1.0.0", release.BlueGreen)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[int]int{}
	for range 5 {
		res, err := http.Get("http://" + df.listen + "/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		codes[res.StatusCode]++
	}
	if codes[200] != 3 || codes[429] != 2 {
		t.Fatalf("answers: %v", codes)
	}
	viewer := df.mkKey("v", "viewer")
	tr := df.trafficOf(viewer)
	if len(tr.Releases) != 1 || tr.Releases[0].ID != rel.ID || tr.Releases[0].Requests != 3 || tr.Releases[0].Refused != 2 {
		t.Errorf("traffic: %+v", tr.Releases)
	}
	// The refusals are no errors of the release in its series either.
	if s := tr.Releases[0].Series; s == nil || sum(s.Requests) != 3 || slices.ContainsFunc(s.ErrorRate, func(r float64) bool { return r != 0 }) {
		t.Errorf("series: %+v", s)
	}
	blocked := int64(0)
	for k, n := range tr.Blocked {
		if strings.HasPrefix(k, "rate ") {
			blocked += n
		}
	}
	if blocked != 2 {
		t.Errorf("blocked: %v", tr.Blocked)
	}
	// The gateway writes its event log in the background.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, body := df.do("GET", "/api/v1/events?env=production&layer=rate", viewer, nil, nil)
		var a struct{ Events []gateway.SecurityEvent }
		if err := json.Unmarshal(body, &a); err != nil || res.StatusCode != 200 {
			t.Fatalf("events: %d %s", res.StatusCode, body)
		}
		if len(a.Events) == 2 {
			if a.Events[0].Release != rel.ID || !a.Events[0].Enforced || a.Events[0].Status != 429 {
				t.Errorf("event: %+v", a.Events[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
