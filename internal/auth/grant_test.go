package auth

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestCan(t *testing.T) {
	type row struct {
		grant        Grant
		action       Action
		project, env string
		allowed      bool
	}
	viewer := Grant{Role: RoleViewer}
	dev := Grant{Role: RoleDeveloper, Project: "web"}
	approverStaging := Grant{Role: RoleApprover, Env: "staging"}
	approverWebProd := Grant{Role: RoleApprover, Project: "web", Env: "production"}
	admin := Grant{Role: RoleAdmin}
	adminWeb := Grant{Role: RoleAdmin, Project: "web"}
	rows := []row{
		{viewer, ReadRuns, "web", "", true},
		{viewer, ReadRuns, "", "", true},
		{viewer, ReadFindings, "api", "production", true},
		{viewer, ReadReleases, "api", "staging", true},
		{viewer, TriggerRun, "web", "", false},
		{viewer, Approve, "web", "staging", false},
		{viewer, ReadAudit, "web", "", false},
		{viewer, ReadSecrets, "web", "", false},

		{dev, ReadRuns, "web", "", true},
		{dev, TriggerRun, "web", "", true},
		{dev, RerunRun, "web", "", true},
		{dev, CancelRun, "web", "", true},
		{dev, ReadSecrets, "web", "", true},
		{dev, TriggerRun, "api", "", false}, // other project
		{dev, TriggerRun, "", "", false},    // all projects needs an unscoped grant
		{dev, TriggerRun, "web", "staging", true},
		{dev, Approve, "web", "staging", false}, // developer does not approve
		{dev, SuppressFinding, "web", "", false},
		{dev, Deploy, "web", "staging", false},
		{dev, Rollback, "web", "production", false},
		{dev, ManageSecrets, "web", "", false},

		{approverStaging, Approve, "web", "staging", true},
		{approverStaging, Approve, "api", "staging", true},
		{approverStaging, Approve, "web", "production", false}, // the brief's example
		{approverStaging, Approve, "web", "", false},           // env-scoped fails closed
		{approverStaging, Rollback, "web", "staging", true},
		{approverStaging, ReadReleases, "web", "staging", true},
		{approverStaging, ReadRuns, "web", "production", false},
		{approverStaging, TriggerRun, "web", "staging", false}, // approver does not run pipelines
		{approverStaging, CancelRun, "web", "staging", false},
		{approverStaging, SuppressFinding, "web", "staging", true},
		{approverStaging, ManageKeys, "web", "staging", false},
		{approverWebProd, Approve, "web", "production", true},
		{approverWebProd, Approve, "api", "production", false},
		{approverWebProd, Approve, "web", "staging", false},
		{approverWebProd, ReadAudit, "web", "production", true},

		{admin, ManageKeys, "", "", true},
		{admin, ManageProjects, "", "", true},
		{admin, ManageSecrets, "web", "production", true},
		{admin, Deploy, "web", "production", true},
		{admin, TriggerRun, "web", "", true},
		{admin, Approve, "web", "production", true},
		{admin, Action("runs:explode"), "web", "", false},
		{adminWeb, ManageKeys, "web", "", true},
		{adminWeb, ManageKeys, "", "", false},
		{adminWeb, ManageProjects, "api", "", false},

		{Grant{Role: "root"}, ReadRuns, "web", "", false},
		{Grant{Role: "Admin"}, ReadRuns, "web", "", false},
		{Grant{}, ReadRuns, "", "", false},
	}
	for _, r := range rows {
		p := Principal{KeyID: "abcdefgh2345", Grants: []Grant{r.grant}}
		if got := p.Can(r.action, r.project, r.env); got != r.allowed {
			t.Errorf("%s: Can(%s, %q, %q) = %v, want %v", r.grant, r.action, r.project, r.env, got, r.allowed)
		}
	}
}

func TestCanCombinesGrants(t *testing.T) {
	p := Principal{Grants: []Grant{{Role: RoleDeveloper, Project: "web"}, {Role: RoleApprover, Project: "web", Env: "staging"}}}
	if !p.Can(TriggerRun, "web", "") || !p.Can(Approve, "web", "staging") {
		t.Fatal("a principal should hold the union of its grants")
	}
	if p.Can(Approve, "web", "production") || p.Can(TriggerRun, "api", "") {
		t.Fatal("union leaked outside the grants' scopes")
	}
	if (Principal{}).Can(ReadRuns, "web", "") {
		t.Fatal("a principal with no grants can do nothing")
	}
}

