package release

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sluice-ci/sluice/internal/delivery/route"
	"github.com/sluice-ci/sluice/internal/store"
)

// fail records that rel never took traffic (it did not start, or its
// smoke tests failed) and clears the environment's candidate.
func (c *Controller) fail(ctx context.Context, rel *store.Release, cfg *Config, why string) error {
	c.stopRelease(ctx, rel.ID)
	if err := c.clearCandidate(ctx, rel); err != nil {
		return err
	}
	rel.Weight = 0
	if err := c.transition(ctx, rel, cfg, store.ReleaseFailed, why); err != nil {
		return err
	}
	return fmt.Errorf("release %s failed: %s", rel.Version, why)
}

// rollback moves all traffic back to the live release and stops the
// candidate (canary or green before the switch was final).
func (c *Controller) rollback(ctx context.Context, rel *store.Release, cfg *Config, why string) error {
	if err := c.transition(ctx, rel, cfg, store.ReleaseRollingBack, "rolling back: "+why); err != nil {
		return err
	}
	_, stable, stableIns, err := c.current(ctx, rel.Env)
	if err != nil {
		return err
	}
	if stable != nil && stable.ID != rel.ID {
		if err := c.publish(ctx, cfg, rel.Env, weighted{stable, route.RoleStable, 100, stableIns}); err != nil {
			return err
		}
	} else if err := c.publish(ctx, cfg, rel.Env); err != nil {
		return err
	}
	c.stopRelease(ctx, rel.ID)
	if err := c.clearCandidate(ctx, rel); err != nil {
		return err
	}
	return c.finishBad(ctx, rel, cfg, store.ReleaseRolledBack, why)
}

// abort is a rollback a person asked for.
func (c *Controller) abort(ctx context.Context, rel *store.Release, cfg *Config) error {
	_, stable, stableIns, err := c.current(ctx, rel.Env)
	if err != nil {
		return err
	}
	if stable != nil && stable.ID != rel.ID {
		if err := c.publish(ctx, cfg, rel.Env, weighted{stable, route.RoleStable, 100, stableIns}); err != nil {
			return err
		}
	}
	c.stopRelease(ctx, rel.ID)
	if err := c.clearCandidate(ctx, rel); err != nil {
		return err
	}
	return c.finishBad(ctx, rel, cfg, store.ReleaseAborted, "aborted by request")
}

// rollbackLive puts the previous release back (kept warm, or started
// again) after rel took all traffic and then broke its limits.
func (c *Controller) rollbackLive(ctx context.Context, rel *store.Release, cfg *Config, why string) error {
	if err := c.transition(ctx, rel, cfg, store.ReleaseRollingBack, "rolling back: "+why); err != nil {
		return err
	}
	es, err := c.envState(ctx, rel.Env)
	if err != nil {
		return err
	}
	if es.Previous == "" {
		// Nothing to go back to: take the release out of traffic anyway.
		if err := c.publish(ctx, cfg, rel.Env); err != nil {
			return err
		}
	} else {
		prev, err := c.o.Store.Releases().GetRelease(ctx, es.Previous)
		if err != nil {
			return err
		}
		ins, err := c.ensureRunning(ctx, prev)
		if err != nil {
			return fmt.Errorf("the previous release %s cannot be started again: %w", prev.Version, err)
		}
		if err := c.publish(ctx, cfg, rel.Env, weighted{prev, route.RoleStable, 100, ins}); err != nil {
			return err
		}
		es.Live, es.Previous = prev.ID, ""
		if err := c.o.Store.Releases().PutEnv(context.WithoutCancel(ctx), es, &store.AuditRecord{Time: c.o.Now(), Actor: c.o.Actor,
			Action: "env.rollback", Subject: "env/" + rel.Env, Data: map[string]string{"live": prev.ID, "version": prev.Version, "from": rel.ID, "reason": why}}); err != nil {
			return err
		}
		if prev.State != store.ReleaseLive {
			prev.Weight = 100
			_ = c.transition(ctx, prev, nil, store.ReleaseLive, "live again after the rollback of "+rel.Version)
		}
	}
	c.stopRelease(ctx, rel.ID)
	return c.finishBad(ctx, rel, cfg, store.ReleaseRolledBack, why)
}

// ensureRunning returns the running instances of rel, starting its
// replicas again from its stored artifact and configuration when none run.
func (c *Controller) ensureRunning(ctx context.Context, rel *store.Release) ([]*store.Instance, error) {
	ins, err := c.live(ctx, rel.ID)
	if err != nil || len(ins) > 0 {
		return ins, err
	}
	cfg, err := configOf(rel.Config)
	if err != nil {
		return nil, err
	}
	return c.startReplicas(ctx, rel, cfg, 0, cfg.Replicas)
}

