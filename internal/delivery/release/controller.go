package release

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/analysis"
	"github.com/sluice-ci/sluice/internal/delivery/route"
	"github.com/sluice-ci/sluice/internal/store"
)

// Target runs the replicas of releases.
type Target interface {
	// Start starts replica n of rel and returns once it is healthy (or
	// failed to become healthy: then nothing of it is left running).
	Start(ctx context.Context, rel *store.Release, cfg *Config, replica int) (*store.Instance, error)
	// Stop stops an instance gracefully (SIGTERM, then SIGKILL after
	// grace); an instance already gone is not an error.
	Stop(ctx context.Context, in *store.Instance, grace time.Duration) error
	// Alive reports whether the instance's process still runs.
	Alive(in *store.Instance) bool
	// Probe checks the instance's health once; unhealthy is how many
	// failed probes in a row make it unhealthy.
	Probe(ctx context.Context, in *store.Instance, cfg *Config) (unhealthy int, err error)
}

// Router publishes an environment's routing to the gateway.
type Router interface {
	// Route makes the gateway serve env on listen with releases, and
	// returns once the gateway serves the new table.
	Route(ctx context.Context, env, listen string, releases []route.Release, o RouteOptions) error
}

// RouteOptions are an environment's routing settings.
type RouteOptions struct {
	// Sticky keeps a client on the release that first served it.
	Sticky bool
	// Header picks a release by id or version (default X-Sluice-Release).
	Header string
	// Edge is the gateway's edge protection of the environment (JSON).
	Edge []byte
}

// Meter measures a release's traffic for analysis.
type Meter interface {
	// Begin starts a measurement window for the release.
	Begin(ctx context.Context, env, releaseID string) error
	// Measure returns what happened since Begin, or since the time since
	// when it is not zero (a sliding window).
	Measure(ctx context.Context, env, releaseID string, since time.Time) (analysis.Metrics, error)
}

// Event tells an observer what a release is doing.
type Event struct {
	Time    time.Time
	Env     string
	Release string
	Version string
	State   string
	Step    int
	Steps   int
	Weight  int
	Message string
}

// Options configure a Controller.
type Options struct {
	Store store.Store
	// DataDir holds the stored artifacts (releases/<id>/) and the
	// environment locks (locks/).
	DataDir  string
	Target   Target
	Router   Router
	Meter    Meter
	Actor    string
	Logger   *slog.Logger
	Observer func(Event)
	Now      func() time.Time
	// Grace is how long an instance gets to stop; Tick how often waits
	// check requests, crashes and metrics (default 1s).
	Grace time.Duration
	Tick  time.Duration
}

// Controller deploys, promotes, aborts and rolls back releases. One
// controller at a time acts on an environment (a lock file says which).
type Controller struct{ o Options }

// New returns a Controller.
func New(o Options) *Controller {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	return &Controller{o: o}
}

// Errors a caller may want to tell apart.
var (
	// ErrBusy: another controller is acting on the environment.
	ErrBusy = errors.New("another sluice process is deploying to this environment")
	// ErrQuarantined: the artifact was rolled back or aborted here before.
	ErrQuarantined = errors.New("artifact is quarantined")
	// ErrRolledBack: the release was rolled back (or aborted); the
	// environment is back on its previous release.
	ErrRolledBack = errors.New("release rolled back")
	// ErrListenBusy: the router applied the routes, but another program
	// holds the environment's address, so the gateway cannot serve it.
	ErrListenBusy = errors.New("the environment's address is taken")
)

// DeployRequest asks for a new release.
type DeployRequest struct {
	Env      string
	Config   *Config
	Artifact string
	Version  string
	RunID    string
	// After are the environments the artifact must have been live in
	// first (the environment's after:), checked by digest.
	After []string
	// Override deploys a quarantined artifact, or one that skipped an
	// environment of After.
	Override bool
}

// ErrNotPromoted: the artifact has not been live in an environment that
// must come first.
var ErrNotPromoted = errors.New("artifact has not been through the environments before this one")

