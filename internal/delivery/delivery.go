// Package delivery puts progressive delivery together on one machine: the
// release controller (package release) with the local process target, the
// gateway's routing table and the gateway's own traffic metrics.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/delivery/analysis"
	"github.com/sluice-ci/sluice/internal/delivery/local"
	"github.com/sluice-ci/sluice/internal/delivery/release"
	"github.com/sluice-ci/sluice/internal/delivery/route"
	"github.com/sluice-ci/sluice/internal/gateway"
	"github.com/sluice-ci/sluice/internal/gateway/edge"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
)

// GatewayDir is the gateway's folder inside a data folder.
func GatewayDir(dataDir string) string { return filepath.Join(dataDir, "gateway") }

// LocalTarget runs replicas as processes on this machine (local package).
type LocalTarget struct {
	// DataDir holds the replicas' log files (releases/<id>/).
	DataDir string
	// BaseEnv is the environment every replica starts from (PATH, HOME …);
	// the deploy section's env comes on top.
	BaseEnv map[string]string
	// Secrets, when set, returns the values of the environment's secrets
	// named (from the store, audited); they reach the app as environment
	// variables and are never stored with the release.
	Secrets func(ctx context.Context, env string, names []string) (map[string]string, error)
}

// Start starts replica n of rel and waits until it is healthy.
func (t LocalTarget) Start(ctx context.Context, rel *store.Release, cfg *release.Config, replica int) (*store.Instance, error) {
	hc, err := local.HealthFromSpec(cfg.Health)
	if err != nil {
		return nil, fmt.Errorf("deploy.health: %w", err)
	}
	env := map[string]string{}
	for k, v := range t.BaseEnv {
		env[k] = v
	}
	for k, v := range cfg.Env {
		env[k] = v
	}
	if t.Secrets != nil && len(cfg.Secrets) > 0 {
		vals, err := t.Secrets(ctx, rel.Env, cfg.Secrets)
		if err != nil {
			return nil, err
		}
		for k, v := range vals {
			env[k] = v
		}
	}
	vars := map[string]string{"ARTIFACT": rel.Artifact, "VERSION": rel.Version}
	if cfg.Shell {
		// A shell command line reads the values from its environment;
		// nothing is substituted into the shell's text.
		env["ARTIFACT"], env["VERSION"] = rel.Artifact, rel.Version
		vars = nil
	}
	spec := local.Spec{Release: rel.ID, Replica: replica, Argv: cfg.Run, Env: env, Vars: vars, Dir: cfg.Workdir,
		LogFile: filepath.Join(t.DataDir, "releases", rel.ID, fmt.Sprintf("replica-%d.log", replica))}
	inst, err := local.StartHealthy(ctx, spec, hc, 3)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(inst)
	if err != nil {
		return nil, err
	}
	return &store.Instance{ReleaseID: rel.ID, Replica: replica, State: release.InstanceHealthy, Addr: inst.Addr, Data: data}, nil
}

func instanceOf(in *store.Instance) (*local.Instance, error) {
	var li local.Instance
	if err := json.Unmarshal(in.Data, &li); err != nil {
		return nil, fmt.Errorf("instance %d of %s: %w", in.Replica, in.ReleaseID, err)
	}
	return &li, nil
}

// Stop stops the instance's process group gracefully.
func (t LocalTarget) Stop(ctx context.Context, in *store.Instance, grace time.Duration) error {
	li, err := instanceOf(in)
	if err != nil {
		return err
	}
	return local.Stop(ctx, li, grace)
}

// Alive reports whether the instance's process still runs.
func (t LocalTarget) Alive(in *store.Instance) bool {
	li, err := instanceOf(in)
	return err == nil && local.Alive(li)
}

// Probe checks the instance's health once.
func (t LocalTarget) Probe(ctx context.Context, in *store.Instance, cfg *release.Config) (int, error) {
	hc, err := local.HealthFromSpec(cfg.Health)
	if err != nil {
		return 1, err
	}
	if hc.UnhealthyThreshold <= 0 {
		hc.UnhealthyThreshold = local.DefaultHealth().UnhealthyThreshold
	}
	return hc.UnhealthyThreshold, local.Probe(ctx, in.Addr, hc)
}

// GatewayRouter edits the routing table the gateway in Dir serves.
type GatewayRouter struct {
	Dir string
	// Header is the request header that pins a request to a release (for
	// testers and smoke tests); empty means X-Sluice-Release.
	Header string
}