// finishBad ends rel rolled back or aborted, and quarantines its digest in
// the environment.
func (c *Controller) finishBad(ctx context.Context, rel *store.Release, cfg *Config, state, why string) error {
	rel.Weight = 0
	if err := c.transition(ctx, rel, cfg, state, why); err != nil {
		return err
	}
	if rel.Digest != "" {
		if err := c.o.Store.Releases().PutQuarantine(context.WithoutCancel(ctx), &store.Quarantine{Env: rel.Env, Digest: rel.Digest,
			ReleaseID: rel.ID, Reason: state + ": " + why}); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: %s %s: %s", ErrRolledBack, rel.Version, state, why)
}

func (c *Controller) clearCandidate(ctx context.Context, rel *store.Release) error {
	es, err := c.envState(ctx, rel.Env)
	if err != nil {
		return err
	}
	if es.Candidate != rel.ID {
		return nil
	}
	es.Candidate = ""
	return c.o.Store.Releases().PutEnv(context.WithoutCancel(ctx), es, nil)
}

// settle brings an environment whose controller died back to a
// consistent state: a candidate still starting is failed; a canary whose
// replicas all run continues from its step (as does a paused one, which
// keeps waiting); anything else — replicas lost, a rolling update half
// done — is rolled back. The gateway served the last table meanwhile.
func (c *Controller) settle(ctx context.Context, es *store.EnvState) error {
	rel, err := c.o.Store.Releases().GetRelease(ctx, es.Candidate)
	if errors.Is(err, store.ErrNotFound) {
		es.Candidate = ""
		return c.o.Store.Releases().PutEnv(ctx, es, nil)
	}
	if err != nil {
		return err
	}
	cfg, err := configOf(rel.Config)
	if err != nil {
		return err
	}
	c.emit(rel, cfg, fmt.Sprintf("found release %s interrupted in state %s", rel.Version, rel.State))
	switch rel.State {
	case store.ReleasePending, store.ReleaseStarting, store.ReleaseVerifying:
		return c.fail(ctx, rel, cfg, "interrupted before it took traffic")
	case store.ReleaseProgressing, store.ReleasePaused:
		ins, err := c.live(ctx, rel.ID)
		if err != nil {
			return err
		}
		if cfg.Strategy == Canary && len(ins) == cfg.Replicas {
			c.emit(rel, cfg, fmt.Sprintf("resuming the canary at step %d (%d%%)", rel.Step+1, rel.Weight))
			return c.rollout(ctx, rel, cfg)
		}
		if cfg.Strategy == Rolling {
			_, old, _, err := c.current(ctx, rel.Env)
			if err != nil {
				return err
			}
			if old != nil {
				return c.restoreRolling(ctx, rel, cfg, old, c.stoppedOf(ctx, old.ID), "interrupted mid-update")
			}
		}
		return c.rollback(ctx, rel, cfg, "interrupted and its replicas are gone")
	case store.ReleaseRollingBack:
		return c.rollback(ctx, rel, cfg, "finishing an interrupted rollback")
	}
	return c.clearCandidate(ctx, rel)
}

func (c *Controller) stoppedOf(ctx context.Context, id string) []*store.Instance {
	ins, _ := c.o.Store.Releases().ListInstances(ctx, id)
	return slices.DeleteFunc(ins, func(in *store.Instance) bool { return in.State != InstanceStopped })
}

// Resume settles an environment whose controller died: it continues or
// rolls back the interrupted release, and finishes a monitor window that
// was open. It returns nil when there was nothing to do.
func (c *Controller) Resume(ctx context.Context, env string) error {
	unlock, err := c.lockEnv(env)
	if err != nil {
		return err
	}
	defer unlock()
	es, err := c.envState(ctx, env)
	if err != nil {
		return err
	}
	if es.Candidate != "" {
		return c.settle(ctx, es)
	}
	if es.Live == "" {
		return nil
	}
	rel, err := c.o.Store.Releases().GetRelease(ctx, es.Live)
	if err != nil {
		return err
	}
	if rel.State != store.ReleaseMonitoring {
		return nil
	}
	cfg, err := configOf(rel.Config)
	if err != nil {
		return err
	}
	if ins, err := c.live(ctx, rel.ID); err != nil || len(ins) == 0 {
		return c.rollbackLive(ctx, rel, cfg, "interrupted during the monitor window and its replicas are gone")
	}
	return c.monitor(ctx, rel, cfg)
}

// Request records a person's promote or abort for the environment's
// candidate (or, for abort, a release in its monitor window). The running
// controller acts on it within a tick; when none runs, the caller should
// call Resume.
func (c *Controller) Request(ctx context.Context, env, what string) (*store.Release, error) {
	es, err := c.envState(ctx, env)
	if err != nil {
		return nil, err
	}
	id := es.Candidate
	if id == "" && what == "abort" && es.Live != "" {
		if live, err := c.o.Store.Releases().GetRelease(ctx, es.Live); err == nil && live.State == store.ReleaseMonitoring {
			id = live.ID
		}
	}
	if id == "" {
		return nil, fmt.Errorf("no release of %s is being rolled out: nothing to %s", env, what)
	}
	rel, err := c.o.Store.Releases().GetRelease(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := c.o.Store.Releases().SetReleaseRequest(ctx, id, what, c.audit("release."+what+"_requested", rel, nil)); err != nil {
		return nil, err
	}
	return rel, nil
}

// Rollback puts the environment back on its previous release (kept warm:
// instantly) or on the release of version to, and quarantines the release
// it replaces.
func (c *Controller) Rollback(ctx context.Context, env, to string, override bool) (*store.Release, error) {
	unlock, err := c.lockEnv(env)
	if err != nil {
		return nil, fmt.Errorf("%w; use sluice abort --env %s to stop the rollout in progress", err, env)
	}
	defer unlock()
	es, err := c.envState(ctx, env)
	if err != nil {
		return nil, err
	}
	if es.Live == "" {
		return nil, fmt.Errorf("nothing is live in %s", env)
	}
	cur, err := c.o.Store.Releases().GetRelease(ctx, es.Live)
	if err != nil {
		return nil, err
	}
	cfg, err := configOf(cur.Config)
	if err != nil {
		return nil, err
	}
	targetID := es.Previous
	if to != "" {
		rels, err := c.o.Store.Releases().ListReleases(ctx, env, 0)
		if err != nil {
			return nil, err
		}
		targetID = ""
		for _, r := range rels {
			if (r.Version == to || r.ID == to) && r.ID != cur.ID {
				if r.State == store.ReleaseRolledBack || r.State == store.ReleaseAborted || r.State == store.ReleaseFailed {
					if !override {
						return nil, fmt.Errorf("%s (%s) was %s; pass --override to go back to it anyway", r.Version, r.ID, r.State)
					}
				}
				targetID = r.ID
				break
			}
		}
		if targetID == "" {
			return nil, fmt.Errorf("no other release of %s has version %s (see sluice history --env %s)", env, to, env)
		}
	}
	if targetID == "" {
		return nil, fmt.Errorf("%s has no previous release to roll back to; give --to VERSION", env)
	}
	es.Previous = targetID
	if err := c.o.Store.Releases().PutEnv(ctx, es, nil); err != nil {
		return nil, err
	}
	err = c.rollbackLive(ctx, cur, cfg, "rolled back by "+c.o.Actor)
	if errors.Is(err, ErrRolledBack) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return c.o.Store.Releases().GetRelease(ctx, targetID)
}

// Down stops everything of env: every replica of every release, and the
// environment's routing (its listener answers nothing). The releases that
// ran are marked superseded; the next deploy starts from scratch.
func (c *Controller) Down(ctx context.Context, env string) error {
	unlock, err := c.lockEnv(env)
	if err != nil {
		return err
	}
	defer unlock()
	es, err := c.envState(ctx, env)
	if err != nil {
		return err
	}
	rels, err := c.o.Store.Releases().ListReleases(ctx, env, 0)
	if err != nil {
		return err
	}
	if es.Listen != "" {
		if err := c.o.Router.Route(ctx, env, es.Listen, nil, RouteOptions{}); err != nil {
			c.o.Logger.Warn("clear routing", "env", env, "err", err)
		}
	}
	for _, r := range rels {
		c.stopRelease(ctx, r.ID)
		if !store.ReleaseFinal(r.State) {
			r.Weight = 0
			if err := c.transition(ctx, r, nil, store.ReleaseSuperseded, "stopped by sluice down"); err != nil {
				return err
			}
		}
	}
	es.Live, es.Previous, es.Candidate = "", "", ""
	return c.o.Store.Releases().PutEnv(ctx, es, &store.AuditRecord{Time: c.o.Now(), Actor: c.o.Actor, Action: "env.down",
		Subject: "env/" + env})
}
