package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/version"
	"github.com/sluice-ci/sluice/internal/webhook"
)

// route is one endpoint: the OpenAPI document is generated from this
// table, so it cannot drift from what is served.
type route struct {
	Method, Path, Summary string
	// Action is what the caller's key must allow ("" with Public or
	// Webhook only).
	Action auth.Action
	// Public routes need no key (health checks); Webhook routes are
	// authenticated by the provider's signature; Filtered routes list only
	// the items the key may see (its Action is checked per item).
	Public, Webhook, Filtered bool
	Handle                    func(w http.ResponseWriter, r *http.Request, p *auth.Principal)
}

func (s *Server) table() []route {
	return []route{
		{Method: "GET", Path: "/healthz", Summary: "Liveness", Public: true, Handle: s.healthz},
		{Method: "GET", Path: "/readyz", Summary: "Readiness: the store answers", Public: true, Handle: s.readyz},
		{Method: "GET", Path: "/api/openapi.json", Summary: "This API's OpenAPI 3 document", Action: auth.ReadRuns, Handle: s.openapi},
		{Method: "GET", Path: "/api/v1/runs", Summary: "List runs, newest first (cursor pagination), of the projects the key may read", Action: auth.ReadRuns, Filtered: true, Handle: s.listRuns},
		{Method: "POST", Path: "/api/v1/projects/{project}/runs", Summary: "Start a run of a project at a commit", Action: auth.TriggerRun, Handle: s.triggerRun},
		{Method: "GET", Path: "/api/v1/runs/{ref}", Summary: "A run with its jobs", Action: auth.ReadRuns, Handle: s.getRun},
		{Method: "GET", Path: "/api/v1/runs/{ref}/logs", Summary: "A run's log lines (after a sequence)", Action: auth.ReadRuns, Handle: s.runLogs},
		{Method: "GET", Path: "/api/v1/runs/{ref}/logs/stream", Summary: "A run's log lines live, as server-sent events, until it ends", Action: auth.ReadRuns, Handle: s.streamLogs},
		{Method: "GET", Path: "/api/v1/runs/{ref}/decisions", Summary: "A run's gate decisions", Action: auth.ReadReleases, Handle: s.runDecisions},
		{Method: "GET", Path: "/api/v1/runs/{ref}/findings", Summary: "A run's findings (?severity=, ?category=) and scanner health", Action: auth.ReadFindings, Handle: s.runFindings},
		{Method: "GET", Path: "/api/v1/environments/{env}/releases", Summary: "An environment's releases, newest first", Action: auth.ReadReleases, Handle: s.listReleases},
		{Method: "GET", Path: "/api/v1/approvals", Summary: "Releases waiting for approval", Action: auth.ReadReleases, Handle: s.listApprovals},
		{Method: "POST", Path: "/api/v1/runs/{ref}/approvals/{env}", Summary: "Approve or reject a run's release to an environment", Action: auth.Approve, Handle: s.decide},
		{Method: "GET", Path: "/api/v1/environments/{env}", Summary: "An environment's live, previous and candidate releases", Action: auth.ReadReleases, Handle: s.environment},
		{Method: "GET", Path: "/metrics", Summary: "Prometheus metrics: runs, durations, queue, gate decisions, deployments, rollbacks, DORA", Action: auth.ReadRuns, Handle: s.metrics},
		{Method: "GET", Path: "/api/v1/environments/{env}/dora", Summary: "DORA figures of an environment (?days=30)", Action: auth.ReadReleases, Handle: s.dora},
		{Method: "GET", Path: "/api/v1/audit", Summary: "Audit records after a sequence number", Action: auth.ReadAudit, Handle: s.listAudit},
		{Method: "GET", Path: "/api/v1/audit/verify", Summary: "Verify the audit trail's hash chain", Action: auth.ReadAudit, Handle: s.verifyAudit},
		{Method: "GET", Path: "/api/v1/keys", Summary: "List API keys (never their secrets)", Action: auth.ManageKeys, Handle: s.listKeys},
		{Method: "POST", Path: "/api/v1/keys", Summary: "Create an API key (shown once)", Action: auth.ManageKeys, Handle: s.createKey},
		{Method: "DELETE", Path: "/api/v1/keys/{id}", Summary: "Revoke an API key", Action: auth.ManageKeys, Handle: s.revokeKey},
		{Method: "GET", Path: "/api/v1/projects", Summary: "List projects", Action: auth.ReadRuns, Handle: s.listProjects},
		{Method: "PUT", Path: "/api/v1/projects/{project}", Summary: "Create or change a project", Action: auth.ManageProjects, Handle: s.putProject},
		{Method: "POST", Path: "/api/v1/alerts/alertmanager", Summary: "Alertmanager webhook receiver: firing alerts labelled sluice_action=rollback roll their sluice_env back (the key needs releases:rollback for each)", Handle: s.alertmanager},
		{Method: "POST", Path: "/hooks/{provider}/{project}", Summary: "Webhook of GitHub, Gitea or GitLab (signature-verified)", Webhook: true, Handle: s.hook},
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ *auth.Principal) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": version.Get().Version})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.o.Store.Runs().ListRuns(ctx, store.RunFilter{Limit: 1}); err != nil {
		writeError(w, http.StatusServiceUnavailable, "store_unavailable", "the store does not answer")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ *auth.Principal) {
	writeJSON(w, http.StatusOK, s.OpenAPI())
}

