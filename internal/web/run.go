package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/sluice-ci/sluice/internal/auth"
)

const (
	// apiLogPage is the most lines GET /api/v1/runs/{ref}/logs answers.
	apiLogPage = 5000
	// maxJobLines bounds the lines of one job drawn into the page; the
	// rest is a download away (the API).
	maxJobLines = 20000
)

type runView struct {
	Run  apiRun
	DAG  *dagLayout
	Logs []jobLogs
	// Decisions are the latest gate decision of each environment.
	Decisions     []apiDecision
	DecisionsNote string
	// Artifacts are the files the jobs saved; ArtifactsNote says why
	// they are not shown when the API refused or failed.
	Artifacts     []artifactView
	ArtifactsNote string
	// Live is set while the run may still change: app.js streams its
	// logs from StreamURL and polls its jobs at StatusURL.
	Live      bool
	StreamURL string
	StatusURL string
	// Waits are the jobs waiting for approval.
	Waits []apiJob
	// The buttons the key's grants allow (the API decides when pressed).
	CanCancel, CanRerun, CanRerunFailed bool
}

// jobLogs are one job's stored log lines.
type jobLogs struct {
	Job       apiJob
	DomID     string
	Lines     []apiLogLine
	LastSeq   int64
	Truncated bool
}

// live reports whether a run in status may still change.
func live(status string) bool {
	switch status {
	case "succeeded", "failed", "skipped", "cancelled", "interrupted":
		return false
	}
	return true
}

// runPage shows a run: its header, job graph, jobs, gate decisions,
// artifacts and every job's logs (streamed live while it runs).
func (u *UI) runPage(w http.ResponseWriter, r *http.Request, s *session) {
	ref := r.PathValue("ref")
	if !refRE.MatchString(ref) {
		u.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no run "+ref+".")
		return
	}
	var rv runView
	base := apiPath("/api/v1/runs", ref)
	if err := u.getJSON(r, s, base, &rv.Run); err != nil {
		u.fail(w, r, s, err)
		return
	}
	base = apiPath("/api/v1/runs", rv.Run.ID)
	markWaiting(rv.Run.Jobs)
	for _, j := range rv.Run.Jobs {
		if j.Status == waitStatus {
			rv.Waits = append(rv.Waits, j)
		}
	}
	logs, err := u.runLogs(r, s, base, rv.Run.Jobs)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	rv.Logs = logs
	rv.DAG = layoutDAG(rv.Run.Jobs)
	var ds struct {
		Decisions []apiDecision `json:"decisions"`
	}
	n, fatal := note(u.getJSON(r, s, base+"/decisions", &ds), "gate decisions")
	if fatal != nil {
		u.fail(w, r, s, fatal)
		return
	}
	rv.DecisionsNote = n
	rv.Decisions = latestPerEnv(ds.Decisions)
	if rv.Artifacts, rv.ArtifactsNote, fatal = u.runArtifacts(r, s, rv.Run.ID); fatal != nil {
		u.fail(w, r, s, fatal)
		return
	}
	if rv.Live = live(rv.Run.Status); rv.Live {
		rv.StreamURL = apiPath("/ui/api/runs", rv.Run.ID) + "/logs/stream"
		rv.StatusURL = apiPath("/ui/api/runs", rv.Run.ID)
		rv.CanCancel = s.can(auth.CancelRun, rv.Run.Project, "")
	} else if rv.Run.Project != "" {
		rv.CanRerun = s.can(auth.RerunRun, rv.Run.Project, "")
		rv.CanRerunFailed = rv.CanRerun && rv.Run.Status != "succeeded"
	}
	u.page(w, r, s, http.StatusOK, "run", "Run #"+strconv.FormatInt(rv.Run.Number, 10), "runs", rv)
}

