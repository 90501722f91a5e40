package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/version"
)

// route is one endpoint: the OpenAPI document is generated from this
// table, so it cannot drift from what is served.
type route struct {
	Method, Path, Summary string
	// Action is what the caller's key must allow; "" means any valid key
	// (the handler checks what it needs), or none with Public, Webhook or
	// Login.
	Action auth.Action
	// Public routes need no key (health checks); Webhook routes are
	// authenticated by the provider's signature; Login routes by a user
	// name and password in the body (the handler checks them, counting
	// failures in the limiter); Filtered routes list only the items the
	// key may see (its Action is checked per item).
	Public, Webhook, Login, Filtered bool
	// Basic routes also take the key as the password of HTTP Basic auth
	// (Terraform's http backend sends no other header).
	Basic  bool
	Handle func(w http.ResponseWriter, r *http.Request, p *auth.Principal)
}

func (s *Server) table() []route {
	return append([]route{
		{Method: "GET", Path: "/healthz", Summary: "Liveness", Public: true, Handle: s.healthz},
		{Method: "GET", Path: "/readyz", Summary: "Readiness: the store answers", Public: true, Handle: s.readyz},
		{Method: "GET", Path: "/api/openapi.json", Summary: "This API's OpenAPI 3 document", Action: auth.ReadRuns, Handle: s.openapi},
		{Method: "GET", Path: "/api/v1/runs", Summary: "List runs, newest first (cursor pagination), of the projects the key may read", Action: auth.ReadRuns, Filtered: true, Handle: s.listRuns},
		{Method: "POST", Path: "/api/v1/projects/{project}/runs", Summary: "Start a run of a project at a commit", Action: auth.TriggerRun, Handle: s.triggerRun},
		{Method: "GET", Path: "/api/v1/runs/{ref}", Summary: "A run with its jobs", Action: auth.ReadRuns, Handle: s.getRun},
		{Method: "GET", Path: "/api/v1/runs/{ref}/logs", Summary: "A run's log lines (after a sequence)", Action: auth.ReadRuns, Handle: s.runLogs},
		{Method: "GET", Path: "/api/v1/runs/{ref}/logs/stream", Summary: "A run's log lines live, as server-sent events, until it ends", Action: auth.ReadRuns, Handle: s.streamLogs},
		{Method: "GET", Path: "/api/v1/runs/{ref}/artifacts", Summary: "The files a run's jobs saved (artifacts: in sluice.yaml): job, path, size and sha256 of each, in job order", Action: auth.ReadRuns, Handle: s.listArtifacts},
		{Method: "GET", Path: "/api/v1/runs/{ref}/artifacts/{job}/{path...}", Summary: "Download one artifact's stored copy as an attachment (application/octet-stream, ETag and Repr-Digest from its sha256), checked against its record first: 404 for an unknown job or path, 410 when the copy is missing, 500 when it no longer matches", Action: auth.ReadRuns, Handle: s.downloadArtifact},
		{Method: "GET", Path: "/api/v1/runs/{ref}/decisions", Summary: "A run's gate decisions", Action: auth.ReadReleases, Handle: s.runDecisions},
		{Method: "GET", Path: "/api/v1/runs/{ref}/findings", Summary: "A run's findings (?severity=, ?category=, ?scanner=, ?owasp=A03, ?new=yes|no, ?suppressed=yes|no), each saying whether it is new against the baseline the run's gate used and what suppresses it, and scanner health", Action: auth.ReadFindings, Handle: s.runFindings},
		{Method: "GET", Path: "/api/v1/projects/{project}/suppressions", Summary: "A project's stored suppressions (?state=active|expired|revoked)", Action: auth.ReadFindings, Handle: s.listSuppressions},
		{Method: "POST", Path: "/api/v1/projects/{project}/suppressions", Summary: "Accept a finding's risk: {\"fingerprint\" (or \"rule\" + \"path\", or \"advisory\" + \"package\"), \"reason\", \"owner\", \"expires\": YYYY-MM-DD at most 365 days ahead}; the next gate decision applies it", Action: auth.SuppressFinding, Handle: s.createSuppression},
		{Method: "DELETE", Path: "/api/v1/projects/{project}/suppressions/{id}", Summary: "Revoke a stored suppression", Action: auth.SuppressFinding, Handle: s.revokeSuppression},
		{Method: "GET", Path: "/api/v1/runs/{ref}/report", Summary: "A run's compliance report as sluice report writes it (?format=json|html|md); X-Sluice-Audit-Verified says whether the audit chain holds", Action: auth.ReadAudit, Handle: s.runReport},
		{Method: "POST", Path: "/api/v1/runs/{ref}/cancel", Summary: "Cancel a run that has not ended: 200 once recorded cancelled, 202 while its steps stop, 409 when another sluice process executes it", Action: auth.CancelRun, Handle: s.cancelRun},
		{Method: "POST", Path: "/api/v1/runs/{ref}/rerun", Summary: "Run again: a new run of the same project at the same commit, event and branch ({\"jobs\": [...]} optional), or with {\"failed_only\": true} a new attempt running the jobs that did not succeed", Action: auth.RerunRun, Handle: s.rerunRun},
		{Method: "GET", Path: "/api/v1/environments/{env}/releases", Summary: "An environment's releases, newest first", Action: auth.ReadReleases, Handle: s.listReleases},
		{Method: "GET", Path: "/api/v1/approvals", Summary: "Approval requests (?state=pending) of the runs and environments the key may read, with the verdicts so far", Action: auth.ReadReleases, Filtered: true, Handle: s.listApprovals},
		{Method: "POST", Path: "/api/v1/runs/{ref}/approvals/{env}", Summary: "Approve or reject a run's release to an environment", Action: auth.Approve, Handle: s.decide},
		{Method: "GET", Path: "/api/v1/runs/{ref}/approvals/{env}/evidence", Summary: "The evidence of a run's approval request beyond its gate decision: its findings against the baseline the environment's gate used (new and fixed by severity, suppressed) and its changes against the release live there (commits, compare link)", Action: auth.ReadReleases, Handle: s.approvalEvidence},
		{Method: "GET", Path: "/api/v1/environments", Summary: "The environments deployed to that the key may read, with their live, previous and candidate releases", Action: auth.ReadReleases, Filtered: true, Handle: s.listEnvironments},
		{Method: "GET", Path: "/api/v1/environments/{env}", Summary: "An environment's live, previous and candidate releases", Action: auth.ReadReleases, Handle: s.environment},
		{Method: "GET", Path: "/api/v1/environments/{env}/traffic", Summary: "An environment's live traffic: the routing weights, the gateway's counters per release (requests, status classes, latency histogram, in flight, refused), each release's time series over the last hour and the rollout's step", Action: auth.ReadReleases, Handle: s.traffic},
		{Method: "POST", Path: "/api/v1/environments/{env}/promote", Summary: "Promote the rollout in progress to all traffic now (202; 409 when none is in progress)", Action: auth.Approve, Handle: s.releaseRequest("promote")},
		{Method: "POST", Path: "/api/v1/environments/{env}/abort", Summary: "Abort the rollout in progress, or a release in its monitor window, back to the live release (202; 409 when none)", Action: auth.Rollback, Handle: s.releaseRequest("abort")},
		{Method: "POST", Path: "/api/v1/environments/{env}/rollback", Summary: "Put an environment back on its previous release ({\"to\": VERSION, \"override\": bool} optional); 409 while a rollout is in progress", Action: auth.Rollback, Handle: s.rollback},
		{Method: "GET", Path: "/api/v1/events", Summary: "The gateway's security events, oldest first, of the environments the key may read (?env=, ?since=90m|RFC 3339, ?layer=, ?limit= default 200, at most 5000)", Action: auth.ReadReleases, Filtered: true, Handle: s.listEvents},
		{Method: "GET", Path: "/api/v1/whoami", Summary: "The calling key: its id, name and grants with the actions each allows", Handle: s.whoami},
		{Method: "GET", Path: "/metrics", Summary: "Prometheus metrics: runs, durations, queue, gate decisions, deployments, rollbacks, DORA", Action: auth.ReadRuns, Handle: s.metrics},
		{Method: "GET", Path: "/api/v1/environments/{env}/dora", Summary: "DORA figures of an environment (?days=30)", Action: auth.ReadReleases, Handle: s.dora},
		{Method: "GET", Path: "/api/v1/audit", Summary: "Audit records after a sequence number", Action: auth.ReadAudit, Handle: s.listAudit},
		{Method: "GET", Path: "/api/v1/audit/verify", Summary: "Verify the audit trail's hash chain", Action: auth.ReadAudit, Handle: s.verifyAudit},
		{Method: "GET", Path: "/api/v1/keys", Summary: "List API keys (never their secrets)", Action: auth.ManageKeys, Handle: s.listKeys},
		{Method: "POST", Path: "/api/v1/keys", Summary: "Create an API key (shown once)", Action: auth.ManageKeys, Handle: s.createKey},
		{Method: "DELETE", Path: "/api/v1/keys/{id}", Summary: "Revoke an API key", Action: auth.ManageKeys, Handle: s.revokeKey},
		{Method: "POST", Path: "/api/v1/sessions", Summary: "Log in with {\"user\", \"password\"}: a key for the session (shown once), expiring in 12 h, with the user's grants, acting as the user; 401 for any wrong user or password", Login: true, Handle: s.login},
		{Method: "DELETE", Path: "/api/v1/sessions/current", Summary: "Log out: revoke the calling key of a user's login session (409 for another key)", Handle: s.logout},
		{Method: "GET", Path: "/api/v1/users", Summary: "List user accounts (never their password hashes)", Action: auth.ManageUsers, Handle: s.listUsers},
		{Method: "POST", Path: "/api/v1/users", Summary: "Create a user account ({\"name\", \"password\", \"grants\"})", Action: auth.ManageUsers, Handle: s.createUser},
		{Method: "DELETE", Path: "/api/v1/users/{name}", Summary: "Disable a user account and revoke its login sessions", Action: auth.ManageUsers, Handle: s.disableUser},
		{Method: "PUT", Path: "/api/v1/users/{name}/password", Summary: "Set a user's password ({\"password\"}) and revoke its login sessions", Action: auth.ManageUsers, Handle: s.setPassword},
		{Method: "GET", Path: "/api/v1/projects", Summary: "List the projects whose runs the key may read", Action: auth.ReadRuns, Filtered: true, Handle: s.listProjects},
		{Method: "PUT", Path: "/api/v1/projects/{project}", Summary: "Create or change a project", Action: auth.ManageProjects, Handle: s.putProject},
		{Method: "POST", Path: "/api/v1/alerts/alertmanager", Summary: "Alertmanager webhook receiver: firing alerts labelled sluice_action=rollback roll their sluice_env back (the key needs releases:rollback for each)", Handle: s.alertmanager},
		{Method: "POST", Path: "/hooks/{provider}/{project}", Summary: "Webhook of GitHub, Gitea or GitLab (signature-verified)", Webhook: true, Handle: s.hook},
	}, s.tfstateRoutes()...)
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
	Name   string `json:"name,omitempty"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Needs are the expanded ids of the jobs this one waits for.
	Needs      []string          `json:"needs,omitempty"`
	Matrix     map[string]string `json:"matrix,omitempty"`
	Attempt    int               `json:"attempt,omitempty"`
	ExitCode   int               `json:"exit_code,omitempty"`
	StartedAt  *time.Time        `json:"started_at,omitempty"`
	FinishedAt *time.Time        `json:"finished_at,omitempty"`
	// WaitingForApproval names the environment whose approval the job
	// waits for (its status stays running meanwhile).
	WaitingForApproval string `json:"waiting_for_approval,omitempty"`
	// Outputs are the values the job published (masked like its logs);
	// a terraform job's include its plan's summary (tf_plan).
	Outputs map[string]string `json:"outputs,omitempty"`
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
	waiting := map[string]string{}
	if !run.Status.Final() {
		pending, err := s.o.Store.Approvals().ListApprovalRequests(r.Context(), store.ApprovalPending)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "store", err.Error())
			return
		}
		for _, q := range pending {
			if q.RunID == run.ID {
				waiting[q.JobID] = q.Env
			}
		}
	}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, jobJSON{ID: j.ID, Name: j.Name, Status: string(j.Status), Reason: j.Reason, Needs: j.Needs,
			Matrix: j.Matrix, Attempt: j.Attempt, ExitCode: j.ExitCode, StartedAt: timePtr(j.StartedAt), FinishedAt: timePtr(j.FinishedAt),
			WaitingForApproval: waiting[j.ID], Outputs: j.Outputs})
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

// listApprovals lists approval requests (?state=pending…) of the runs and
// environments the key may read, with the verdicts given so far.
func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	reqs, err := s.o.Store.Approvals().ListApprovalRequests(r.Context(), r.URL.Query().Get("state"))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	type verdict struct {
		Approver string    `json:"approver"`
		Verdict  string    `json:"verdict"`
		Comment  string    `json:"comment,omitempty"`
		At       time.Time `json:"at"`
	}
	type req struct {
		Run       string     `json:"run"`
		RunNumber int64      `json:"run_number,omitempty"`
		Project   string     `json:"project,omitempty"`
		Job       string     `json:"job,omitempty"`
		Env       string     `json:"env"`
		State     string     `json:"state"`
		Min       int        `json:"min"`
		Roles     []string   `json:"roles,omitempty"`
		NotAuthor bool       `json:"not_author"`
		Author    string     `json:"author,omitempty"`
		Deadline  time.Time  `json:"deadline"`
		Created   time.Time  `json:"created_at"`
		Decided   *time.Time `json:"decided_at,omitempty"`
		Verdicts  []verdict  `json:"verdicts"`
	}
	out := []req{}
	runs := map[string]*store.Run{}
	for _, q := range reqs {
		run, ok := runs[q.RunID]
		if !ok {
			if run, err = s.o.Store.Runs().GetRun(r.Context(), q.RunID); err != nil && !errors.Is(err, store.ErrNotFound) {
				writeError(w, http.StatusInternalServerError, "store", err.Error())
				return
			}
			runs[q.RunID] = run
		}
		project := ""
		var number int64
		if run != nil {
			project, number = run.Project, run.Number
		}
		if !p.Can(auth.ReadReleases, project, q.Env) {
			continue
		}
		vs, err := s.o.Store.Approvals().ListApprovals(r.Context(), q.RunID, q.Env)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "store", err.Error())
			return
		}
		o := req{Run: q.RunID, RunNumber: number, Project: project, Job: q.JobID, Env: q.Env, State: q.State, Min: q.Min, Roles: q.Roles,
			NotAuthor: q.NotAuthor, Author: q.Author, Deadline: q.Deadline, Created: q.CreatedAt, Decided: timePtr(q.DecidedAt), Verdicts: []verdict{}}
		for _, v := range vs {
			o.Verdicts = append(o.Verdicts, verdict{v.Approver, v.Verdict, v.Comment, v.CreatedAt})
		}
		out = append(out, o)
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
	n, head, err := store.VerifyTrail(r.Context(), s.o.Store.Audit(), 0)
	var ce *store.AuditChainError
	switch {
	case errors.As(err, &ce):
		writeJSON(w, http.StatusOK, map[string]any{"verified": false, "records": n, "error": err.Error()})
	case err != nil:
		writeError(w, http.StatusInternalServerError, "store", err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]any{"verified": true, "records": n, "head": head})
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
		// User names the user whose login session the key is.
		User string `json:"user,omitempty"`
	}
	out := []key{}
	for _, k := range keys {
		out = append(out, key{k.ID, k.Name, k.Grants, k.CreatedBy, k.CreatedAt, timePtr(k.ExpiresAt), timePtr(k.LastUsedAt), timePtr(k.RevokedAt), k.User})
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

// listProjects lists the projects whose runs the key may read.
func (s *Server) listProjects(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
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
	for _, x := range ps {
		if p.Can(auth.ReadRuns, x.Name, "") {
			out = append(out, proj{x.Name, x.Repo, x.Pipeline, len(x.WebhookSecret) > 0})
		}
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