// runJSON is a run as the API shows it.
type runJSON struct {
	ID       string     `json:"id"`
	Number   int64      `json:"number"`
	Pipeline string     `json:"pipeline"`
	Status   string     `json:"status"`
	Event    string     `json:"event,omitempty"`
	Branch   string     `json:"branch,omitempty"`
	Commit   string     `json:"commit,omitempty"`
	Actor    string     `json:"actor,omitempty"`
	Project  string     `json:"project,omitempty"`
	Error    string     `json:"error,omitempty"`
	Created  time.Time  `json:"created_at"`
	Started  *time.Time `json:"started_at,omitempty"`
	Finished *time.Time `json:"finished_at,omitempty"`
	Jobs     []jobJSON  `json:"jobs,omitempty"`
}

type jobJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toRunJSON(r *store.Run) runJSON {
	return runJSON{ID: r.ID, Number: r.Number, Pipeline: r.Pipeline, Status: string(r.Status), Event: r.Event, Branch: r.Branch,
		Commit: r.Commit, Actor: r.Actor, Project: r.Project, Error: r.Error, Created: r.CreatedAt, Started: timePtr(r.StartedAt), Finished: timePtr(r.FinishedAt)}
}

// page is a list with the cursor of the next page ("" at the end).
type page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func limitOf(r *http.Request, def, most int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, fmt.Errorf("limit %q: want 1..%d", v, most)
	}
	return n, nil
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	limit, err := limitOf(r, 50, 500)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	before := int64(0)
	if c := r.URL.Query().Get("cursor"); c != "" {
		if before, err = strconv.ParseInt(c, 10, 64); err != nil || before < 1 {
			writeError(w, http.StatusBadRequest, "bad_query", "cursor: not one of this API's cursors")
			return
		}
	}
	// Runs are numbered densely, so the cursor is the number to go below.
	runs, err := s.o.Store.Runs().ListRuns(r.Context(), store.RunFilter{})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	var out page[runJSON]
	for _, run := range runs {
		if before > 0 && run.Number >= before || !p.Can(auth.ReadRuns, run.Project, "") {
			continue
		}
		if len(out.Items) == limit {
			out.Next = strconv.FormatInt(out.Items[len(out.Items)-1].Number, 10)
			break
		}
		out.Items = append(out.Items, toRunJSON(run))
	}
	if out.Items == nil {
		out.Items = []runJSON{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) run(w http.ResponseWriter, r *http.Request) *store.Run {
	run, err := s.o.Store.Runs().GetRun(r.Context(), r.PathValue("ref"))
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAmbiguous) {
			status = http.StatusNotFound
		}
		writeError(w, status, "run", err.Error())
		return nil
	}
	return run
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	run := s.run(w, r)
	if run == nil {
		return
	}
	out := toRunJSON(run)
	jobs, err := s.o.Store.Jobs().ListJobs(r.Context(), run.ID)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, jobJSON{ID: j.ID, Status: string(j.Status), Reason: j.Reason})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) runLogs(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	run := s.run(w, r)
	if run == nil {
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	lines, err := s.o.Store.Logs().ReadLogs(r.Context(), store.LogQuery{RunID: run.ID, JobID: r.URL.Query().Get("job"), AfterSeq: after, Limit: 5000})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	type line struct {
		Job    string    `json:"job"`
		Seq    int64     `json:"seq"`
		Time   time.Time `json:"time"`
		Stream string    `json:"stream"`
		Text   string    `json:"text"`
	}
	out := []line{}
	for _, l := range lines {
		out = append(out, line{l.JobID, l.Seq, l.Time, string(l.Stream), l.Text})
	}
	writeJSON(w, http.StatusOK, map[string]any{"lines": out})
}

func (s *Server) runDecisions(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	run := s.run(w, r)
	if run == nil {
		return
	}
	ds, err := s.o.Store.Decisions().ListDecisions(r.Context(), run.ID)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	type decision struct {
		ID      int64             `json:"id"`
		Env     string            `json:"env"`
		Job     string            `json:"job,omitempty"`
		Outcome string            `json:"outcome"`
		Digests map[string]string `json:"digests"`
		At      time.Time         `json:"at"`
		Body    jsonRaw           `json:"decision"`
	}
	out := []decision{}
	for _, d := range ds {
		out = append(out, decision{d.ID, d.Env, d.JobID, d.Outcome, d.Digests, d.CreatedAt, jsonRaw(d.Body)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"decisions": out})
}

// jsonRaw embeds stored JSON as is.
type jsonRaw []byte

func (j jsonRaw) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	reqs, err := s.o.Store.Approvals().ListApprovalRequests(r.Context(), r.URL.Query().Get("state"))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	type req struct {
		Run       string    `json:"run"`
		Env       string    `json:"env"`
		State     string    `json:"state"`
		Min       int       `json:"min"`
		Roles     []string  `json:"roles,omitempty"`
		NotAuthor bool      `json:"not_author"`
		Author    string    `json:"author,omitempty"`
		Deadline  time.Time `json:"deadline"`
	}
	out := []req{}
	for _, q := range reqs {
		out = append(out, req{q.RunID, q.Env, q.State, q.Min, q.Roles, q.NotAuthor, q.Author, q.Deadline})
	}
	writeJSON(w, http.StatusOK, map[string]any{"approvals": out})
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var body struct {
		Verdict string `json:"verdict"`
		Comment string `json:"comment"`
	}
	if !decode(w, r, &body) {
		return
	}
	run := s.run(w, r)
	if run == nil {
		return
	}
	env := r.PathValue("env")
	role := auth.RoleApprover
	for _, g := range p.Grants {
		if g.Allows(auth.Approve, "", env) && g.Role == auth.RoleAdmin {
			role = auth.RoleAdmin
		}
	}
	err := gatekeeper.Decide(r.Context(), s.o.Store, run, env, p.Name, role, body.Verdict, body.Comment, s.o.Now())
	switch {
	case errors.Is(err, gatekeeper.ErrSelfApprove), errors.Is(err, gatekeeper.ErrNotAllowed):
		writeError(w, http.StatusForbidden, "four_eyes", err.Error())
	case errors.Is(err, gatekeeper.ErrNoRequest):
		writeError(w, http.StatusConflict, "no_request", err.Error())
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "already_decided", p.Name+" already gave a verdict on this release")
	case err != nil:
		writeError(w, http.StatusBadRequest, "verdict", err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]string{"run": run.ID, "env": env, "verdict": body.Verdict, "by": p.Name})
	}
}

