package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The suppress form's expiry: proposed 90 days ahead, at most 364 days
// (the API takes a date as the end of that day, UTC, and refuses more
// than 365 days from now).
const (
	defaultSuppressDays = 90
	maxSuppressDays     = 364
)

// Bounds of the suppress form's fields, in characters (the API's too).
const (
	maxSuppressReason = 2000
	maxSuppressOwner  = 200
)

// apiSuppression is a stored suppression as the API answers it.
type apiSuppression struct {
	ID          int64     `json:"id"`
	Fingerprint string    `json:"fingerprint"`
	Owner       string    `json:"owner"`
	Expires     time.Time `json:"expires"`
	CreatedBy   string    `json:"created_by"`
	RevokedBy   string    `json:"revoked_by"`
}

// findingsURL is the findings page of run id with the filter of the form
// that was sent (its hidden "filters" field), and the finding as fragment.
func findingsURL(r *http.Request, runID, domID string) string {
	target := apiPath("/runs", runID) + "/findings"
	if q, err := url.ParseQuery(r.PostFormValue("filters")); err == nil {
		if s := parseFilter(q).query(); s != "" {
			target += "?" + s
		}
	}
	if domID != "" {
		target += "#finding-" + domID
	}
	return target
}

// suppress asks the API to store a suppression of one finding of a run
// (POST /api/v1/projects/{project}/suppressions) as the logged-in key,
// then redirects to the findings page with a flash message
// (POST-redirect-GET). A refusal (403, a bad expiry, no reason, a finding
// already suppressed) draws the page again with the API's message and the
// form as it was filled in.
func (u *UI) suppress(w http.ResponseWriter, r *http.Request, s *session) {
	ref := r.PathValue("ref")
	if !refRE.MatchString(ref) {
		u.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no run "+ref+".")
		return
	}
	form := suppressForm{Fingerprint: strings.TrimSpace(r.PostFormValue("fingerprint")), Reason: strings.TrimSpace(r.PostFormValue("reason")),
		Owner: strings.TrimSpace(r.PostFormValue("owner")), Expires: strings.TrimSpace(r.PostFormValue("expires"))}
	if form.Fingerprint == "" || utf8.RuneCountInString(form.Reason) > maxSuppressReason || utf8.RuneCountInString(form.Owner) > maxSuppressOwner {
		u.errorPage(w, r, s, http.StatusBadRequest, "Bad request",
			fmt.Sprintf("Name the finding; keep the reason under %d characters and the owner under %d.", maxSuppressReason, maxSuppressOwner))
		return
	}
	var run apiRun
	if err := u.getJSON(r, s, apiPath("/api/v1/runs", ref), &run); err != nil {
		u.fail(w, r, s, err)
		return
	}
	if run.Project == "" {
		u.errorPage(w, r, s, http.StatusConflict, "Cannot suppress here",
			"This run belongs to no project: suppress its findings with sluice suppressions add on its data folder.")
		return
	}
	var out apiSuppression
	err := u.postJSON(r, s, apiPath("/api/v1/projects", run.Project, "suppressions"),
		map[string]string{"fingerprint": form.Fingerprint, "reason": form.Reason, "owner": form.Owner, "expires": form.Expires}, &out)
	var ae *apiError
	switch {
	case err == nil:
		u.sessions.setFlash(s.id, fmt.Sprintf("%s suppressed finding %s of %s until %s (stored suppression %d, owner %s). The gate applies it at its next decision.",
			out.CreatedBy, short(out.Fingerprint), run.Project, out.Expires.UTC().Format(time.DateOnly), out.ID, out.Owner))
		http.Redirect(w, r, findingsURL(r, run.ID, domID(form.Fingerprint)), http.StatusSeeOther)
		return
	case !errors.As(err, &ae) || ae.Status == http.StatusUnauthorized || ae.Status >= 500:
		u.fail(w, r, s, err)
		return
	}
	q, _ := url.ParseQuery(r.PostFormValue("filters"))
	fv, lerr := u.findings(r, s, run.ID, parseFilter(q))
	if lerr != nil {
		u.fail(w, r, s, lerr)
		return
	}
	fv.Error = strings.TrimSpace(ae.Message)
	for i := range fv.Findings {
		if fv.Findings[i].Fingerprint == form.Fingerprint {
			fv.Findings[i].Form, fv.Findings[i].Open = form, true
		}
	}
	u.page(w, r, s, ae.Status, "findings", "Findings of run #"+strconv.FormatInt(fv.Run.Number, 10), "runs", fv)
}

// revokeSuppression asks the API to revoke a stored suppression of the
// run's project, then redirects to the findings page with a flash message;
// a refusal is shown as an error page with the API's message.
func (u *UI) revokeSuppression(w http.ResponseWriter, r *http.Request, s *session) {
	ref, id := r.PathValue("ref"), r.PathValue("id")
	if _, err := strconv.ParseInt(id, 10, 64); err != nil || !refRE.MatchString(ref) {
		u.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no such suppression.")
		return
	}
	var run apiRun
	if err := u.getJSON(r, s, apiPath("/api/v1/runs", ref), &run); err != nil {
		u.fail(w, r, s, err)
		return
	}
	if run.Project == "" {
		u.errorPage(w, r, s, http.StatusNotFound, "Not found", "This run belongs to no project, so it has no stored suppressions.")
		return
	}
	var out apiSuppression
	if err := u.call(r, s.key, http.MethodDelete, apiPath("/api/v1/projects", run.Project, "suppressions", id), nil, &out); err != nil {
		u.fail(w, r, s, err)
		return
	}
	u.sessions.setFlash(s.id, fmt.Sprintf("%s revoked stored suppression %d of finding %s; the gate no longer applies it.",
		out.RevokedBy, out.ID, short(out.Fingerprint)))
	http.Redirect(w, r, findingsURL(r, run.ID, domID(r.PostFormValue("fingerprint"))), http.StatusSeeOther)
}
