package auth

import (
	"errors"
	"fmt"
	"strings"
)

// Grant gives a role within a scope. An empty Project means every project
// and an empty Env every environment.
type Grant struct {
	// Role is one of RoleViewer, RoleDeveloper, RoleApprover, RoleAdmin.
	Role string `json:"role"`
	// Project limits the grant to one project; "" means all projects.
	Project string `json:"project,omitempty"`
	// Env limits the grant to one environment; "" means all environments.
	Env string `json:"env,omitempty"`
}

// Principal is the authenticated caller: the key it presented and the
// grants stored for that key.
type Principal struct {
	// KeyID is the id of the API key the request carried.
	KeyID string `json:"key_id"`
	// Name is the key's human-readable name, for audit records; for a
	// user's login session it is the user's name.
	Name string `json:"name"`
	// User is the user account whose login session the key is, or "".
	User string `json:"user,omitempty"`
	// Grants are the key's grants; the principal may do what any of them
	// allows.
	Grants []Grant `json:"grants"`
}

// ErrBadGrant reports a grant that cannot be stored or parsed.
var ErrBadGrant = errors.New("invalid grant")

// covers reports whether a grant scope ("" = all) covers a request scope.
// A request scope of "" means the action spans all projects (or all
// environments), so only an unscoped grant covers it: scoped grants fail
// closed.
func covers(grant, request string) bool {
	return grant == "" || grant == request
}

// Allows reports whether the grant alone allows action on project and env.
func (g Grant) Allows(action Action, project, env string) bool {
	return RoleAllows(g.Role, action) && covers(g.Project, project) && covers(g.Env, env)
}

// Can reports whether any of p's grants allows action on project in env.
//
// Pass the project and environment the action touches. Pass "" for one
// the action does not target (ManageKeys for all projects, ReadRuns for a
// run not tied to an environment): then only grants unscoped in that
// dimension match, so an approver granted for env "staging" can approve
// only requests naming "staging", never "production" and never "".
// Unknown roles and actions allow nothing.
func (p Principal) Can(action Action, project, env string) bool {
	for _, g := range p.Grants {
		if g.Allows(action, project, env) {
			return true
		}
	}
	return false
}

// CanGrant reports whether p may create a key holding g: p needs
// ManageKeys in g's scope and, for every action g's role allows, that
// action in g's scope. This stops a project admin from minting a key for
// all projects, or any key holder from minting more than it has.
func (p Principal) CanGrant(g Grant) bool { return p.canGrant(ManageKeys, g) }

// CanGrantUser is CanGrant for a user account holding g: p needs
// ManageUsers (not ManageKeys) in g's scope and, as for a key, every
// action g's role allows there.
func (p Principal) CanGrantUser(g Grant) bool { return p.canGrant(ManageUsers, g) }

func (p Principal) canGrant(manage Action, g Grant) bool {
	if g.Validate() != nil || !p.Can(manage, g.Project, g.Env) {
		return false
	}
	for _, a := range permissions[g.Role] {
		if !p.Can(a, g.Project, g.Env) {
			return false
		}
	}
	return true
}

// Validate checks the role and that project and env are usable names:
// no surrounding spaces, control characters, '@', '/' or '*' (all
// projects is "", not "*").
func (g Grant) Validate() error {
	if !ValidRole(g.Role) {
		return fmt.Errorf("%w: unknown role %q: use one of %s", ErrBadGrant, g.Role, strings.Join(Roles(), ", "))
	}
	if err := validScope("project", g.Project); err != nil {
		return err
	}
	return validScope("env", g.Env)
}

func validScope(what, s string) error {
	if s == "*" {
		return fmt.Errorf("%w: %s %q: leave it empty to mean all", ErrBadGrant, what, s)
	}
	if strings.TrimSpace(s) != s {
		return fmt.Errorf("%w: %s %q has leading or trailing spaces", ErrBadGrant, what, s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '@' || r == '/' || r == '*' {
			return fmt.Errorf("%w: %s %q may not contain %q", ErrBadGrant, what, s, r)
		}
	}
	return nil
}

// String writes the grant as ParseGrant reads it: role, role@project or
// role@project/env, with "*" for all projects when only env is scoped.
func (g Grant) String() string {
	switch {
	case g.Project == "" && g.Env == "":
		return g.Role
	case g.Env == "":
		return g.Role + "@" + g.Project
	case g.Project == "":
		return g.Role + "@*/" + g.Env
	default:
		return g.Role + "@" + g.Project + "/" + g.Env
	}
}

// ParseGrant reads a grant written as role, role@project,
// role@project/env or role@*/env ("*" = all projects, "" or "*" after
// the slash = all environments), e.g. "approver@web/production".
func ParseGrant(s string) (Grant, error) {
	var g Grant
	role, scope, scoped := strings.Cut(s, "@")
	g.Role = role
	if scoped {
		project, env, _ := strings.Cut(scope, "/")
		if project == "" {
			return Grant{}, fmt.Errorf("%w: %q: write role@project[/env], or role@*/env for every project", ErrBadGrant, s)
		}
		if project != "*" {
			g.Project = project
		}
		if env != "*" {
			g.Env = env
		}
	}
	if err := g.Validate(); err != nil {
		return Grant{}, err
	}
	return g, nil
}
