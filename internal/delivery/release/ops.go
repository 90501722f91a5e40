package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/analysis"
	"github.com/sluice-ci/sluice/internal/delivery/route"
	"github.com/sluice-ci/sluice/internal/store"
)

// Instance states.
const (
	InstanceStarting = "starting"
	InstanceHealthy  = "healthy"
	InstanceStopped  = "stopped"
	InstanceCrashed  = "crashed"
)

// startReplicas starts replicas from..from+n-1 of rel, each healthy
// before the next; on a failure the ones started here are stopped again.
func (c *Controller) startReplicas(ctx context.Context, rel *store.Release, cfg *Config, from, n int) ([]*store.Instance, error) {
	var started []*store.Instance
	for i := from; i < from+n; i++ {
		in, err := c.o.Target.Start(ctx, rel, cfg, i)
		if in != nil {
			if perr := c.o.Store.Releases().PutInstance(context.WithoutCancel(ctx), in); perr != nil && err == nil {
				err = perr
			}
		}
		if err != nil {
			for _, s := range started {
				c.stopInstance(ctx, s)
			}
			if in != nil {
				c.stopInstance(ctx, in)
			}
			return nil, fmt.Errorf("replica %d of %s did not become healthy: %w", i+1, rel.Version, err)
		}
		started = append(started, in)
	}
	return started, nil
}

// stopInstance stops in and records it stopped.
func (c *Controller) stopInstance(ctx context.Context, in *store.Instance) {
	if in.State == InstanceStopped {
		return
	}
	if err := c.o.Target.Stop(context.WithoutCancel(ctx), in, c.o.Grace); err != nil {
		c.o.Logger.Warn("stop instance", "release", in.ReleaseID, "replica", in.Replica, "err", err)
	}
	in.State = InstanceStopped
	if err := c.o.Store.Releases().PutInstance(context.WithoutCancel(ctx), in); err != nil {
		c.o.Logger.Warn("record stopped instance", "release", in.ReleaseID, "err", err)
	}
}

// stopRelease stops every instance of the release.
func (c *Controller) stopRelease(ctx context.Context, id string) {
	if id == "" {
		return
	}
	ins, err := c.o.Store.Releases().ListInstances(context.WithoutCancel(ctx), id)
	if err != nil {
		c.o.Logger.Warn("list instances", "release", id, "err", err)
		return
	}
	for _, in := range ins {
		c.stopInstance(ctx, in)
	}
}

