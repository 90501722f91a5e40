package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/store"
)

// suppressionJSON is a stored suppression as the API shows it.
type suppressionJSON struct {
	ID          int64     `json:"id"`
	Project     string    `json:"project"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	Rule        string    `json:"rule,omitempty"`
	Path        string    `json:"path,omitempty"`
	Advisory    string    `json:"advisory,omitempty"`
	Package     string    `json:"package,omitempty"`
	Reason      string    `json:"reason"`
	Owner       string    `json:"owner"`
	Expires     time.Time `json:"expires"`
	// State is active, expired or revoked.
	State     string     `json:"state"`
	CreatedBy string     `json:"created_by"`
	Created   time.Time  `json:"created_at"`
	Revoked   *time.Time `json:"revoked_at,omitempty"`
	RevokedBy string     `json:"revoked_by,omitempty"`
}

// suppressionState is active, expired or revoked.
func suppressionState(x *store.Suppression, now time.Time) string {
	switch {
	case !x.RevokedAt.IsZero():
		return "revoked"
	case !now.Before(x.Expires):
		return "expired"
	}
	return "active"
}

func toSuppressionJSON(x *store.Suppression, now time.Time) suppressionJSON {
	return suppressionJSON{ID: x.ID, Project: x.Project, Fingerprint: x.Fingerprint, Rule: x.Rule, Path: x.Path, Advisory: x.Advisory,
		Package: x.Package, Reason: x.Reason, Owner: x.Owner, Expires: x.Expires, State: suppressionState(x, now), CreatedBy: x.CreatedBy,
		Created: x.CreatedAt, Revoked: timePtr(x.RevokedAt), RevokedBy: x.RevokedBy}
}

// listSuppressions lists a project's stored suppressions (?state=active,
// expired or revoked; all by default), oldest first.
func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	state := r.URL.Query().Get("state")
	switch state {
	case "", "active", "expired", "revoked":
	default:
		writeError(w, http.StatusBadRequest, "bad_query", fmt.Sprintf("state=%q: want active, expired or revoked", state))
		return
	}
	list, err := s.o.Store.Suppressions().ListSuppressions(r.Context(), r.PathValue("project"))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	now := s.o.Now()
	out := []suppressionJSON{}
	for _, x := range list {
		if j := toSuppressionJSON(x, now); state == "" || j.State == state {
			out = append(out, j)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"suppressions": out})
}

// createSuppression accepts the risk of the findings a selector names in
// a project: a fingerprint the project's runs reported (or rule + path,
// or advisory + package), with a reason, an owner and an expiry at most
// gatekeeper.MaxSuppressionAge ahead. The next gate decision applies it.
func (s *Server) createSuppression(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var body struct {
		Fingerprint string `json:"fingerprint"`
		Rule        string `json:"rule"`
		Path        string `json:"path"`
		Advisory    string `json:"advisory"`
		Package     string `json:"package"`
		Reason      string `json:"reason"`
		Owner       string `json:"owner"`
		Expires     string `json:"expires"`
	}
	if !decode(w, r, &body) {
		return
	}
	ctx, project, now := r.Context(), r.PathValue("project"), s.o.Now()
	if _, err := s.o.Store.Control().GetProject(ctx, project); errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "project", "no project "+project)
		return
	} else if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	x := &store.Suppression{Project: project, Fingerprint: body.Fingerprint, Rule: body.Rule, Path: body.Path, Advisory: body.Advisory,
		Package: body.Package, Reason: body.Reason, Owner: body.Owner, CreatedBy: p.Name, CreatedAt: now}
	if body.Expires == "" {
		writeError(w, http.StatusBadRequest, "suppression", "expires is required: a date like 2026-12-31, at most "+
			strconv.Itoa(int(gatekeeper.MaxSuppressionAge.Hours()/24))+" days ahead")
		return
	}
	exp, err := gatekeeper.ParseExpiry(body.Expires)
	if err != nil {
		writeError(w, http.StatusBadRequest, "suppression", err.Error())
		return
	}
	x.Expires = exp
	if err := gatekeeper.CheckSuppression(x, now); err != nil {
		writeError(w, http.StatusBadRequest, "suppression", err.Error())
		return
	}
	if x.Fingerprint != "" {
		seen, err := gatekeeper.FingerprintSeen(ctx, s.o.Store, project, x.Fingerprint)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "store", err.Error())
			return
		}
		if !seen {
			writeError(w, http.StatusUnprocessableEntity, "unknown_fingerprint",
				"no run of project "+project+" reported a finding with fingerprint "+x.Fingerprint)
			return
		}
	}
	list, err := s.o.Store.Suppressions().ListSuppressions(ctx, project)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	for _, o := range list {
		if o.Active(now) && o.Fingerprint == x.Fingerprint && o.Rule == x.Rule && o.Path == x.Path && o.Advisory == x.Advisory && o.Package == x.Package {
			writeError(w, http.StatusConflict, "already_suppressed", fmt.Sprintf("suppression %d (owner %s, until %s) already selects these findings; revoke it first to change it",
				o.ID, o.Owner, o.Expires.Format(time.DateOnly)))
			return
		}
	}
	if err := s.o.Store.Suppressions().CreateSuppression(ctx, x, gatekeeper.SuppressionRecord(x, p.Name, "suppression.create", now)); err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, toSuppressionJSON(x, now))
}

// revokeSuppression revokes a project's stored suppression: the next gate
// decision no longer applies it.
func (s *Server) revokeSuppression(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ctx, project, now := r.Context(), r.PathValue("project"), s.o.Now()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusNotFound, "suppression", "no suppression "+r.PathValue("id")+" in project "+project)
		return
	}
	x, err := s.o.Store.Suppressions().GetSuppression(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && x.Project != project:
		writeError(w, http.StatusNotFound, "suppression", fmt.Sprintf("no suppression %d in project %s", id, project))
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	case !x.RevokedAt.IsZero():
		writeError(w, http.StatusConflict, "already_revoked", fmt.Sprintf("suppression %d was revoked by %s at %s", id, x.RevokedBy,
			x.RevokedAt.Format(time.RFC3339)))
		return
	}
	err = s.o.Store.Suppressions().RevokeSuppression(ctx, id, p.Name, now, gatekeeper.SuppressionRecord(x, p.Name, "suppression.revoke", now))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusConflict, "already_revoked", fmt.Sprintf("suppression %d was revoked meanwhile", id))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	x.RevokedAt, x.RevokedBy = now, p.Name
	writeJSON(w, http.StatusOK, toSuppressionJSON(x, now))
}
