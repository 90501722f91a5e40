package server

import (
	"net/http"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
)

// grantJSON is one grant of a key and what it allows in its scope.
type grantJSON struct {
	// Grant is the grant as written: role, role@project or
	// role@project/env.
	Grant string `json:"grant"`
	Role  string `json:"role"`
	// Project and Env are the scope; "" means all.
	Project string        `json:"project,omitempty"`
	Env     string        `json:"env,omitempty"`
	Actions []auth.Action `json:"actions"`
}

// whoami answers who the calling key is and what its grants allow, so a
// client can show who is logged in and hide what the key may not do. The
// API enforces the grants on every call regardless.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	out := struct {
		KeyID   string      `json:"key_id"`
		Name    string      `json:"name"`
		User    string      `json:"user,omitempty"`
		Grants  []grantJSON `json:"grants"`
		Created *time.Time  `json:"created_at,omitempty"`
		Expires *time.Time  `json:"expires_at,omitempty"`
	}{KeyID: p.KeyID, Name: p.Name, User: p.User, Grants: []grantJSON{}}
	for _, g := range p.Grants {
		out.Grants = append(out.Grants, grantJSON{Grant: g.String(), Role: g.Role, Project: g.Project, Env: g.Env, Actions: auth.Permissions(g.Role)})
	}
	if k, err := s.o.Store.Control().GetKey(r.Context(), p.KeyID); err == nil {
		out.Created, out.Expires = timePtr(k.CreatedAt), timePtr(k.ExpiresAt)
	}
	writeJSON(w, http.StatusOK, out)
}
