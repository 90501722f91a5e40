package server

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/tfstate"
)

// tfstateRoutes are Terraform's http backend protocol and what goes with
// it, for states of no project (/api/v1/tfstate/{name}: only grants
// without a project reach them) and states of a project
// (/api/v1/projects/{project}/tfstate/{name}: grants of that project do).
// Terraform sends LOCK and UNLOCK unless lock_method and unlock_method say
// otherwise; POST and DELETE on the lock do the same. Terraform
// authenticates with HTTP Basic: the password is an API key.
func (s *Server) tfstateRoutes() []route {
	rs := []route{{Method: "GET", Path: "/api/v1/tfstate", Summary: "The Terraform states the key may read (of no project and of projects), with their current serial and lock", Action: auth.ReadTFState, Filtered: true, Basic: true, Handle: s.listTFStates}}
	for _, prefix := range []string{"/api/v1/tfstate/{name}", "/api/v1/projects/{project}/tfstate/{name}"} {
		rs = append(rs,
			route{Method: "GET", Path: prefix, Summary: "Terraform http backend: the state's current version (204 when it has none)", Action: auth.ReadTFState, Handle: s.getTFState},
			route{Method: "POST", Path: prefix, Summary: "Terraform http backend: store the body as the state's next version (?ID= the lock id when locked); 409 for a stale serial or another lineage, 423 while locked by another", Action: auth.WriteTFState, Handle: s.postTFState},
			route{Method: "DELETE", Path: prefix, Summary: "Drop the state's current version (every version is kept); 423 while locked", Action: auth.ManageTFState, Handle: s.deleteTFState},
			route{Method: "LOCK", Path: prefix + "/lock", Summary: "Terraform http backend: take the state's lock with Terraform's lock info; 423 with the holder's lock info when held", Action: auth.WriteTFState, Handle: s.lockTFState},
			route{Method: "POST", Path: prefix + "/lock", Summary: "As LOCK, for lock_method = \"POST\"", Action: auth.WriteTFState, Handle: s.lockTFState},
			route{Method: "UNLOCK", Path: prefix + "/lock", Summary: "Terraform http backend: release the state's lock (the body's ID must be the lock's: 409 otherwise); ?force=true, or no lock id at all (terraform force-unlock), releases any lock and needs tfstate:manage", Action: auth.WriteTFState, Handle: s.unlockTFState},
			route{Method: "DELETE", Path: prefix + "/lock", Summary: "As UNLOCK, for unlock_method = \"DELETE\"", Action: auth.WriteTFState, Handle: s.unlockTFState},
			route{Method: "GET", Path: prefix + "/versions", Summary: "The state's versions (serial, lineage, sha256, size, actor, time) and its lock", Action: auth.ReadTFState, Handle: s.tfStateVersions},
			route{Method: "GET", Path: prefix + "/versions/{version}", Summary: "One version's content", Action: auth.ReadTFState, Handle: s.getTFStateVersion},
			route{Method: "GET", Path: prefix + "/diff", Summary: "The resources and outputs added, removed and changed (attribute names only) between ?from=A and ?to=B (default: the current version)", Action: auth.ReadTFState, Handle: s.diffTFState},
			route{Method: "POST", Path: prefix + "/restore", Summary: "Make an earlier version ({\"version\": N}) current again, as a new version with the next serial; 423 while locked", Action: auth.WriteTFState, Handle: s.restoreTFState},
		)
	}
	for i := range rs {
		rs[i].Basic = true
	}
	return rs
}

// basicAsBearer lets Terraform's http backend authenticate: it sends its
// username and password as HTTP Basic auth, and the password is an API
// key. The username is not checked (Terraform sends credentials only when
// one is set). The key then goes through the same check as a bearer key.
func basicAsBearer(r *http.Request) {
	if _, pass, ok := r.BasicAuth(); ok {
		r.Header.Set("Authorization", "Bearer "+pass)
	}
}

func (s *Server) tfBackend() *tfstate.Backend {
	return &tfstate.Backend{Store: s.o.Store, Key: s.o.SealKey, Now: s.o.Now}
}

// tfRef reads the state's project and name from the path; false when it
// answered 400.
func tfRef(w http.ResponseWriter, r *http.Request) (tfstate.Ref, bool) {
	if r.URL.Query().Has("env") {
		// serve scopes a route by ?env=; a state belongs to no
		// environment, so an environment's grant must not reach it.
		writeError(w, http.StatusBadRequest, "tfstate_env", "Terraform states belong to no environment: leave out ?env=")
		return tfstate.Ref{}, false
	}
	ref, err := tfstate.NewRef(r.PathValue("project"), r.PathValue("name"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "tfstate_name", err.Error())
		return ref, false
	}
	return ref, true
}

