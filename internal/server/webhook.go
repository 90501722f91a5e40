package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/webhook"
)

// hook verifies a provider's delivery and starts a run at its commit.
func (s *Server) hook(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	provider, name := r.PathValue("provider"), r.PathValue("project")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhook.MaxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the delivery is too large")
		return
	}
	addr := auth.LimiterKey(clientAddr(r))
	refuse := func(status int, code, why string) {
		s.limiter.Failure(addr, s.o.Now())
		s.audit(r.Context(), "webhook:"+provider, "webhook.refused", "project/"+name, map[string]string{"reason": why, "addr": addr,
			"delivery": deliveryHeader(r)})
		writeError(w, status, code, why)
	}
	if ok, retry := s.limiter.Allow(addr, s.o.Now()); !ok {
		w.Header().Set("Retry-After", auth.RetryAfterHeader(retry))
		writeError(w, http.StatusTooManyRequests, "too_many_failures", "too many refused deliveries from this address")
		return
	}
	proj, err := s.o.Store.Control().GetProject(r.Context(), name)
	if err != nil {
		refuse(http.StatusUnauthorized, "unknown_project", "no project "+name+" takes webhooks")
		return
	}
	secret, err := OpenSecret(s.o.SealKey, proj)
	if err != nil || secret == "" {
		refuse(http.StatusUnauthorized, "no_secret", "project "+name+" has no webhook secret")
		return
	}
	if err := webhook.Verify(provider, r, body, secret); err != nil {
		refuse(http.StatusUnauthorized, "bad_signature", err.Error())
		return
	}
	ev, err := webhook.Parse(provider, r.Header, body)
	if errors.Is(err, webhook.ErrIgnoredEvent) {
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "ignored", "reason": err.Error()})
		return
	}
	if err != nil {
		refuse(http.StatusBadRequest, "bad_delivery", err.Error())
		return
	}
	if s.replays.Seen(provider+"/"+ev.DeliveryID, s.o.Now()) ||
		errors.Is(s.o.Store.Control().RecordDelivery(r.Context(), provider, ev.DeliveryID, s.o.Now()), store.ErrConflict) {
		refuse(http.StatusConflict, "replayed", "delivery "+ev.DeliveryID+" was received before")
		return
	}
	s.limiter.Success(addr)
	if ev.Kind == webhook.KindPing || ev.Deleted || ev.Commit == "" {
		s.audit(r.Context(), "webhook:"+provider, "webhook.accepted", "project/"+name, map[string]string{"kind": ev.Kind, "delivery": ev.DeliveryID})
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "nothing to build"})
		return
	}
	if s.o.Runner == nil {
		writeError(w, http.StatusServiceUnavailable, "no_runner", "this server does not start runs")
		return
	}
	event := "push"
	if ev.Kind == webhook.KindPullRequest {
		event = "pull_request"
	}
	run, err := s.o.Runner.Start(r.Context(), RunRequest{Project: proj, Commit: ev.Commit, Ref: ev.Ref, Branch: ev.Branch, Event: event, Actor: ev.Actor})
	if err != nil {
		s.audit(r.Context(), "webhook:"+provider, "webhook.failed", "project/"+name, map[string]string{"delivery": ev.DeliveryID, "error": err.Error()})
		writeError(w, http.StatusUnprocessableEntity, "run", err.Error())
		return
	}
	s.audit(r.Context(), ev.Actor, "webhook.run", "run/"+run.ID, map[string]string{"provider": provider, "delivery": ev.DeliveryID,
		"commit": ev.Commit, "ref": ev.Ref, "project": name})
	writeJSON(w, http.StatusCreated, map[string]any{"run": run.ID, "number": run.Number, "commit": ev.Commit})
}

func deliveryHeader(r *http.Request) string {
	for _, h := range []string{"X-GitHub-Delivery", "X-Gitea-Delivery", "X-Gitlab-Event-UUID"} {
		if v := r.Header.Get(h); v != "" {
			return v
		}
	}
	return ""
}