// runLogs reads every job's stored lines, a page of the API at a time,
// keeping the jobs' order (lines of a job the run does not list, if any,
// come last).
func (u *UI) runLogs(r *http.Request, s *session, base string, jobs []apiJob) ([]jobLogs, error) {
	var first struct {
		Lines []apiLogLine `json:"lines"`
	}
	if err := u.getJSON(r, s, base+"/logs", &first); err != nil {
		return nil, err
	}
	byJob := map[string]*jobLogs{}
	var out []*jobLogs
	get := func(j apiJob) *jobLogs {
		if jl, ok := byJob[j.ID]; ok {
			return jl
		}
		jl := &jobLogs{Job: j, DomID: domID(j.ID)}
		byJob[j.ID] = jl
		out = append(out, jl)
		return jl
	}
	for _, j := range jobs {
		get(j)
	}
	for _, l := range first.Lines {
		jl := get(apiJob{ID: l.Job})
		jl.Lines = append(jl.Lines, l)
	}
	if len(first.Lines) >= apiLogPage {
		// The first page was cut: read each job on from its last line.
		for _, jl := range out {
			for len(jl.Lines) < maxJobLines {
				after := int64(0)
				if n := len(jl.Lines); n > 0 {
					after = jl.Lines[n-1].Seq
				}
				var more struct {
					Lines []apiLogLine `json:"lines"`
				}
				q := url.Values{"job": {jl.Job.ID}, "after": {strconv.FormatInt(after, 10)}}
				if err := u.getJSON(r, s, base+"/logs?"+q.Encode(), &more); err != nil {
					return nil, err
				}
				jl.Lines = append(jl.Lines, more.Lines...)
				if len(more.Lines) < apiLogPage {
					break
				}
			}
		}
	}
	res := make([]jobLogs, 0, len(out))
	for _, jl := range out {
		if len(jl.Lines) > maxJobLines {
			jl.Lines, jl.Truncated = jl.Lines[:maxJobLines], true
		}
		if n := len(jl.Lines); n > 0 {
			jl.LastSeq = jl.Lines[n-1].Seq
		}
		res = append(res, *jl)
	}
	return res, nil
}

// latestPerEnv keeps the newest decision of each environment, ordered as
// environments are promoted through.
func latestPerEnv(ds []apiDecision) []apiDecision {
	ds = slices.Clone(ds)
	slices.SortStableFunc(ds, func(a, b apiDecision) int { return cmp.Compare(b.ID, a.ID) }) // newest first
	latest := map[string]apiDecision{}
	for _, d := range ds {
		if cur, ok := latest[d.Env]; ok {
			cur.Earlier = append(cur.Earlier, d)
			latest[d.Env] = cur
			continue
		}
		latest[d.Env] = d
	}
	names := make([]string, 0, len(latest))
	for e := range latest {
		names = append(names, e)
	}
	slices.SortFunc(names, envCompare)
	out := make([]apiDecision, 0, len(names))
	for _, e := range names {
		out = append(out, latest[e])
	}
	return out
}

// cancelRun asks the API to cancel the run (the key needs runs:cancel).
func (u *UI) cancelRun(w http.ResponseWriter, r *http.Request, s *session) {
	ref := r.PathValue("ref")
	if !refRE.MatchString(ref) {
		u.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no run "+ref+".")
		return
	}
	var out struct {
		Number int64  `json:"number"`
		Status string `json:"status"`
	}
	if err := u.postJSON(r, s, apiPath("/api/v1/runs", ref, "cancel"), nil, &out); err != nil {
		u.fail(w, r, s, err)
		return
	}
	msg := "Run #" + strconv.FormatInt(out.Number, 10) + " is " + out.Status + "."
	if live(out.Status) {
		msg = "Run #" + strconv.FormatInt(out.Number, 10) + " is being cancelled: its steps are stopping."
	}
	u.sessions.setFlash(s.id, msg)
	http.Redirect(w, r, apiPath("/runs", ref), http.StatusSeeOther)
}

// rerunRun asks the API to run again: the whole run as a new run, or
// (failed_only) only the jobs that did not succeed.
func (u *UI) rerunRun(w http.ResponseWriter, r *http.Request, s *session) {
	ref := r.PathValue("ref")
	if !refRE.MatchString(ref) {
		u.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no run "+ref+".")
		return
	}
	body := map[string]any{}
	if r.PostFormValue("failed_only") == "1" {
		body["failed_only"] = true
	}
	var out struct {
		Run     string `json:"run"`
		Number  int64  `json:"number"`
		Attempt int    `json:"attempt"`
	}
	if err := u.postJSON(r, s, apiPath("/api/v1/runs", ref, "rerun"), body, &out); err != nil {
		u.fail(w, r, s, err)
		return
	}
	msg := "Started run #" + strconv.FormatInt(out.Number, 10) + "."
	if out.Attempt > 0 {
		msg = "Run #" + strconv.FormatInt(out.Number, 10) + " runs again the jobs that did not succeed (attempt " + strconv.Itoa(out.Attempt) + ")."
	}
	u.sessions.setFlash(s.id, msg)
	http.Redirect(w, r, apiPath("/runs", out.Run), http.StatusSeeOther)
}
