package auth

import "slices"

// Roles, from least to most trusted. The order is for display only:
// approver is deliberately not a superset of developer (see Permissions).
const (
	// RoleViewer reads runs, releases and findings.
	RoleViewer = "viewer"
	// RoleDeveloper reads, runs pipelines (trigger, rerun, cancel),
	// lists secret names, and reads and writes Terraform states.
	RoleDeveloper = "developer"
	// RoleApprover reads, approves or rejects releases, rolls back,
	// suppresses findings and reads the audit log. It cannot run pipelines.
	RoleApprover = "approver"
	// RoleAdmin may do everything, including managing keys, secrets and
	// projects and deploying directly.
	RoleAdmin = "admin"
)

// Action is one thing a principal may be allowed to do. The server checks
// exactly one Action per endpoint with Principal.Can.
type Action string

// The actions of the control plane API.
const (
	// ReadRuns lists runs and reads their steps and logs.
	ReadRuns Action = "runs:read"
	// TriggerRun starts a pipeline run.
	TriggerRun Action = "runs:trigger"
	// RerunRun starts a run again, whole or from a failed step.
	RerunRun Action = "runs:rerun"
	// CancelRun cancels a running run.
	CancelRun Action = "runs:cancel"
	// ReadReleases lists releases, their gates and evidence.
	ReadReleases Action = "releases:read"
	// Approve approves or rejects a release waiting at a gate, and
	// promotes a rollout in progress (a canary to all traffic): both let
	// a release through on a person's judgement.
	Approve Action = "releases:approve"
	// Deploy releases an artifact to an environment directly, outside a
	// pipeline run. Deploys inside a run need only TriggerRun, and still
	// stop at their gates.
	Deploy Action = "releases:deploy"
	// Rollback returns an environment to its previous release, or aborts
	// a rollout in progress back to the live one.
	Rollback Action = "releases:rollback"
	// ReadFindings lists scan findings.
	ReadFindings Action = "findings:read"
	// SuppressFinding accepts the risk of a finding so it no longer fails
	// a gate.
	SuppressFinding Action = "findings:suppress"
	// ReadAudit reads the audit log.
	ReadAudit Action = "audit:read"
	// ReadSecrets lists secret names and metadata. No action reads secret
	// values through the API.
	ReadSecrets Action = "secrets:read"
	// ManageSecrets creates, replaces and deletes secrets.
	ManageSecrets Action = "secrets:manage"
	// ManageKeys creates, lists and revokes API keys.
	ManageKeys Action = "keys:manage"
	// ManageProjects creates, changes and deletes projects.
	ManageProjects Action = "projects:manage"
	// ManageUsers creates, lists and disables user accounts and sets
	// their passwords.
	ManageUsers Action = "users:manage"
	// ReadTFState reads the Terraform states sluice keeps as their
	// backend — their content holds whatever secrets the resources have —
	// and their versions and diffs.
	ReadTFState Action = "tfstate:read"
	// WriteTFState writes Terraform states, locks and unlocks them (with
	// the lock's id) and restores an earlier version.
	WriteTFState Action = "tfstate:write"
	// ManageTFState releases a state's lock without its id (force-unlock)
	// and deletes a state's current version.
	ManageTFState Action = "tfstate:manage"
)

var allActions = []Action{
	ReadRuns, TriggerRun, RerunRun, CancelRun,
	ReadReleases, Approve, Deploy, Rollback,
	ReadFindings, SuppressFinding, ReadAudit,
	ReadSecrets, ManageSecrets, ManageKeys, ManageProjects, ManageUsers,
	ReadTFState, WriteTFState, ManageTFState,
}

var (
	viewerActions    = []Action{ReadRuns, ReadReleases, ReadFindings}
	developerActions = append(slices.Clone(viewerActions), TriggerRun, RerunRun, CancelRun, ReadSecrets, ReadTFState, WriteTFState)
	approverActions  = append(slices.Clone(viewerActions), Approve, Rollback, SuppressFinding, ReadAudit)
)

// permissions is the role matrix. It is the single source of truth; the
// roles table in docs/auth.md is checked against it by a test.
var permissions = map[string][]Action{
	RoleViewer:    viewerActions,
	RoleDeveloper: developerActions,
	RoleApprover:  approverActions,
	RoleAdmin:     allActions,
}

// Actions returns every action, in a stable order for display.
func Actions() []Action { return slices.Clone(allActions) }

// Roles returns the role names from least to most trusted.
func Roles() []string { return []string{RoleViewer, RoleDeveloper, RoleApprover, RoleAdmin} }

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool {
	_, ok := permissions[role]
	return ok
}

// Permissions returns the actions role allows, or nil for an unknown role.
//
//	action             viewer developer approver admin
//	runs:read            x       x        x       x
//	runs:trigger                 x                x
//	runs:rerun                   x                x
//	runs:cancel                  x                x
//	releases:read        x       x        x       x
//	releases:approve                      x       x
//	releases:deploy                               x
//	releases:rollback                     x       x
//	findings:read        x       x        x       x
//	findings:suppress                     x       x
//	audit:read                            x       x
//	secrets:read                 x                x
//	secrets:manage                                x
//	keys:manage                                   x
//	projects:manage                               x
//	users:manage                                  x
//	tfstate:read                 x                x
//	tfstate:write                x                x
//	tfstate:manage                                x
//
// Approver and developer are split on purpose (least privilege): a CI key
// that runs pipelines cannot also approve what it ran, and an approver's
// key cannot start new work. A person who needs both holds two grants. Suppressing a finding is a risk decision, so it sits with the
// approver, not with the developer whose code raised it. Terraform
// states go with running pipelines (CI applies them) and hold secrets in
// the clear, so neither viewers nor approvers read them; releasing
// someone else's lock without its id, or deleting a state, is an admin's.
func Permissions(role string) []Action { return slices.Clone(permissions[role]) }

// RoleAllows reports whether role allows action.
func RoleAllows(role string, action Action) bool {
	return slices.Contains(permissions[role], action)
}