// live returns the instances of release id that are recorded running and
// whose process is alive.
func (c *Controller) live(ctx context.Context, id string) ([]*store.Instance, error) {
	if id == "" {
		return nil, nil
	}
	ins, err := c.o.Store.Releases().ListInstances(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []*store.Instance
	for _, in := range ins {
		if in.State != InstanceStopped && in.State != InstanceCrashed && c.o.Target.Alive(in) {
			out = append(out, in)
		}
	}
	return out, nil
}

func addrs(ins []*store.Instance) []string {
	out := make([]string, 0, len(ins))
	for _, in := range ins {
		out = append(out, in.Addr)
	}
	return out
}

// weighted is one release's share for publish.
type weighted struct {
	rel    *store.Release
	role   string
	weight int
	ins    []*store.Instance
}

// publish routes the environment to the given releases, with the routing
// options of cfg.
func (c *Controller) publish(ctx context.Context, cfg *Config, env string, ws ...weighted) error {
	listen := cfg.Listen
	var rs []route.Release
	for _, w := range ws {
		if w.rel == nil {
			continue
		}
		rs = append(rs, route.Release{ID: w.rel.ID, Version: w.rel.Version, Role: w.role, Weight: w.weight, Backends: addrs(w.ins)})
	}
	ro := RouteOptions{Sticky: cfg.Sticky, Header: cfg.Header, Edge: cfg.Edge}
	err := c.o.Router.Route(context.WithoutCancel(ctx), env, listen, rs, ro)
	for try := 0; errors.Is(err, ErrListenBusy) && cfg.pickListen && try < 5; try++ {
		if listen, err = freeAddr(); err != nil {
			break
		}
		cfg.Listen = listen
		err = c.o.Router.Route(context.WithoutCancel(ctx), env, listen, rs, ro)
	}
	switch {
	case errors.Is(err, ErrListenBusy):
		// The gateway keeps trying to bind it and reports the environment
		// degraded ('sluice status'); the routes themselves are in place.
		c.o.Logger.Warn("the gateway cannot serve the environment yet", "env", env, "err", err)
		return nil
	case err != nil:
		return fmt.Errorf("route %s: %w", env, err)
	}
	return nil
}

// smoke runs the smoke steps against addr; the first failure is returned
// with the end of its output.
func (c *Controller) smoke(ctx context.Context, rel *store.Release, cfg *Config, addr string) error {
	for _, s := range cfg.Smoke {
		timeout := s.Timeout
		if timeout <= 0 {
			timeout = 2 * time.Minute
		}
		sctx, cancel := context.WithTimeout(ctx, timeout)
		cmd := exec.CommandContext(sctx, "bash", "-eo", "pipefail", "-c", s.Run)
		cmd.Dir = cfg.Workdir
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "URL=http://" + addr,
			"SLUICE_ENVIRONMENT=" + rel.Env, "SLUICE_RELEASE=" + rel.ID, "VERSION=" + rel.Version}
		for k, v := range s.Env {
			env = append(env, k+"="+v)
		}
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.WaitDelay = 5 * time.Second
		err := cmd.Run()
		cancel()
		if err != nil {
			return fmt.Errorf("smoke test %q against %s failed (%v): %s", s.Name, addr, err, lastLines(out.String(), 8))
		}
		c.emit(rel, cfg, fmt.Sprintf("smoke test %q passed against %s", s.Name, addr))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// freeAddr returns a free loopback address for an environment listener.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// outcome of a wait.
type outcome int

const (
	waitDone    outcome = iota // the time passed with nothing wrong
	waitFailed                 // analysis failed or an instance crashed
	waitPromote                // a person asked to promote
	waitAbort                  // a person asked to abort
	waitPause                  // analysis inconclusive: needs a person
)

// wait watches rel for d (forever when d < 0): every tick it reads
// requests made from other processes, checks the release's instances are
// alive and, with conditions, judges the metrics since the wait began
// (failing at once when a condition breaks with enough data). At the end
// an inconclusive judgement gives waitPause.
func (c *Controller) wait(ctx context.Context, rel *store.Release, d time.Duration, conds map[string]string, rollback bool) (outcome, string, error) {
	j, err := newJudge(conds, rollback)
	if err != nil {
		return waitFailed, "", err
	}
	if c.o.Meter != nil && j.active() && j.prom == nil {
		if err := c.o.Meter.Begin(ctx, rel.Env, rel.ID); err != nil {
			c.o.Logger.Warn("begin measurement", "release", rel.ID, "err", err)
		}
	}
	start := c.o.Now()
	failing := map[int]int{} // failed health probes in a row, by replica
	cfg, _ := configOf(rel.Config)
	t := time.NewTicker(c.o.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return waitFailed, "", context.Cause(ctx)
		case <-t.C:
		}
		cur, err := c.o.Store.Releases().GetRelease(ctx, rel.ID)
		if err == nil {
			switch cur.Request {
			case "promote":
				return waitPromote, "promoted by request", nil
			case "abort":
				return waitAbort, "aborted by request", nil
			}
		}
		ins, err := c.o.Store.Releases().ListInstances(ctx, rel.ID)
		if err == nil {
			for _, in := range ins {
				if in.State != InstanceHealthy {
					continue
				}
				if !c.o.Target.Alive(in) {
					in.State = InstanceCrashed
					_ = c.o.Store.Releases().PutInstance(context.WithoutCancel(ctx), in)
					return waitFailed, fmt.Sprintf("replica %d of %s (%s) exited", in.Replica+1, rel.Version, in.Addr), nil
				}
				if cfg != nil {
					limit, perr := c.o.Target.Probe(ctx, in, cfg)
					if perr == nil {
						failing[in.Replica] = 0
						continue
					}
					if failing[in.Replica]++; failing[in.Replica] >= limit {
						return waitFailed, fmt.Sprintf("replica %d of %s (%s) failed %d health checks in a row: %v",
							in.Replica+1, rel.Version, in.Addr, failing[in.Replica], perr), nil
					}
				}
			}
		}
		done := d >= 0 && c.o.Now().Sub(start) >= d
		if j.active() {
			var since time.Time
			if rollback {
				// The monitor judges a sliding window, so an old calm
				// stretch does not dilute a new breach.
				since = c.o.Now().Add(-monitorWindow)
			}
			out, why := c.judgeTick(ctx, j, rel, start, since, done, rollback)
			if out != waitDone {
				return out, why, nil
			}
		}
		if done {
			return waitDone, "", nil
		}
	}
}

// monitorWindow is the sliding window the monitor judges.
const monitorWindow = 30 * time.Second

// judgeTick measures and judges once: the metrics from Prometheus when the
// conditions name one, else from the Meter (the gateway); then the
// webhook's verdict when there is one. waitDone means "carry on".
func (c *Controller) judgeTick(ctx context.Context, j *judge, rel *store.Release, start, since time.Time, done, rollback bool) (outcome, string) {
	q := analysis.Query{Env: rel.Env, Release: rel.ID, Version: rel.Version, Since: since, Until: c.o.Now()}
	if q.Since.IsZero() {
		q.Since = start
	}
	var (
		m   analysis.Metrics
		err error
	)
	switch {
	case j.prom != nil:
		m, err = j.prom.Measure(ctx, q)
	case c.o.Meter != nil:
		m, err = c.o.Meter.Measure(ctx, rel.Env, rel.ID, since)
	default:
		return waitDone, ""
	}
	if err != nil {
		j.errors++
		if j.errors >= 4 {
			return waitFailed, fmt.Sprintf("analysis failed %d times in a row: %v", j.errors, err)
		}
		return waitDone, ""
	}
	j.errors = 0
	verdict, why := j.judge(m)
	switch {
	case verdict == verdictFail:
		return waitFailed, why
	case done && verdict == verdictNoData && !rollback && len(j.conds) > 0:
		return waitPause, why
	}
	if j.hook != nil && (done || rollback) {
		r := j.hook.Check(ctx, q)
		switch r.Outcome {
		case analysis.Failed:
			return waitFailed, "webhook " + j.src.webhook + ": " + strings.Join(r.Reasons, "; ")
		case analysis.Error:
			if j.errors++; j.errors >= 4 {
				return waitFailed, "webhook " + j.src.webhook + " failed 4 times in a row: " + strings.Join(r.Reasons, "; ")
			}
		}
	}
	return waitDone, ""
}