// tfError answers for an error of the backend, in one place: a lock held
// by another is 423 (Locked), a lock id that does not match and a stale
// or foreign write 409, bad input 400, nothing there 404.
func tfError(w http.ResponseWriter, err error) {
	var (
		le *store.TFLockError
		se *store.TFStaleError
	)
	switch {
	case errors.As(err, &le) && le.Held != nil && le.Given == "":
		writeError(w, http.StatusLocked, "tfstate_locked", le.Error())
	case errors.As(err, &le):
		writeError(w, http.StatusConflict, "tfstate_lock_mismatch", le.Error())
	case errors.As(err, &se):
		writeError(w, http.StatusConflict, "tfstate_stale", se.Reason)
	case errors.Is(err, tfstate.ErrBadInput):
		writeError(w, http.StatusBadRequest, "tfstate_bad_input", err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "tfstate_not_found", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "store", err.Error())
	}
}

// readBody reads a request body of at most limit bytes; false when it
// answered 413 or 400.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the body is larger than "+strconv.FormatInt(limit, 10)+" bytes")
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "bad_body", "the body cannot be read: "+err.Error())
		return nil, false
	}
	return body, true
}

func writeState(w http.ResponseWriter, content []byte, v *store.TFStateVersion) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Sluice-TFState-Version", strconv.FormatInt(v.Version, 10))
	w.Header().Set("X-Sluice-TFState-Serial", strconv.FormatInt(v.Serial, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(content) // #nosec G705 -- a JSON state, served as application/json with nosniff, never as HTML
}

func (s *Server) getTFState(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ref, ok := tfRef(w, r)
	if !ok {
		return
	}
	content, v, err := s.tfBackend().Read(r.Context(), ref, 0, p.Name)
	if errors.Is(err, store.ErrNotFound) {
		// Terraform's http backend reads 204 as "no state yet".
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		tfError(w, err)
		return
	}
	writeState(w, content, v)
}

func (s *Server) postTFState(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ref, ok := tfRef(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r, tfstate.MaxStateSize)
	if !ok {
		return
	}
	v, stored, err := s.tfBackend().Write(r.Context(), ref, body, r.URL.Query().Get("ID"), p.Name)
	if err != nil {
		tfError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": ref.String(), "version": v.Version, "serial": v.Serial, "stored": stored})
}

func (s *Server) deleteTFState(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ref, ok := tfRef(w, r)
	if !ok {
		return
	}
	if err := s.tfBackend().Delete(r.Context(), ref, p.Name); err != nil {
		tfError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": ref.String(), "deleted": true})
}

func (s *Server) lockTFState(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ref, ok := tfRef(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r, tfstate.MaxLockInfoSize)
	if !ok {
		return
	}
	li, err := s.tfBackend().Lock(r.Context(), ref, body, p.Name)
	var le *store.TFLockError
	if errors.As(err, &le) && le.Held != nil {
		// Terraform reads the holder's lock info from the body, and names
		// it in its error.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusLocked)
		_, _ = w.Write(tfstate.LockInfoOf(le.Held))
		return
	}
	if err != nil {
		tfError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, li)
}

func (s *Server) unlockTFState(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ref, ok := tfRef(w, r)
	if !ok {
		return
	}
	force := r.URL.Query().Get("force") == "true"
	id := r.URL.Query().Get("ID")
	if !force {
		body, ok := readBody(w, r, tfstate.MaxLockInfoSize)
		if !ok {
			return
		}
		if len(strings.TrimSpace(string(body))) > 0 {
			li, err := tfstate.ParseLockInfo(body)
			if err != nil {
				tfError(w, err)
				return
			}
			id = li.ID
		}
		// terraform force-unlock ID sends no lock info at all: without an
		// id to check, releasing the lock is a force-unlock.
		force = id == ""
	}
	if force && !p.Can(auth.ManageTFState, ref.Project, "") {
		s.deny(w, r, p, auth.ManageTFState, ref.Project, "")
		return
	}
	held, err := s.tfBackend().Unlock(r.Context(), ref, id, force, p.Name)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusConflict, "tfstate_not_locked", "no lock is held on "+ref.String())
		return
	}
	if err != nil {
		tfError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": ref.String(), "unlocked": held.ID, "forced": force})
}

// tfLockJSON is a held lock as the API shows it.
type tfLockJSON struct {
	ID      string           `json:"id"`
	Info    tfstate.LockInfo `json:"info"`
	Actor   string           `json:"actor"`
	Created time.Time        `json:"created_at"`
}

func toLockJSON(l *store.TFLock) *tfLockJSON {
	if l == nil {
		return nil
	}
	li, _ := tfstate.ParseLockInfo(tfstate.LockInfoOf(l))
	return &tfLockJSON{ID: l.ID, Info: li, Actor: l.Actor, Created: l.CreatedAt}
}

// tfStateJSON is a state as the API lists it.
type tfStateJSON struct {
	Project string      `json:"project,omitempty"`
	Name    string      `json:"name"`
	Version int64       `json:"version"`
	Serial  int64       `json:"serial"`
	Lineage string      `json:"lineage,omitempty"`
	SHA256  string      `json:"sha256,omitempty"`
	Size    int64       `json:"size"`
	By      string      `json:"updated_by,omitempty"`
	Updated *time.Time  `json:"updated_at,omitempty"`
	Lock    *tfLockJSON `json:"lock"`
}

func toStateJSON(x *store.TFState) tfStateJSON {
	return tfStateJSON{Project: x.Project, Name: x.Name, Version: x.Version, Serial: x.Serial, Lineage: x.Lineage, SHA256: x.SHA256,
		Size: x.Size, By: x.UpdatedBy, Updated: timePtr(x.UpdatedAt), Lock: toLockJSON(x.Lock)}
}

func (s *Server) listTFStates(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	all, err := s.o.Store.TFState().ListTFStates(r.Context())
	if err != nil {
		tfError(w, err)
		return
	}
	out := []tfStateJSON{}
	for _, x := range all {
		if p.Can(auth.ReadTFState, x.Project, "") {
			out = append(out, toStateJSON(x))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"states": out})
}

func (s *Server) tfStateVersions(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	ref, ok := tfRef(w, r)
	if !ok {
		return
	}
	st, err := s.o.Store.TFState().GetTFState(r.Context(), ref.Project, ref.Name)
	if err != nil {
		tfError(w, err)
		return
	}
	vs, err := s.o.Store.TFState().ListTFStateVersions(r.Context(), ref.Project, ref.Name)
	if err != nil {
		tfError(w, err)
		return
	}
	type version struct {
		Version  int64     `json:"version"`
		Serial   int64     `json:"serial"`
		Lineage  string    `json:"lineage"`
		SHA256   string    `json:"sha256"`
		Size     int64     `json:"size"`
		Actor    string    `json:"actor"`
		Restored int64     `json:"restored_from,omitempty"`
		Created  time.Time `json:"created_at"`
	}
	out := []version{}
	for _, v := range vs {
		out = append(out, version{v.Version, v.Serial, v.Lineage, v.SHA256, v.Size, v.Actor, v.RestoredFrom, v.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": toStateJSON(st), "versions": out})
}

func (s *Server) getTFStateVersion(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ref, ok := tfRef(w, r)
	if !ok {
		return
	}
	n, err := tfstate.VersionArg(r.PathValue("version"))
	if err != nil {
		tfError(w, err)
		return
	}
	content, v, err := s.tfBackend().Read(r.Context(), ref, n, p.Name)
	if err != nil {
		tfError(w, err)
		return
	}
	writeState(w, content, v)
}

func (s *Server) diffTFState(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ref, ok := tfRef(w, r)
	if !ok {
		return
	}
	var from, to int64
	var err error
	if from, err = tfstate.VersionArg(r.URL.Query().Get("from")); err != nil {
		tfError(w, err)
		return
	}
	if q := r.URL.Query().Get("to"); q != "" {
		if to, err = tfstate.VersionArg(q); err != nil {
			tfError(w, err)
			return
		}
	}
	c, err := s.tfBackend().DiffVersions(r.Context(), ref, from, to, p.Name)
	if err != nil {
		tfError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) restoreTFState(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ref, ok := tfRef(w, r)
	if !ok {
		return
	}
	var body struct {
		Version int64 `json:"version"`
	}
	if !decode(w, r, &body) {
		return
	}
	v, err := s.tfBackend().Restore(r.Context(), ref, body.Version, p.Name)
	if err != nil {
		tfError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": ref.String(), "version": v.Version, "serial": v.Serial, "restored_from": v.RestoredFrom})
}