// Deploy takes req.Artifact to req.Env with the environment's strategy and
// returns the release once it is live, or an error wrapping ErrRolledBack
// when it was rolled back (the environment then serves its previous
// release).
func (c *Controller) Deploy(ctx context.Context, req DeployRequest) (*store.Release, error) {
	unlock, err := c.lockEnv(req.Env)
	if err != nil {
		return nil, err
	}
	defer unlock()
	digest, err := Digest(req.Artifact)
	if err != nil {
		return nil, fmt.Errorf("artifact %s: %w", req.Artifact, err)
	}
	rs := c.o.Store.Releases()
	if q, err := rs.GetQuarantine(ctx, req.Env, digest); err == nil && !req.Override {
		return nil, fmt.Errorf("%w in %s: release %s of it %s; deploy a fixed build, or pass --override to deploy it anyway",
			ErrQuarantined, req.Env, q.ReleaseID, q.Reason)
	}
	if !req.Override {
		for _, before := range req.After {
			ok, err := c.wasLive(ctx, before, digest)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("%w: %s (%s) was never live in %s, which comes before %s; deploy it there first, or pass --override",
					ErrNotPromoted, req.Artifact, digest[:19], before, req.Env)
			}
		}
	}
	es, err := c.envState(ctx, req.Env)
	if err != nil {
		return nil, err
	}
	if es.Candidate != "" {
		// A controller died mid-rollout: settle that release first.
		if err := c.settle(ctx, es); err != nil {
			return nil, fmt.Errorf("settle the interrupted release %s first: %w", es.Candidate, err)
		}
		if es, err = c.envState(ctx, req.Env); err != nil {
			return nil, err
		}
	}
	cfg := req.Config
	if es.Listen == "" {
		es.Listen = cfg.Listen
	}
	if es.Listen == "" {
		if es.Listen, err = freeAddr(); err != nil {
			return nil, err
		}
		// A port free a moment ago may be taken before the gateway binds
		// it: publish then picks another for this new environment.
		cfg.pickListen = es.Live == ""
	} else if cfg.Listen != "" && cfg.Listen != es.Listen {
		es.Listen = cfg.Listen
	}
	cfg.Listen = es.Listen

	id, err := newID()
	if err != nil {
		return nil, err
	}
	stored, err := c.keepArtifact(id, req.Artifact)
	if err != nil {
		return nil, err
	}
	version := req.Version
	if version == "" {
		version = digest[len("sha256:") : len("sha256:")+12]
	}
	rel := &store.Release{ID: id, Env: req.Env, Version: version, Artifact: stored, Digest: digest, RunID: req.RunID,
		Strategy: cfg.Strategy, Config: cfg.marshal(), State: store.ReleasePending, Actor: c.o.Actor, CreatedAt: c.o.Now()}
	if err := rs.CreateRelease(ctx, rel, c.audit("release.create", rel, map[string]string{
		"digest": digest, "strategy": cfg.Strategy, "override": strconv.FormatBool(req.Override && digest != "")})); err != nil {
		return nil, err
	}
	es.Candidate = id
	if err := rs.PutEnv(ctx, es, nil); err != nil {
		return nil, err
	}
	c.emit(rel, cfg, fmt.Sprintf("deploying %s (%s) to %s with %s", version, digest[:19], req.Env, cfg.Strategy))
	return rel, c.rollout(ctx, rel, cfg)
}

// rollout runs rel's strategy from where the release stands.
func (c *Controller) rollout(ctx context.Context, rel *store.Release, cfg *Config) error {
	var err error
	switch cfg.Strategy {
	case Canary:
		err = c.canary(ctx, rel, cfg)
	case BlueGreen:
		err = c.blueGreen(ctx, rel, cfg)
	default:
		err = c.rolling(ctx, rel, cfg)
	}
	if err != nil {
		return err
	}
	return c.monitor(ctx, rel, cfg)
}