func (s *Server) environment(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	env := r.PathValue("env")
	es, err := s.o.Store.Releases().GetEnv(r.Context(), env)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "environment", "nothing was deployed to "+env)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	type rel struct {
		ID, Version, State, Strategy, Digest, Message string
		Weight                                        int
	}
	get := func(id string) *rel {
		if id == "" {
			return nil
		}
		x, err := s.o.Store.Releases().GetRelease(r.Context(), id)
		if err != nil {
			return nil
		}
		return &rel{x.ID, x.Version, x.State, x.Strategy, x.Digest, x.Message, x.Weight}
	}
	writeJSON(w, http.StatusOK, map[string]any{"env": env, "listen": es.Listen, "live": get(es.Live), "previous": get(es.Previous),
		"candidate": get(es.Candidate)})
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	limit, err := limitOf(r, 100, 1000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("cursor"), 10, 64)
	recs, err := s.o.Store.Audit().ListAudit(r.Context(), store.AuditQuery{AfterSeq: after, Limit: limit, SubjectPrefix: r.URL.Query().Get("subject")})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	type rec struct {
		Seq      int64             `json:"seq"`
		Time     time.Time         `json:"time"`
		Actor    string            `json:"actor"`
		Action   string            `json:"action"`
		Subject  string            `json:"subject"`
		Data     map[string]string `json:"data,omitempty"`
		PrevHash string            `json:"prev_hash"`
		Hash     string            `json:"hash"`
	}
	out := page[rec]{Items: []rec{}}
	for _, a := range recs {
		out.Items = append(out.Items, rec{a.Seq, a.Time, a.Actor, a.Action, a.Subject, a.Data, a.PrevHash, a.Hash})
	}
	if len(recs) == limit {
		out.Next = strconv.FormatInt(recs[len(recs)-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	prev, after, n := "", int64(0), 0
	for {
		pg, err := s.o.Store.Audit().ListAudit(r.Context(), store.AuditQuery{AfterSeq: after, Limit: 5000})
		if err != nil {
			writeError(w, http.StatusInternalServerError, "store", err.Error())
			return
		}
		if len(pg) == 0 {
			writeJSON(w, http.StatusOK, map[string]any{"verified": true, "records": n, "head": prev})
			return
		}
		if pg[0].Seq != after+1 {
			writeJSON(w, http.StatusOK, map[string]any{"verified": false, "records": n, "error": fmt.Sprintf("record %d is missing", after+1)})
			return
		}
		if err := store.VerifyAudit(prev, pg); err != nil {
			writeJSON(w, http.StatusOK, map[string]any{"verified": false, "records": n, "error": err.Error()})
			return
		}
		n += len(pg)
		prev, after = pg[len(pg)-1].Hash, pg[len(pg)-1].Seq
	}
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	keys, err := s.o.Store.Control().ListKeys(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	type key struct {
		ID        string     `json:"id"`
		Name      string     `json:"name"`
		Grants    []string   `json:"grants"`
		CreatedBy string     `json:"created_by"`
		Created   time.Time  `json:"created_at"`
		Expires   *time.Time `json:"expires_at,omitempty"`
		LastUsed  *time.Time `json:"last_used_at,omitempty"`
		Revoked   *time.Time `json:"revoked_at,omitempty"`
	}
	out := []key{}
	for _, k := range keys {
		out = append(out, key{k.ID, k.Name, k.Grants, k.CreatedBy, k.CreatedAt, timePtr(k.ExpiresAt), timePtr(k.LastUsedAt), timePtr(k.RevokedAt)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var body struct {
		Name    string   `json:"name"`
		Grants  []string `json:"grants"`
		Expires string   `json:"expires_in"`
	}
	if !decode(w, r, &body) {
		return
	}
	for _, g := range body.Grants {
		gr, err := auth.ParseGrant(g)
		if err != nil {
			writeError(w, http.StatusBadRequest, "grant", err.Error())
			return
		}
		if !p.CanGrant(gr) {
			writeError(w, http.StatusForbidden, "forbidden", "a key cannot grant more than it holds: "+g)
			return
		}
	}
	var ttl time.Duration
	if body.Expires != "" {
		d, err := time.ParseDuration(body.Expires)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, "expires_in", "expires_in: a duration like 720h")
			return
		}
		ttl = d
	}
	plain, k, err := NewKey(s.o.Now(), body.Name, body.Grants, ttl, p.Name, s.o.SealKey)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "key", err.Error())
		return
	}
	if err := s.o.Store.Control().CreateKey(r.Context(), k, &store.AuditRecord{Time: s.o.Now(), Actor: p.Name, Action: "key.create",
		Subject: "key/" + k.ID, Data: map[string]string{"name": k.Name, "grants": strings.Join(k.Grants, ",")}}); err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "key": plain, "grants": k.Grants,
		"note": "this is the only time the key is shown; store it now"})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	id := r.PathValue("id")
	err := s.o.Store.Control().RevokeKey(r.Context(), id, s.o.Now(), &store.AuditRecord{Time: s.o.Now(), Actor: p.Name,
		Action: "key.revoke", Subject: "key/" + id})
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "key", "no active key "+id)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	ps, err := s.o.Store.Control().ListProjects(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	type proj struct {
		Name     string `json:"name"`
		Repo     string `json:"repo"`
		Pipeline string `json:"pipeline"`
		Webhook  bool   `json:"webhook_secret_set"`
	}
	out := []proj{}
	for _, p := range ps {
		out = append(out, proj{p.Name, p.Repo, p.Pipeline, len(p.WebhookSecret) > 0})
	}
	writeJSON(w, http.StatusOK, map[string]any{"projects": out})
}