// Route replaces env's routing in the table and has the gateway load it.
func (r GatewayRouter) Route(ctx context.Context, env, listen string, releases []route.Release, o release.RouteOptions) error {
	unlock, err := lockFile(filepath.Join(r.Dir, "routes.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	t, err := route.Load(r.Dir)
	if err != nil {
		return err
	}
	header := o.Header
	if header == "" {
		header = r.Header
	}
	if header == "" {
		header = gateway.ReleaseHeader
	}
	t.Generation = max(t.Generation+1, time.Now().UnixNano())
	t.Environments[env] = &route.Environment{Listen: listen, Releases: releases, Header: header, Sticky: o.Sticky, Edge: o.Edge}
	if err := route.Save(r.Dir, t); err != nil {
		return err
	}
	ls, err := gateway.ReloadListeners(ctx, r.Dir)
	if err != nil {
		return err
	}
	// The table is applied either way; a taken address is told apart so
	// the controller can pick another one for a new environment.
	if l, ok := ls[env]; ok && l.Addr == "" && strings.Contains(l.Error, "address already in use") {
		return fmt.Errorf("%w: %s is taken by another program: %s", release.ErrListenBusy, listen, l.Error)
	}
	return nil
}

// lockFile takes an exclusive lock on path, waiting for it.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// GatewayMeter measures releases from the gateway's counters.
type GatewayMeter struct{ p *analysis.Gateway }

// NewGatewayMeter reads the gateway serving dir.
func NewGatewayMeter(dir string) *GatewayMeter {
	return &GatewayMeter{p: analysis.NewGateway(func(ctx context.Context) (*route.Stats, error) {
		return gateway.FetchStats(ctx, dir)
	})}
}

// Begin starts a window.
func (m *GatewayMeter) Begin(ctx context.Context, env, id string) error {
	return m.p.Begin(ctx, analysis.Query{Env: env, Release: id})
}

// Measure measures since Begin, or since since when it is not zero.
func (m *GatewayMeter) Measure(ctx context.Context, env, id string, since time.Time) (analysis.Metrics, error) {
	return m.p.Measure(ctx, analysis.Query{Env: env, Release: id, Since: since})
}

// ErrGatewayDown means no gateway answers for the data folder.
var ErrGatewayDown = errors.New("the gateway is not running")

// GatewayUp reports whether a gateway answers for dir.
func GatewayUp(ctx context.Context, dir string) bool {
	addr, _, err := gateway.ReadAdmin(dir)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return false
	}
	res, err := healthClient.Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

var healthClient = &http.Client{Transport: &http.Transport{Proxy: nil}}

// EnsureGateway starts `self gateway --dir dir` in its own session (so it
// outlives this process: the data plane keeps serving when the control
// plane stops) unless a gateway already answers for dir, and waits until
// it does.
func EnsureGateway(ctx context.Context, dir, self string) (started bool, err error) {
	if GatewayUp(ctx, dir) {
		return false, nil
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	logf, err := os.OpenFile(filepath.Join(dir, "gateway.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return false, err
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return false, err
	}
	defer devnull.Close()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	p, err := os.StartProcess(self, []string{self, "gateway", "--dir", dir}, &os.ProcAttr{
		Dir: dir, Env: env, Files: []*os.File{devnull, logf, logf},
		Sys: &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return false, fmt.Errorf("start the gateway: %w", err)
	}
	exited := make(chan error, 1)
	go func() { _, err := p.Wait(); exited <- err }()
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-exited:
			return true, fmt.Errorf("%w: it exited at start; see %s", ErrGatewayDown, filepath.Join(dir, "gateway.log"))
		case <-deadline.C:
			return true, fmt.Errorf("%w: it did not answer within 15s; see %s", ErrGatewayDown, filepath.Join(dir, "gateway.log"))
		case <-tick.C:
			if GatewayUp(ctx, dir) {
				return true, nil
			}
		}
	}
}

// StopGateway stops the gateway serving dir (SIGTERM; it finishes the
// requests in flight), if one runs.
func StopGateway(ctx context.Context, dir string) (bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, gateway.AdminFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var info gateway.AdminInfo
	if err := json.Unmarshal(data, &info); err != nil || info.PID <= 0 {
		return false, fmt.Errorf("%s: no pid", filepath.Join(dir, gateway.AdminFile))
	}
	if !GatewayUp(ctx, dir) {
		return false, nil
	}
	p, err := os.FindProcess(info.PID)
	if err != nil {
		return false, err
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return false, nil
	}
	for range 200 {
		if !GatewayUp(ctx, dir) {
			return true, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true, fmt.Errorf("the gateway (pid %d) did not stop within 10s", info.PID)
}

// MaxOpenAPIDocument is the largest OpenAPI document EdgeConfig reads: the
// document travels in the gateway's routing table.
const MaxOpenAPIDocument = 8 << 20

// EdgeConfig turns an environment's edge protection (waf:, rate_limit:,
// geo:, auth:, openapi: and trusted_proxies:, already checked by the
// parser) into the gateway's edge configuration; nil when nothing is set.
// projectDir is the folder of sluice.yaml: the OpenAPI document is read
// from inside it, and a relative geo database path is resolved against it.
// The configuration is built once here, so that one the gateway would
// refuse (a database that does not open, a document that does not parse)
// is refused before anything is deployed.
func EdgeConfig(e *spec.Environment, projectDir string) (json.RawMessage, error) {
	if e == nil {
		return nil, nil
	}
	cfg := edge.Config{TrustedProxies: slices.Clone(e.TrustedProxies)}
	set := len(cfg.TrustedProxies) > 0
	if w := e.WAF; w != nil && layerOn(w.Mode) {
		cfg.WAF = wafConfig(w)
		set = true
	}
	if r := e.RateLimit; r != nil && layerOn(r.Mode) {
		cfg.RateLimit = edge.RateLimitConfig{Mode: edge.Mode(r.Mode), Limit: r.Limit, Window: edge.Duration(r.Window),
			IPv6PrefixLength: r.IPv6PrefixLength, MaxClients: r.MaxClients}
		for _, rr := range r.Routes {
			cfg.RateLimit.Routes = append(cfg.RateLimit.Routes, edge.RouteRateLimit{PathPrefix: rr.PathPrefix, Limit: rr.Limit, Window: edge.Duration(rr.Window)})
		}
		set = true
	}
	if g := e.Geo; g != nil && layerOn(g.Mode) {
		db, err := projectPath(projectDir, g.Database)
		if err != nil {
			return nil, fmt.Errorf("environments.%s.geo.database: %w", e.Name, err)
		}
		cfg.Geo = edge.GeoConfig{Mode: edge.Mode(g.Mode), Database: db, List: g.List, Countries: slices.Clone(g.Countries), Unknown: g.Unknown}
		set = true
	}
	if a := e.Auth; a != nil && layerOn(a.Mode) {
		cfg.APIAuth = apiAuthConfig(a)
		set = true
	}
	if o := e.OpenAPI; o != nil && layerOn(o.Mode) {
		doc, err := readProjectFile(projectDir, o.Spec)
		if err != nil {
			return nil, fmt.Errorf("environments.%s.openapi.spec: %w", e.Name, err)
		}
		cfg.OpenAPI = edge.OpenAPIConfig{Mode: edge.Mode(o.Mode), Document: string(doc), Source: o.Spec,
			MaxBodyBytes: o.MaxBodyBytes, PathPrefixes: slices.Clone(o.PathPrefixes)}
		set = true
	}
	if !set {
		return nil, nil
	}
	probe, err := edge.New(cfg, edge.Options{})
	if err != nil {
		return nil, fmt.Errorf("environments.%s: edge protection: %w", e.Name, err)
	}
	probe.Close()
	return json.Marshal(cfg)
}

// layerOn says whether an edge protection's mode evaluates requests.
func layerOn(mode string) bool { return mode != "" && mode != string(edge.ModeOff) }

func wafConfig(w *spec.WAF) edge.WAFConfig {
	c := edge.WAFConfig{
		Mode: edge.Mode(w.Mode), ParanoiaLevel: w.ParanoiaLevel,
		InboundAnomalyThreshold: w.AnomalyInbound, OutboundAnomalyThreshold: w.AnomalyOutbound,
		RemoveRules:        slices.Clone(w.RemoveRules),
		InspectRequestBody: w.InspectRequestBody, RequestBodyLimit: w.RequestBodyLimit, RequestBodyOversize: w.RequestBodyOversize,
		InspectResponseBody: w.InspectResponseBody, ResponseBodyLimit: w.ResponseBodyLimit,
		ResponseMIMETypes: slices.Clone(w.ResponseMIMETypes), AllowedMethods: slices.Clone(w.AllowedMethods),
	}
	for _, x := range w.PathExclusions {
		c.PathExclusions = append(c.PathExclusions, edge.PathExclusion{PathPrefix: x.PathPrefix, RuleIDs: slices.Clone(x.RuleIDs)})
	}
	return c
}

func apiAuthConfig(a *spec.Auth) edge.APIAuthConfig {
	c := edge.APIAuthConfig{Mode: edge.Mode(a.Mode), NonceCacheSize: a.NonceCacheSize}
	for _, r := range a.Routes {
		route := edge.APIRoute{PathPrefix: r.PathPrefix, Header: r.Header, RequireSignature: r.RequireSignature,
			Window: edge.Duration(r.Window), MaxBodyBytes: r.MaxBodyBytes}
		for _, k := range r.Keys {
			route.Keys = append(route.Keys, edge.APIKey{ID: k.ID, SHA256: k.SHA256})
		}
		c.Routes = append(c.Routes, route)
	}
	return c
}

// projectPath makes a path of sluice.yaml absolute: relative paths are
// relative to the project, not to wherever the gateway runs.
func projectPath(projectDir, p string) (string, error) {
	if p == "" || filepath.IsAbs(p) {
		return p, nil
	}
	return filepath.Abs(filepath.Join(projectDir, filepath.FromSlash(p)))
}

// readProjectFile reads rel from inside projectDir: through os.Root, so
// that neither ".." nor a symbolic link reads a file outside the project.
func readProjectFile(projectDir, rel string) ([]byte, error) {
	if projectDir == "" {
		projectDir = "."
	}
	root, err := os.OpenRoot(projectDir)
	if err != nil {
		return nil, fmt.Errorf("open the project folder: %w", err)
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s not found in %s (the path is relative to sluice.yaml)", rel, projectDir)
	}
	if err != nil {
		// os.Root's errors repeat the path: keep the reason only.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("open %s in %s: %w", rel, projectDir, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxOpenAPIDocument+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	if len(data) > MaxOpenAPIDocument {
		return nil, fmt.Errorf("%s is larger than %d MiB", rel, MaxOpenAPIDocument>>20)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s is not UTF-8 text", rel)
	}
	return data, nil
}