// lockEnv takes the environment's lock file; ErrBusy when another live
// process holds it.
func (c *Controller) lockEnv(env string) (func(), error) {
	path := filepath.Join(c.o.DataDir, "locks", "env-"+safe(env)+".lock")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", env, ErrBusy)
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}

// Busy reports whether a controller is acting on env right now.
func (c *Controller) Busy(env string) bool {
	unlock, err := c.lockEnv(env)
	if err != nil {
		return errors.Is(err, ErrBusy)
	}
	unlock()
	return false
}

func (c *Controller) envState(ctx context.Context, env string) (*store.EnvState, error) {
	es, err := c.o.Store.Releases().GetEnv(ctx, env)
	if errors.Is(err, store.ErrNotFound) {
		return &store.EnvState{Env: env}, nil
	}
	return es, err
}

// keepArtifact copies the artifact into the data folder, so the release
// can be started again (resume, rollback) whatever happens to the
// workspace.
func (c *Controller) keepArtifact(id, src string) (string, error) {
	dest := filepath.Join(c.o.DataDir, "releases", id, filepath.Base(src))
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return "", err
	}
	info, err := os.Stat(src)
	if err != nil {
		return "", err
	}
	if info.IsDir() {
		if err := os.CopyFS(dest, os.DirFS(src)); err != nil {
			return "", fmt.Errorf("keep artifact: %w", err)
		}
		return dest, nil
	}
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dest, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm()|0o500)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", fmt.Errorf("keep artifact: %w", err)
	}
	return dest, out.Close()
}

// transition persists rel in state with msg (and an audit record), then
// tells the observer.
func (c *Controller) transition(ctx context.Context, rel *store.Release, cfg *Config, state, msg string) error {
	rel.State, rel.Message = state, msg
	data := map[string]string{"state": state, "message": msg, "weight": strconv.Itoa(rel.Weight), "step": strconv.Itoa(rel.Step)}
	if err := c.o.Store.Releases().UpdateRelease(context.WithoutCancel(ctx), rel, c.audit("release."+state, rel, data)); err != nil {
		return err
	}
	c.emit(rel, cfg, msg)
	return nil
}

func (c *Controller) emit(rel *store.Release, cfg *Config, msg string) {
	c.o.Logger.Info(msg, "env", rel.Env, "release", rel.ID, "state", rel.State)
	if c.o.Observer == nil {
		return
	}
	steps := 0
	if cfg != nil {
		steps = len(cfg.Steps)
	}
	c.o.Observer(Event{Time: c.o.Now(), Env: rel.Env, Release: rel.ID, Version: rel.Version, State: rel.State,
		Step: rel.Step, Steps: steps, Weight: rel.Weight, Message: msg})
}

func (c *Controller) audit(action string, rel *store.Release, data map[string]string) *store.AuditRecord {
	if data == nil {
		data = map[string]string{}
	}
	data["env"], data["version"] = rel.Env, rel.Version
	return &store.AuditRecord{Time: c.o.Now(), Actor: c.o.Actor, Action: action, Subject: "release/" + rel.ID, Data: data}
}

func newID() (string, error) {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "r" + hex.EncodeToString(b), nil
}

// safe keeps an environment name to one harmless file name element.
func safe(s string) string {
	out := []byte(s)
	for i, b := range out {
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
			out[i] = '_'
		}
	}
	return string(out)
}

// wasLive reports whether a release of digest reached all traffic in env
// and was not rolled back.
func (c *Controller) wasLive(ctx context.Context, env, digest string) (bool, error) {
	rels, err := c.o.Store.Releases().ListReleases(ctx, env, 0)
	if err != nil {
		return false, err
	}
	for _, r := range rels {
		if r.Digest != digest {
			continue
		}
		switch r.State {
		case store.ReleaseLive, store.ReleaseMonitoring, store.ReleaseSuperseded:
			return true, nil
		}
	}
	return false, nil
}