func (s *Server) putProject(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var body struct {
		Repo          string `json:"repo"`
		Pipeline      string `json:"pipeline"`
		WebhookSecret string `json:"webhook_secret"`
	}
	if !decode(w, r, &body) {
		return
	}
	proj, err := NewProject(r.PathValue("project"), body.Repo, body.Pipeline, body.WebhookSecret, s.o.SealKey)
	if err != nil {
		writeError(w, http.StatusBadRequest, "project", err.Error())
		return
	}
	if err := s.o.Store.Control().PutProject(r.Context(), proj, &store.AuditRecord{Time: s.o.Now(), Actor: p.Name,
		Action: "project.put", Subject: "project/" + proj.Name, Data: map[string]string{"repo": proj.Repo}}); err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"project": proj.Name})
}

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

func (s *Server) triggerRun(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var body struct {
		Commit string   `json:"commit"`
		Branch string   `json:"branch"`
		Jobs   []string `json:"jobs"`
	}
	if !decode(w, r, &body) {
		return
	}
	proj, err := s.o.Store.Control().GetProject(r.Context(), r.PathValue("project"))
	if err != nil {
		writeError(w, http.StatusNotFound, "project", err.Error())
		return
	}
	if s.o.Runner == nil {
		writeError(w, http.StatusServiceUnavailable, "no_runner", "this server does not start runs")
		return
	}
	run, err := s.o.Runner.Start(r.Context(), RunRequest{Project: proj, Commit: body.Commit, Branch: body.Branch, Event: "manual", Actor: p.Name, Jobs: body.Jobs})
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "run", err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"run": run.ID, "number": run.Number})
}

