package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/delivery/release"
	"github.com/sluice-ci/sluice/internal/store"
)

// Delivery acts on the releases of environments for the API. The
// controller behind it audits every change it makes, as the actor given.
type Delivery interface {
	// Request asks the rollout in progress in env to "promote" or
	// "abort", as actor, and returns the release asked. The controller
	// rolling it out acts on the request; when none runs, the rollout is
	// settled in the background.
	Request(ctx context.Context, env, action, actor string) (*store.Release, error)
	// Rollback puts env back on its previous release (or on the release
	// of version to), as actor, and returns the release now live. An
	// error wrapping release.ErrBusy means a rollout is in progress.
	Rollback(ctx context.Context, env, to string, override bool, actor string) (*store.Release, error)
}

// ReleaseDelivery is the Delivery of the release controllers of this
// machine (the local target and the gateway).
type ReleaseDelivery struct {
	// Controller returns a controller acting as actor.
	Controller func(actor string) *release.Controller
	Logger     *slog.Logger
}

var _ Delivery = ReleaseDelivery{}

// Request records the request for the controller rolling env out. When no
// controller runs (the process deploying stopped), it settles the rollout
// itself in the background, as sluice promote and sluice abort do: a
// promoted canary goes on to all traffic, an aborted one is taken out.
func (d ReleaseDelivery) Request(ctx context.Context, env, action, actor string) (*store.Release, error) {
	ctl := d.Controller(actor)
	rel, err := ctl.Request(ctx, env, action)
	if err != nil {
		return nil, err
	}
	if !ctl.Busy(env) {
		go func() {
			err := ctl.Resume(context.WithoutCancel(ctx), env)
			if err != nil && !(action == "abort" && errors.Is(err, release.ErrRolledBack)) && d.Logger != nil {
				d.Logger.Error("settle the rollout after a request", "env", env, "release", rel.ID, "request", action, "err", err)
			}
		}()
	}
	return rel, nil
}

// Rollback rolls env back; it goes on when the caller goes away, so an
// environment is never left half rolled back by a closed connection.
func (d ReleaseDelivery) Rollback(ctx context.Context, env, to string, override bool, actor string) (*store.Release, error) {
	return d.Controller(actor).Rollback(context.WithoutCancel(ctx), env, to, override)
}

// envState reads env's state; it answers 404 itself when nothing was ever
// deployed there, and nil then.
func (s *Server) envState(w http.ResponseWriter, r *http.Request, env string) *store.EnvState {
	es, err := s.o.Store.Releases().GetEnv(r.Context(), env)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "environment", "nothing was deployed to "+env)
		return nil
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return nil
	}
	return es
}

// inProgress returns the release a promote or abort of env would act on,
// as the controller decides: the candidate being rolled out, or for an
// abort also a live release still in its monitor window; nil when there
// is none.
func (s *Server) inProgress(ctx context.Context, es *store.EnvState, action string) (*store.Release, error) {
	if es.Candidate != "" {
		return s.o.Store.Releases().GetRelease(ctx, es.Candidate)
	}
	if action == "abort" && es.Live != "" {
		live, err := s.o.Store.Releases().GetRelease(ctx, es.Live)
		if err != nil || live.State != store.ReleaseMonitoring {
			return nil, err
		}
		return live, nil
	}
	return nil, nil
}

// releaseRequest answers POST /environments/{env}/promote and /abort: it
// records the request and answers 202; the rollout's controller acts on
// it within a tick (GET /environments/{env} shows the outcome).
func (s *Server) releaseRequest(action string) func(http.ResponseWriter, *http.Request, *auth.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
		env := r.PathValue("env")
		if s.o.Delivery == nil {
			writeError(w, http.StatusServiceUnavailable, "no_delivery", "this server does not act on releases")
			return
		}
		es := s.envState(w, r, env)
		if es == nil {
			return
		}
		cur, err := s.inProgress(r.Context(), es, action)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "store", err.Error())
			return
		}
		if cur == nil {
			writeError(w, http.StatusConflict, "nothing_in_progress", fmt.Sprintf("no release of %s is being rolled out: nothing to %s", env, action))
			return
		}
		rel, err := s.o.Delivery.Request(r.Context(), env, action, p.Name)
		if err != nil {
			// The rollout may have ended between the check and the request.
			if es, serr := s.o.Store.Releases().GetEnv(r.Context(), env); serr == nil {
				if cur, serr := s.inProgress(r.Context(), es, action); serr == nil && cur == nil {
					writeError(w, http.StatusConflict, "nothing_in_progress", err.Error())
					return
				}
			}
			writeError(w, http.StatusInternalServerError, "request", err.Error())
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"env": env, "release": rel.ID, "version": rel.Version, "request": action,
			"by": p.Name, "note": "the rollout's controller acts on the request within a second; GET /api/v1/environments/" + env + " shows the outcome"})
	}
}

// rollback answers POST /environments/{env}/rollback (body optional:
// {"to": VERSION, "override": bool}): it returns once the environment
// serves the release it went back to.
func (s *Server) rollback(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var body struct {
		To       string `json:"to"`
		Override bool   `json:"override"`
	}
	if !decodeOptional(w, r, &body) {
		return
	}
	env := r.PathValue("env")
	if s.o.Delivery == nil {
		writeError(w, http.StatusServiceUnavailable, "no_delivery", "this server does not act on releases")
		return
	}
	es := s.envState(w, r, env)
	if es == nil {
		return
	}
	switch {
	case es.Candidate != "":
		writeError(w, http.StatusConflict, "rollout_in_progress", fmt.Sprintf("a rollout is in progress in %s: abort it instead (POST /api/v1/environments/%s/abort)", env, env))
		return
	case es.Live == "":
		writeError(w, http.StatusConflict, "nothing_live", "nothing is live in "+env+": nothing to roll back")
		return
	case es.Previous == "" && body.To == "":
		writeError(w, http.StatusConflict, "no_previous", env+" has no previous release to roll back to; give \"to\": a version")
		return
	}
	rel, err := s.o.Delivery.Rollback(r.Context(), env, body.To, body.Override, p.Name)
	switch {
	case errors.Is(err, release.ErrBusy):
		writeError(w, http.StatusConflict, "rollout_in_progress", fmt.Sprintf("a rollout is in progress in %s: abort it instead (POST /api/v1/environments/%s/abort)", env, env))
	case err != nil:
		writeError(w, http.StatusUnprocessableEntity, "rollback", err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]string{"env": env, "live": rel.ID, "version": rel.Version, "by": p.Name})
	}
}
