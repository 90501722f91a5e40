package release

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
	"github.com/sluice-ci/sluice/internal/store"
)

// current returns the environment's state and its live release with the
// instances that still run (nil when nothing is live).
func (c *Controller) current(ctx context.Context, env string) (*store.EnvState, *store.Release, []*store.Instance, error) {
	es, err := c.envState(ctx, env)
	if err != nil {
		return nil, nil, nil, err
	}
	if es.Live == "" {
		return es, nil, nil, nil
	}
	live, err := c.o.Store.Releases().GetRelease(ctx, es.Live)
	if err != nil {
		return nil, nil, nil, err
	}
	ins, err := c.live(ctx, live.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	return es, live, ins, nil
}

// start brings up all of rel's replicas and runs the smoke tests against
// the first one's own address: nothing routes to it yet.
func (c *Controller) start(ctx context.Context, rel *store.Release, cfg *Config) ([]*store.Instance, error) {
	if err := c.transition(ctx, rel, cfg, store.ReleaseStarting, fmt.Sprintf("starting %d %s of %s", cfg.Replicas, plural(cfg.Replicas, "replica"), rel.Version)); err != nil {
		return nil, err
	}
	ins, err := c.startReplicas(ctx, rel, cfg, 0, cfg.Replicas)
	if err != nil {
		return nil, c.fail(ctx, rel, cfg, err.Error())
	}
	if len(cfg.Smoke) > 0 {
		if err := c.transition(ctx, rel, cfg, store.ReleaseVerifying, "smoke tests against "+ins[0].Addr); err != nil {
			return nil, err
		}
		if err := c.smoke(ctx, rel, cfg, ins[0].Addr); err != nil {
			c.stopRelease(ctx, rel.ID)
			return nil, c.fail(ctx, rel, cfg, err.Error())
		}
	}
	return ins, nil
}

// blueGreen starts green beside blue, smoke-tests it, then switches all
// traffic at once; blue stays warm for rollback.
func (c *Controller) blueGreen(ctx context.Context, rel *store.Release, cfg *Config) error {
	es, blue, blueIns, err := c.current(ctx, rel.Env)
	if err != nil {
		return err
	}
	green, err := c.start(ctx, rel, cfg)
	if err != nil {
		return err
	}
	rel.Weight = 100
	if err := c.publish(ctx, cfg, rel.Env, weighted{rel, route.RoleStable, 100, green},
		weighted{blue, route.RolePrevious, 0, blueIns}); err != nil {
		return c.rollback(ctx, rel, cfg, err.Error())
	}
	return c.switched(ctx, es, rel, cfg, "switched all traffic to "+rel.Version)
}

// canary moves traffic to the candidate in steps, judging it at each.
func (c *Controller) canary(ctx context.Context, rel *store.Release, cfg *Config) error {
	_, stable, stableIns, err := c.current(ctx, rel.Env)
	if err != nil {
		return err
	}
	var ins []*store.Instance
	if rel.State == store.ReleaseProgressing || rel.State == store.ReleasePaused {
		ins, err = c.live(ctx, rel.ID) // resumed: the instances run already
		if err != nil {
			return err
		}
	} else if ins, err = c.start(ctx, rel, cfg); err != nil {
		return err
	}
	if stable == nil {
		// Nothing live to compare with or fall back to: all traffic at once.
		rel.Weight = 100
		if err := c.publish(ctx, cfg, rel.Env, weighted{rel, route.RoleStable, 100, ins}); err != nil {
			return c.rollback(ctx, rel, cfg, err.Error())
		}
		es, _ := c.envState(ctx, rel.Env)
		return c.switched(ctx, es, rel, cfg, "first release: all traffic to "+rel.Version)
	}
	for i := rel.Step; i < len(cfg.Steps); i++ {
		w := cfg.Steps[i]
		if w >= 100 {
			break
		}
		rel.Step, rel.Weight = i, w
		if err := c.publish(ctx, cfg, rel.Env, weighted{stable, route.RoleStable, 100 - w, stableIns},
			weighted{rel, route.RoleCandidate, w, ins}); err != nil {
			return c.rollback(ctx, rel, cfg, err.Error())
		}
		if err := c.transition(ctx, rel, cfg, store.ReleaseProgressing, fmt.Sprintf("step %d of %d: %d%% of traffic to %s", i+1, len(cfg.Steps), w, rel.Version)); err != nil {
			return err
		}
		out, why, err := c.wait(ctx, rel, cfg.Interval, cfg.Analysis, false)
		if err != nil {
			return c.rollback(ctx, rel, cfg, err.Error())
		}
		switch out {
		case waitFailed:
			return c.rollback(ctx, rel, cfg, why)
		case waitAbort:
			return c.abort(ctx, rel, cfg)
		case waitPromote:
			i = len(cfg.Steps)
		case waitPause:
			if err := c.transition(ctx, rel, cfg, store.ReleasePaused, "analysis inconclusive ("+why+"); waiting for sluice promote or sluice abort"); err != nil {
				return err
			}
			out, why, err = c.wait(ctx, rel, -1, nil, false)
			if err != nil {
				return c.rollback(ctx, rel, cfg, err.Error())
			}
			switch out {
			case waitAbort:
				return c.abort(ctx, rel, cfg)
			case waitFailed:
				return c.rollback(ctx, rel, cfg, why)
			}
		}
		if err := c.clearRequest(ctx, rel); err != nil {
			return err
		}
	}
	rel.Step, rel.Weight = len(cfg.Steps)-1, 100
	if err := c.publish(ctx, cfg, rel.Env, weighted{rel, route.RoleStable, 100, ins},
		weighted{stable, route.RolePrevious, 0, stableIns}); err != nil {
		return c.rollback(ctx, rel, cfg, err.Error())
	}
	es, err := c.envState(ctx, rel.Env)
	if err != nil {
		return err
	}
	return c.switched(ctx, es, rel, cfg, "promoted: all traffic to "+rel.Version)
}

// rolling replaces the live release's replicas in batches, each new batch
// healthy before old replicas stop; a batch that fails restores the old.
func (c *Controller) rolling(ctx context.Context, rel *store.Release, cfg *Config) error {
	es, old, oldIns, err := c.current(ctx, rel.Env)
	if err != nil {
		return err
	}
	if old == nil || len(oldIns) == 0 {
		ins, err := c.start(ctx, rel, cfg)
		if err != nil {
			return err
		}
		rel.Weight = 100
		if err := c.publish(ctx, cfg, rel.Env, weighted{rel, route.RoleStable, 100, ins}); err != nil {
			return c.rollback(ctx, rel, cfg, err.Error())
		}
		return c.switched(ctx, es, rel, cfg, "all traffic to "+rel.Version)
	}
	n, b := cfg.Replicas, cfg.batch()
	var fresh []*store.Instance
	remaining := oldIns
	var stopped []*store.Instance
	for k := 0; k < n; k += b {
		count := min(b, n-k)
		rel.Step = k / b
		if err := c.transition(ctx, rel, cfg, store.ReleaseProgressing, fmt.Sprintf("batch %d: starting replicas %d-%d of %d", k/b+1, k+1, k+count, n)); err != nil {
			return err
		}
		batch, err := c.startReplicas(ctx, rel, cfg, k, count)
		if err == nil && k == 0 && len(cfg.Smoke) > 0 {
			if err = c.smoke(ctx, rel, cfg, batch[0].Addr); err != nil {
				for _, in := range batch {
					c.stopInstance(ctx, in)
				}
			}
		}
		if err != nil {
			return c.restoreRolling(ctx, rel, cfg, old, stopped, err.Error())
		}
		fresh = append(fresh, batch...)
		// Old replicas go as new ones arrive: the share follows the counts.
		drop := min(count, len(remaining))
		leaving := remaining[:drop]
		remaining = remaining[drop:]
		rel.Weight = 100 * len(fresh) / (len(fresh) + len(remaining))
		if len(remaining) == 0 {
			rel.Weight = 100
		}
		ws := []weighted{{rel, route.RoleCandidate, rel.Weight, fresh}}
		if len(remaining) > 0 {
			ws = append(ws, weighted{old, route.RoleStable, 100 - rel.Weight, remaining})
		}
		if err := c.publish(ctx, cfg, rel.Env, ws...); err != nil {
			return c.restoreRolling(ctx, rel, cfg, old, stopped, err.Error())
		}
		for _, in := range leaving {
			c.stopInstance(ctx, in)
			stopped = append(stopped, in)
		}
	}
	for _, in := range remaining {
		c.stopInstance(ctx, in)
	}
	if err := c.publish(ctx, cfg, rel.Env, weighted{rel, route.RoleStable, 100, fresh}); err != nil {
		return err
	}
	return c.switched(ctx, es, rel, cfg, "all replicas replaced by "+rel.Version)
}

// restoreRolling stops the new release's replicas and starts again the
// old replicas a failed rolling update had stopped, routing all traffic
// back to the old release.
func (c *Controller) restoreRolling(ctx context.Context, rel *store.Release, cfg *Config, old *store.Release, stopped []*store.Instance, why string) error {
	if err := c.transition(ctx, rel, cfg, store.ReleaseRollingBack, "restoring "+old.Version+": "+why); err != nil {
		return err
	}
	oldCfg, err := configOf(old.Config)
	if err != nil {
		return err
	}
	for _, in := range stopped {
		fresh, err := c.startReplicas(ctx, old, oldCfg, in.Replica, 1)
		if err != nil {
			c.o.Logger.Error("restore replica", "release", old.ID, "replica", in.Replica, "err", err)
			continue
		}
		_ = fresh
	}
	ins, err := c.live(ctx, old.ID)
	if err != nil {
		return err
	}
	if err := c.publish(ctx, cfg, rel.Env, weighted{old, route.RoleStable, 100, ins}); err != nil {
		return err
	}
	c.stopRelease(ctx, rel.ID)
	if err := c.clearCandidate(ctx, rel); err != nil {
		return err
	}
	return c.finishBad(ctx, rel, cfg, store.ReleaseRolledBack, why)
}

// switched records that rel now takes all traffic: the old live release
// becomes the previous one (kept warm), the one before it is stopped.
func (c *Controller) switched(ctx context.Context, es *store.EnvState, rel *store.Release, cfg *Config, msg string) error {
	rs := c.o.Store.Releases()
	prevPrev := es.Previous
	if es.Live != "" && es.Live != rel.ID {
		es.Previous = es.Live
	}
	es.Live, es.Candidate, es.Listen = rel.ID, "", cfg.Listen
	rel.Weight = 100
	if err := rs.PutEnv(context.WithoutCancel(ctx), es, &store.AuditRecord{Time: c.o.Now(), Actor: c.o.Actor, Action: "env.switch",
		Subject: "env/" + rel.Env, Data: map[string]string{"live": rel.ID, "version": rel.Version, "previous": es.Previous}}); err != nil {
		return err
	}
	if prevPrev != "" && prevPrev != es.Previous && prevPrev != rel.ID {
		c.stopRelease(ctx, prevPrev)
		c.supersede(ctx, prevPrev, "replaced; stopped")
	}
	if es.Previous != "" && es.Previous != rel.ID {
		c.supersede(ctx, es.Previous, "replaced by "+rel.Version+"; kept for rollback")
	}
	state := store.ReleaseLive
	if cfg.MonitorFor > 0 {
		state = store.ReleaseMonitoring
		msg += fmt.Sprintf("; monitoring for %s", cfg.MonitorFor)
	}
	return c.transition(ctx, rel, cfg, state, msg)
}

// monitor watches the new live release for the monitor window and rolls
// back to the previous release on a breach or a crash.
func (c *Controller) monitor(ctx context.Context, rel *store.Release, cfg *Config) error {
	if rel.State == store.ReleaseMonitoring {
		left := cfg.MonitorFor - c.o.Now().Sub(rel.UpdatedAt)
		if left < 0 {
			left = 0
		}
		out, why, err := c.wait(ctx, rel, left, cfg.RollbackWhen, true)
		if err != nil {
			return err
		}
		switch out {
		case waitFailed:
			return c.rollbackLive(ctx, rel, cfg, why)
		case waitAbort:
			return c.rollbackLive(ctx, rel, cfg, "aborted by request")
		}
		if err := c.transition(ctx, rel, cfg, store.ReleaseLive, "monitor window passed; "+rel.Version+" is live"); err != nil {
			return err
		}
	}
	c.scaleDown(ctx, rel, cfg)
	return nil
}

// scaleDown stops the previous release once blue-green's
// scale_down_delay has passed since the switch (it stays warm until then).
func (c *Controller) scaleDown(ctx context.Context, rel *store.Release, cfg *Config) {
	if cfg.Strategy != BlueGreen || cfg.ScaleDownDelay <= 0 {
		return
	}
	es, err := c.envState(ctx, rel.Env)
	if err != nil || es.Previous == "" {
		return
	}
	left := cfg.ScaleDownDelay - c.o.Now().Sub(rel.UpdatedAt)
	if left > 0 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(left):
		}
	}
	c.stopRelease(ctx, es.Previous)
	c.emit(rel, cfg, "scale_down_delay passed: stopped the previous release")
}

func (c *Controller) supersede(ctx context.Context, id, why string) {
	r, err := c.o.Store.Releases().GetRelease(ctx, id)
	if err != nil || (store.ReleaseFinal(r.State) && r.Message == why) {
		return
	}
	r.Weight = 0
	if err := c.transition(ctx, r, nil, store.ReleaseSuperseded, why); err != nil {
		c.o.Logger.Warn("supersede", "release", id, "err", err)
	}
}

func (c *Controller) clearRequest(ctx context.Context, rel *store.Release) error {
	cur, err := c.o.Store.Releases().GetRelease(ctx, rel.ID)
	if err != nil || cur.Request == "" {
		return err
	}
	rel.Request = ""
	return c.o.Store.Releases().SetReleaseRequest(ctx, rel.ID, "", nil)
}

func plural(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}