func TestRoleMatrixInvariants(t *testing.T) {
	for _, a := range Actions() {
		if !RoleAllows(RoleAdmin, a) {
			t.Errorf("admin lacks %s", a)
		}
		for _, r := range []string{RoleDeveloper, RoleApprover} {
			if RoleAllows(RoleViewer, a) && !RoleAllows(r, a) {
				t.Errorf("%s lacks viewer's %s", r, a)
			}
		}
	}
	for _, a := range []Action{TriggerRun, RerunRun, CancelRun} {
		if RoleAllows(RoleApprover, a) {
			t.Errorf("approver may %s: approver must not run pipelines", a)
		}
	}
	if RoleAllows(RoleDeveloper, Approve) || RoleAllows(RoleDeveloper, SuppressFinding) {
		t.Error("developer may approve or suppress")
	}
	for _, a := range []Action{ManageKeys, ManageSecrets, ManageProjects, Deploy} {
		for _, r := range []string{RoleViewer, RoleDeveloper, RoleApprover} {
			if RoleAllows(r, a) {
				t.Errorf("%s may %s, which is admin only", r, a)
			}
		}
	}
	if Permissions("nobody") != nil || ValidRole("nobody") {
		t.Error("unknown role has permissions")
	}
	// Permissions returns a copy.
	p := Permissions(RoleViewer)
	p[0] = ManageKeys
	if RoleAllows(RoleViewer, ManageKeys) {
		t.Error("Permissions exposed the matrix")
	}
}

// TestDocsRoleTable checks that the roles table in docs/auth.md says what
// the code does.
func TestDocsRoleTable(t *testing.T) {
	b, err := os.ReadFile("../../docs/auth.md")
	if err != nil {
		t.Fatalf("read the user docs: %v", err)
	}
	documented := map[Action]bool{}
	for line := range strings.Lines(string(b)) {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		name, _, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(cells[0]), "`"), "`")
		if !ok || !slices.Contains(Actions(), Action(name)) || len(cells) != 6 {
			continue
		}
		a := Action(name)
		documented[a] = true
		for i, role := range Roles() {
			cell := strings.TrimSpace(cells[2+i])
			if want := RoleAllows(role, a); (cell == "yes") != want || (cell != "yes" && cell != "") {
				t.Errorf("docs/auth.md: %s for %s says %q, code allows=%v", a, role, cell, want)
			}
		}
	}
	for _, a := range Actions() {
		if !documented[a] {
			t.Errorf("docs/auth.md roles table lacks %s", a)
		}
	}
}

func TestGrantParseAndString(t *testing.T) {
	for in, want := range map[string]Grant{
		"viewer":                  {Role: RoleViewer},
		"developer@web":           {Role: RoleDeveloper, Project: "web"},
		"approver@web/production": {Role: RoleApprover, Project: "web", Env: "production"},
		"approver@*/staging":      {Role: RoleApprover, Env: "staging"},
		"admin@*":                 {Role: RoleAdmin},
		"admin@web/*":             {Role: RoleAdmin, Project: "web"},
		"admin@web/":              {Role: RoleAdmin, Project: "web"},
	} {
		g, err := ParseGrant(in)
		if err != nil {
			t.Errorf("ParseGrant(%q): %v", in, err)
			continue
		}
		if g != want {
			t.Errorf("ParseGrant(%q) = %+v, want %+v", in, g, want)
		}
		back, err := ParseGrant(g.String())
		if err != nil || back != g {
			t.Errorf("ParseGrant(%q.String() = %q) = %+v, %v", in, g.String(), back, err)
		}
	}
	for _, in := range []string{"", "root", "Admin", "viewer@", "viewer@/prod", "viewer@web/a/b", "viewer@we b ", "viewer@web@x", "viewer@web/pr*d", "viewer@web\n"} {
		if _, err := ParseGrant(in); !errors.Is(err, ErrBadGrant) {
			t.Errorf("ParseGrant(%q) err = %v, want ErrBadGrant", in, err)
		}
	}
	if err := (Grant{Role: RoleViewer, Project: "*"}).Validate(); !errors.Is(err, ErrBadGrant) {
		t.Errorf("project \"*\" accepted: %v", err)
	}
}

func TestCanGrant(t *testing.T) {
	admin := Principal{Grants: []Grant{{Role: RoleAdmin}}}
	webAdmin := Principal{Grants: []Grant{{Role: RoleAdmin, Project: "web"}}}
	dev := Principal{Grants: []Grant{{Role: RoleDeveloper}}}
	cases := []struct {
		who  Principal
		g    Grant
		want bool
	}{
		{admin, Grant{Role: RoleAdmin}, true},
		{admin, Grant{Role: RoleApprover, Project: "web", Env: "production"}, true},
		{webAdmin, Grant{Role: RoleDeveloper, Project: "web"}, true},
		{webAdmin, Grant{Role: RoleAdmin, Project: "web", Env: "staging"}, true},
		{webAdmin, Grant{Role: RoleDeveloper}, false},              // all projects
		{webAdmin, Grant{Role: RoleViewer, Project: "api"}, false}, // other project
		{dev, Grant{Role: RoleViewer}, false},                      // no ManageKeys
		{admin, Grant{Role: "root"}, false},                        // invalid
	}
	for _, c := range cases {
		if got := c.who.CanGrant(c.g); got != c.want {
			t.Errorf("%v CanGrant(%s) = %v, want %v", c.who.Grants, c.g, got, c.want)
		}
	}
}
