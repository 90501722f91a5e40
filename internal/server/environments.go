package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
)

// envReleaseJSON is a release as the environment routes show it.
type envReleaseJSON struct {
	ID       string    `json:"id"`
	Version  string    `json:"version"`
	State    string    `json:"state"`
	Strategy string    `json:"strategy"`
	Digest   string    `json:"digest"`
	Weight   int       `json:"weight"`
	Request  string    `json:"request,omitempty"`
	Message  string    `json:"message,omitempty"`
	Updated  time.Time `json:"updated_at"`
}

// listEnvironments lists the environments ever deployed to that the key
// may read, with their live, previous and candidate releases.
func (s *Server) listEnvironments(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	states, err := s.o.Store.Releases().ListEnvs(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	type env struct {
		Env       string          `json:"env"`
		Listen    string          `json:"listen,omitempty"`
		Live      *envReleaseJSON `json:"live"`
		Previous  *envReleaseJSON `json:"previous"`
		Candidate *envReleaseJSON `json:"candidate"`
		Updated   time.Time       `json:"updated_at"`
	}
	out := []env{}
	for _, es := range states {
		name := es.Env
		if !p.Can(auth.ReadReleases, "", name) {
			continue
		}
		e := env{Env: name, Listen: es.Listen, Updated: es.UpdatedAt}
		if e.Live, err = s.envRelease(r.Context(), es.Live); err == nil {
			if e.Previous, err = s.envRelease(r.Context(), es.Previous); err == nil {
				e.Candidate, err = s.envRelease(r.Context(), es.Candidate)
			}
		}
		if err != nil {
			writeError(w, http.StatusInternalServerError, "store", err.Error())
			return
		}
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"environments": out})
}

// envRelease reads release id; nil for "" (and for a release the store
// lost, which the environment then simply does not show).
func (s *Server) envRelease(ctx context.Context, id string) (*envReleaseJSON, error) {
	if id == "" {
		return nil, nil
	}
	x, err := s.o.Store.Releases().GetRelease(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &envReleaseJSON{ID: x.ID, Version: x.Version, State: x.State, Strategy: x.Strategy, Digest: x.Digest, Weight: x.Weight,
		Request: x.Request, Message: x.Message, Updated: x.UpdatedAt}, nil
}