// alertmanager receives Alertmanager's webhook (version 4): every firing
// alert with labels sluice_action="rollback" and sluice_env=<env> rolls
// that environment back to its previous release, once per request.
func (s *Server) alertmanager(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var body struct {
		Version string `json:"version"`
		Status  string `json:"status"`
		Alerts  []struct {
			Status      string            `json:"status"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"alerts"`
		GroupKey          string            `json:"groupKey"`
		Receiver          string            `json:"receiver"`
		GroupLabels       map[string]string `json:"groupLabels"`
		CommonLabels      map[string]string `json:"commonLabels"`
		CommonAnnotations map[string]string `json:"commonAnnotations"`
		ExternalURL       string            `json:"externalURL"`
		TruncatedAlerts   int               `json:"truncatedAlerts"`
	}
	if !decode(w, r, &body) {
		return
	}
	envs := map[string]string{}
	for _, a := range body.Alerts {
		if a.Status != "firing" || a.Labels["sluice_action"] != "rollback" || a.Labels["sluice_env"] == "" {
			continue
		}
		reason := a.Labels["alertname"]
		if s := a.Annotations["summary"]; s != "" {
			reason += ": " + s
		}
		envs[a.Labels["sluice_env"]] = reason
	}
	done := map[string]string{}
	for env, reason := range envs {
		if !p.Can(auth.Rollback, "", env) {
			done[env] = "refused: the key may not roll back " + env
			continue
		}
		if s.o.Rollback == nil {
			done[env] = "refused: this server does not roll back"
			continue
		}
		s.audit(r.Context(), p.Name, "alert.rollback", "env/"+env, map[string]string{"alert": reason, "receiver": body.Receiver})
		if err := s.o.Rollback(r.Context(), env, "alertmanager:"+p.Name, reason); err != nil {
			done[env] = "failed: " + err.Error()
			continue
		}
		done[env] = "rolled back"
	}
	writeJSON(w, http.StatusOK, map[string]any{"environments": done})
}

// streamLogs streams a run's log lines as server-sent events until the run
// ends (or the client goes): one "line" event per line, with the job and
// sequence as its id, then an "end" event with the run's status.
func (s *Server) streamLogs(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	run := s.run(w, r)
	if run == nil {
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "stream", "streaming is not supported here")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	after := map[string]int64{}
	job := r.URL.Query().Get("job")
	t := time.NewTicker(300 * time.Millisecond)
	defer t.Stop()
	for {
		cur, err := s.o.Store.Runs().GetRun(r.Context(), run.ID)
		if err != nil {
			return
		}
		jobs, err := s.o.Store.Jobs().ListJobs(r.Context(), run.ID)
		if err != nil {
			return
		}
		for _, j := range jobs {
			if job != "" && j.ID != job {
				continue
			}
			lines, err := s.o.Store.Logs().ReadLogs(r.Context(), store.LogQuery{RunID: run.ID, JobID: j.ID, AfterSeq: after[j.ID], Limit: 1000})
			if err != nil {
				return
			}
			for _, l := range lines {
				data, _ := json.Marshal(map[string]any{"job": l.JobID, "seq": l.Seq, "time": l.Time, "stream": l.Stream, "text": l.Text})
				fmt.Fprintf(w, "event: line\nid: %s/%d\ndata: %s\n\n", l.JobID, l.Seq, data)
				after[j.ID] = l.Seq
			}
		}
		fl.Flush()
		if cur.Status.Final() {
			fmt.Fprintf(w, "event: end\ndata: {\"status\":%q}\n\n", cur.Status)
			fl.Flush()
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) runFindings(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	run := s.run(w, r)
	if run == nil {
		return
	}
	ev, err := gatekeeper.RunEvidence(r.Context(), s.o.Store, run.ID, nil)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "evidence", err.Error())
		return
	}
	sev := r.URL.Query().Get("severity")
	out := ev.Findings[:0:0]
	for _, f := range ev.Findings {
		if sev != "" && f.Severity.String() != sev {
			continue
		}
		if c := r.URL.Query().Get("category"); c != "" && string(f.Category) != c {
			continue
		}
		out = append(out, f)
	}
	writeJSON(w, http.StatusOK, map[string]any{"run": run.ID, "evidence": ev.Digest, "findings": out, "scanners": ev.Health})
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	limit, err := limitOf(r, 50, 500)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	rels, err := s.o.Store.Releases().ListReleases(r.Context(), r.PathValue("env"), limit)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	type rel struct {
		ID       string    `json:"id"`
		Version  string    `json:"version"`
		Digest   string    `json:"digest"`
		Run      string    `json:"run,omitempty"`
		Strategy string    `json:"strategy"`
		State    string    `json:"state"`
		Weight   int       `json:"weight"`
		Message  string    `json:"message,omitempty"`
		Actor    string    `json:"actor,omitempty"`
		Created  time.Time `json:"created_at"`
		Updated  time.Time `json:"updated_at"`
	}
	out := []rel{}
	for _, x := range rels {
		out = append(out, rel{x.ID, x.Version, x.Digest, x.RunID, x.Strategy, x.State, x.Weight, x.Message, x.Actor, x.CreatedAt, x.UpdatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"releases": out})
}
