// Package store defines what sluice persists and the per-entity interfaces to
// persist it. Implementations live in sub-packages (sqlstore: SQLite, and
// PostgreSQL later); every method takes a context first and is safe for
// concurrent use by many goroutines.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when the asked-for entity does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when an entity with the same key already exists.
var ErrConflict = errors.New("conflict")

// ErrAmbiguous is returned when a reference (such as a run ID prefix) matches
// more than one entity.
var ErrAmbiguous = errors.New("ambiguous")

// Status is the state of a run, a job or a step.
type Status string

// The states a run, job or step can be in. Pending and Running are not final.
const (
	StatusPending     Status = "pending"
	StatusRunning     Status = "running"
	StatusSucceeded   Status = "succeeded"
	StatusFailed      Status = "failed"
	StatusSkipped     Status = "skipped"
	StatusCancelled   Status = "cancelled"
	StatusInterrupted Status = "interrupted"
)

// Final reports whether s is an end state.
func (s Status) Final() bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusSkipped, StatusCancelled, StatusInterrupted:
		return true
	}
	return false
}

// Run is one execution of a pipeline.
type Run struct {
	// ID is a short random identifier; Number counts runs in this store from 1.
	ID     string
	Number int64
	// Project is the control plane's project the run belongs to ("" for a
	// run started in a workspace with sluice run).
	Project string
	// Pipeline is the pipeline's name; File the path it was read from.
	Pipeline string
	File     string
	// Spec is the pipeline file's content as run, so a resume runs the same file.
	Spec []byte
	// Workdir is the absolute path of the workspace the run executes in.
	Workdir     string
	Status      Status
	Event       string // manual, push, pull_request, schedule
	Branch      string
	Commit      string
	Environment string
	Actor       string
	// Vars are the --var values given to the run.
	Vars map[string]string
	// SecretNames are the names of the secrets given to the run; values are
	// never stored.
	SecretNames []string
	// SelectedJobs are the --job ids the run was limited to (empty: all).
	SelectedJobs []string
	// PID and Host identify the sluice process executing the run, so a later
	// process can tell a crashed run from a live one.
	PID        int
	Host       string
	Attempt    int // 1 for the first execution, +1 per resume
	Error      string
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
}

// Job is one (matrix-expanded) job of a run.
type Job struct {
	RunID string
	// ID is the expanded job id, e.g. "test" or "test[go=1.22]".
	ID   string
	Name string
	// Needs are the expanded ids this job waits for.
	Needs  []string
	Matrix map[string]string
	Status Status
	// Reason says why the job was skipped, failed or interrupted.
	Reason     string
	ExitCode   int
	Outputs    map[string]string
	Attempt    int
	StartedAt  time.Time
	FinishedAt time.Time
}

// Step is one step of a job of a run.
type Step struct {
	RunID string
	JobID string
	Index int
	Name  string
	// Status of the step's last attempt.
	Status   Status
	Reason   string
	ExitCode int
	// Attempts counts tries, including retries.
	Attempts int
	// PGID is the process group of the step's process while it runs, so a
	// restarted sluice can kill what a crashed one left behind.
	PGID       int
	StartedAt  time.Time
	FinishedAt time.Time
}

// Stream names where a log line came from.
type Stream string

// Log streams.
const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
	// System lines are written by sluice itself (retries, timeouts, truncation).
	System Stream = "system"
)

// LogLine is one line of a step's output, already masked.
type LogLine struct {
	RunID string
	JobID string
	Step  int
	// Seq orders lines within a job; it is assigned by the store on append and
	// strictly increases.
	Seq    int64
	Time   time.Time
	Stream Stream
	Text   string
}

// Artifact is a file a job saved for the jobs that need it.
type Artifact struct {
	RunID string
	JobID string
	// Path is relative to the workspace, with forward slashes.
	Path   string
	Size   int64
	SHA256 string
	Mode   uint32
	// StoredPath is where the store keeps the file's copy.
	StoredPath string
}

// RunFilter narrows ListRuns. Zero values mean "any".
type RunFilter struct {
	Status []Status
	Limit  int
}

// LogQuery selects log lines of a run, optionally of one job, after a sequence.
type LogQuery struct {
	RunID    string
	JobID    string // empty: every job, ordered by job then Seq
	AfterSeq int64
	Limit    int // 0: no limit
}

// RunStore persists runs.
type RunStore interface {
	// CreateRun stores r, assigning r.Number and, when empty, r.ID (and
	// r.CreatedAt when zero). An ID of digits only is refused; an ID already
	// stored gives ErrConflict.
	CreateRun(ctx context.Context, r *Run) error
	// GetRun finds a run by number when ref is a decimal number, else by
	// exact ID, else by unique ID prefix (ErrAmbiguous when several match).
	GetRun(ctx context.Context, ref string) (*Run, error)
	// ListRuns returns the runs f selects, newest (highest Number) first.
	ListRuns(ctx context.Context, f RunFilter) ([]*Run, error)
	// UpdateRun writes every mutable field of r.
	UpdateRun(ctx context.Context, r *Run) error
}

// JobStore persists the jobs of runs.
type JobStore interface {
	// PutJobs inserts or replaces jobs (all of one run).
	PutJobs(ctx context.Context, jobs []*Job) error
	UpdateJob(ctx context.Context, j *Job) error
	GetJob(ctx context.Context, runID, jobID string) (*Job, error)
	// ListJobs returns a run's jobs in insertion order.
	ListJobs(ctx context.Context, runID string) ([]*Job, error)
}

// StepStore persists the steps of jobs.
type StepStore interface {
	// PutStep inserts or replaces the step (RunID, JobID, Index).
	PutStep(ctx context.Context, s *Step) error
	// ListSteps returns a job's steps by index; jobID empty lists the run's.
	ListSteps(ctx context.Context, runID, jobID string) ([]*Step, error)
}

// LogStore persists log lines.
type LogStore interface {
	// AppendLogs stores lines (all of one job) and assigns their Seq.
	AppendLogs(ctx context.Context, lines []*LogLine) error
	ReadLogs(ctx context.Context, q LogQuery) ([]*LogLine, error)
}

// ArtifactStore records artifacts; the files themselves live under the
// store's data folder (see Store.ArtifactDir).
type ArtifactStore interface {
	PutArtifact(ctx context.Context, a *Artifact) error
	ListArtifacts(ctx context.Context, runID, jobID string) ([]*Artifact, error)
}

// Store gives access to every entity store. Close releases it.
type Store interface {
	Runs() RunStore
	Jobs() JobStore
	Steps() StepStore
	Logs() LogStore
	Artifacts() ArtifactStore
	Evidence() EvidenceStore
	Decisions() DecisionStore
	Audit() AuditStore
	Releases() ReleaseStore
	Approvals() ApprovalStore
	Control() ControlStore
	Secrets() SecretStore
	Suppressions() SuppressionStore
	// TFState keeps Terraform states (sluice as their http backend).
	TFState() TFStateStore
	// ArtifactDir is the folder where artifact copies of a run's job are kept.
	ArtifactDir(runID, jobID string) string
	Close() error
}

// Evidence is a report a job produced that a gate judges: for now the JSON
// scan report of a scan: job. Body is kept byte for byte; Digest
// ("sha256:…") is computed over it by the store.
type Evidence struct {
	RunID string
	JobID string
	// Kind says what Body is: "scan" for a JSON scan report.
	Kind      string
	Digest    string
	Body      []byte
	CreatedAt time.Time
}

// Decision is a gate decision as recorded: which environment, the outcome,
// the digests of every input it was made from, and the whole decision as
// JSON. Decisions are never changed once stored.
type Decision struct {
	// ID is assigned by the store, increasing.
	ID      int64
	RunID   string
	JobID   string // the job the gate admitted or refused; empty for sluice gate
	Env     string
	Outcome string
	Actor   string
	// Digests of the inputs: findings, policy, suppressions, artifact …
	Digests   map[string]string
	Body      []byte
	CreatedAt time.Time
}

// AuditRecord is one entry of the tamper-evident audit trail. The store
// assigns Seq, Time (when zero), PrevHash and Hash on append; see AuditHash.
type AuditRecord struct {
	Seq     int64
	Time    time.Time
	Actor   string
	Action  string // run.start, run.finish, gate.decide, …
	Subject string // what the action was on: "run/<id>", "env/<name>" …
	Data    map[string]string
	// PrevHash is the previous record's Hash ("" for the first record).
	PrevHash string
	Hash     string
}

// AuditQuery selects audit records. Zero values mean "any".
type AuditQuery struct {
	// SubjectPrefix keeps records whose Subject starts with it.
	SubjectPrefix string
	AfterSeq      int64
	Limit         int
}

// EvidenceStore keeps the evidence of runs.
type EvidenceStore interface {
	// PutEvidence stores e, replacing the evidence of the same (RunID,
	// JobID, Kind), and sets e.Digest and e.CreatedAt (when zero). The run
	// must be stored, else ErrNotFound.
	PutEvidence(ctx context.Context, e *Evidence) error
	// ListEvidence returns a run's evidence ordered by job and kind.
	ListEvidence(ctx context.Context, runID string) ([]*Evidence, error)
}

// DecisionStore keeps gate decisions.
type DecisionStore interface {
	// PutDecision appends d and sets d.ID (and d.CreatedAt when zero).
	PutDecision(ctx context.Context, d *Decision) error
	// ListDecisions returns a run's decisions, oldest first.
	ListDecisions(ctx context.Context, runID string) ([]*Decision, error)
}

// AuditStore keeps the audit trail: append-only, each record chained to
// the one before by its hash, so an edit or deletion shows on VerifyAudit.
type AuditStore interface {
	// AppendAudit appends r atomically after the last record (also when
	// several processes append at once) and fills in its Seq, Time,
	// PrevHash and Hash.
	AppendAudit(ctx context.Context, r *AuditRecord) error
	// ListAudit returns the records q selects, by Seq.
	ListAudit(ctx context.Context, q AuditQuery) ([]*AuditRecord, error)
}

// Release states. A release is final once it is Superseded, RolledBack,
// Aborted or Failed; Live stays until the next release replaces it.
const (
	ReleasePending     = "pending"     // created, nothing started
	ReleaseStarting    = "starting"    // its instances are starting
	ReleaseVerifying   = "verifying"   // smoke tests against its own address
	ReleaseProgressing = "progressing" // traffic moving to it (canary steps, rolling batches)
	ReleasePaused      = "paused"      // waiting for a person: sluice promote or abort
	ReleaseMonitoring  = "monitoring"  // all traffic; the monitor window is open
	ReleaseLive        = "live"        // the environment's live release
	ReleaseSuperseded  = "superseded"  // was live, replaced by a newer release
	ReleaseRollingBack = "rolling_back"
	ReleaseRolledBack  = "rolled_back"
	ReleaseAborted     = "aborted"
	ReleaseFailed      = "failed"
)

// ReleaseFinal reports whether a release in state s will not change again.
func ReleaseFinal(s string) bool {
	switch s {
	case ReleaseSuperseded, ReleaseRolledBack, ReleaseAborted, ReleaseFailed:
		return true
	}
	return false
}

// Release is an artifact (by digest) with its configuration, deployed to
// an environment, and where its rollout stands.
type Release struct {
	ID      string
	Env     string
	Version string
	// Artifact is the stored copy of the artifact; Digest its "sha256:…".
	Artifact string
	Digest   string
	// RunID is the pipeline run that produced the release, if any.
	RunID    string
	Strategy string
	// Config is the resolved deploy configuration (JSON), so a resumed or
	// rolled-back release runs exactly as it was deployed.
	Config []byte
	State  string
	// Step is the canary step or rolling batch reached; Weight the share
	// of traffic (percent) the release has.
	Step   int
	Weight int
	// Message says why the release is in its state.
	Message string
	// Request is what a person asked of the release from another process:
	// "promote", "abort" or "" — the controller acts on it.
	Request   string
	Actor     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Instance is one running replica of a release. Data is the target's own
// record of it (for the local target: PID, start time, port), JSON.
type Instance struct {
	ReleaseID string
	Replica   int
	State     string // starting, healthy, stopped, crashed
	Addr      string
	Data      []byte
	UpdatedAt time.Time
}

// EnvState is where an environment stands: its live release, the previous
// one kept warm for rollback, the candidate being rolled out, and the
// gateway address it is served on.
type EnvState struct {
	Env       string
	Live      string
	Previous  string
	Candidate string
	Listen    string
	UpdatedAt time.Time
}

// Quarantine marks an artifact digest bad in an environment: a release of
// it was rolled back or aborted. It is not deployed there again without an
// explicit override.
type Quarantine struct {
	Env       string
	Digest    string
	ReleaseID string
	Reason    string
	CreatedAt time.Time
}

// ReleaseStore keeps releases, their instances, environment state and the
// quarantine. Changes that matter carry an audit record written in the
// same transaction.
type ReleaseStore interface {
	// CreateRelease stores r (ID required, unique) and audit in one
	// transaction.
	CreateRelease(ctx context.Context, r *Release, audit *AuditRecord) error
	GetRelease(ctx context.Context, id string) (*Release, error)
	// UpdateRelease writes every mutable field of r (and audit, when not
	// nil) in one transaction.
	UpdateRelease(ctx context.Context, r *Release, audit *AuditRecord) error
	// SetReleaseRequest records a person's request (promote, abort) for the
	// controller, with its audit record.
	SetReleaseRequest(ctx context.Context, id, request string, audit *AuditRecord) error
	// ListReleases returns env's releases, newest first (limit 0: all).
	ListReleases(ctx context.Context, env string, limit int) ([]*Release, error)
	PutInstance(ctx context.Context, in *Instance) error
	ListInstances(ctx context.Context, releaseID string) ([]*Instance, error)
	// GetEnv returns env's state; an environment never deployed to gives
	// ErrNotFound.
	GetEnv(ctx context.Context, env string) (*EnvState, error)
	// ListEnvs returns the state of every environment ever deployed to,
	// by name.
	ListEnvs(ctx context.Context) ([]*EnvState, error)
	// PutEnv writes env's state (and audit, when not nil) in one transaction.
	PutEnv(ctx context.Context, e *EnvState, audit *AuditRecord) error
	PutQuarantine(ctx context.Context, q *Quarantine) error
	// GetQuarantine returns the quarantine of digest in env, or ErrNotFound.
	GetQuarantine(ctx context.Context, env, digest string) (*Quarantine, error)
}

// Approval request states.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
	ApprovalExpired  = "expired"
)

// ApprovalRequest is a run waiting for people to let it into an
// environment: how many must approve, who may, and until when.
type ApprovalRequest struct {
	RunID string
	Env   string
	JobID string
	Min   int
	Roles []string
	// NotAuthor forbids Author (who triggered or pushed the change) to
	// approve.
	NotAuthor bool
	Author    string
	Deadline  time.Time
	State     string
	CreatedAt time.Time
	DecidedAt time.Time
}

// Approval is one person's verdict on a request.
type Approval struct {
	RunID    string
	Env      string
	Approver string
	// Role is the role the approver acted in ("local" for the data
	// folder's owner on the command line).
	Role      string
	Verdict   string // approve or reject
	Comment   string
	CreatedAt time.Time
}

// ApprovalStore keeps approval requests and verdicts.
type ApprovalStore interface {
	// RequestApproval creates or replaces the request of (RunID, Env),
	// with its audit record.
	RequestApproval(ctx context.Context, r *ApprovalRequest, audit *AuditRecord) error
	GetApprovalRequest(ctx context.Context, runID, env string) (*ApprovalRequest, error)
	// ListApprovalRequests returns requests in state (all when ""),
	// newest first.
	ListApprovalRequests(ctx context.Context, state string) ([]*ApprovalRequest, error)
	// PutApproval records a verdict with its audit record; ErrConflict
	// when the approver already gave one for the request.
	PutApproval(ctx context.Context, a *Approval, audit *AuditRecord) error
	// ListApprovals returns a run's verdicts (of env, or all when ""),
	// oldest first.
	ListApprovals(ctx context.Context, runID, env string) ([]*Approval, error)
	// SetApprovalState ends a request (approved, rejected, expired).
	SetApprovalState(ctx context.Context, runID, env, state string, audit *AuditRecord) error
}

// APIKey is a credential of the control plane's API. Only the hash of its
// secret is stored; SigningKey (sealed with the server's key) verifies
// HMAC-signed requests.
type APIKey struct {
	ID   string
	Name string
	Hash string
	// Grants are role[@project[/env]] strings (auth.ParseGrant).
	Grants     []string
	SigningKey []byte
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
	// User is the user account this key is a login session of, "" for a
	// key made with sluice keys or the keys API. Disabling the user or
	// setting their password revokes it.
	User string
}

// Project is a repository the control plane builds: where to fetch it, and
// the webhook secret (sealed) its deliveries are signed with.
type Project struct {
	Name string
	// Repo is a git URL (https://…) or a local path to a repository.
	Repo string
	// Pipeline is the pipeline file's path in the repository.
	Pipeline string
	// WebhookSecret is sealed with the server's key.
	WebhookSecret []byte
	CreatedAt     time.Time
}

// ControlStore keeps what the control plane needs beyond runs: API keys,
// projects and the webhook deliveries seen (to refuse replays).
type ControlStore interface {
	CreateKey(ctx context.Context, k *APIKey, audit *AuditRecord) error
	GetKey(ctx context.Context, id string) (*APIKey, error)
	ListKeys(ctx context.Context) ([]*APIKey, error)
	// TouchKey records a key's use.
	TouchKey(ctx context.Context, id string, at time.Time) error
	RevokeKey(ctx context.Context, id string, at time.Time, audit *AuditRecord) error
	// UpdateSigningKey replaces a key's sealed signing key (key rotation).
	UpdateSigningKey(ctx context.Context, id string, sealed []byte) error
	PutProject(ctx context.Context, p *Project, audit *AuditRecord) error
	GetProject(ctx context.Context, name string) (*Project, error)
	ListProjects(ctx context.Context) ([]*Project, error)
	// RecordDelivery stores a webhook delivery id; ErrConflict when it was
	// seen before (a replay).
	RecordDelivery(ctx context.Context, provider, id string, at time.Time) error
	// AcquireLease takes or renews the lease name for holder until now+ttl
	// and reports whether holder has it: false while another holder's
	// lease has not expired. Several control planes on one database elect
	// one scheduler this way.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	UserStore
}

// Secret is a stored secret: its value sealed (encrypted and
// authenticated) with the server key named by KeyID, scoped to a project
// and an environment ("" for every one).
type Secret struct {
	Project   string
	Env       string
	Name      string
	Sealed    []byte
	KeyID     string
	UpdatedBy string
	UpdatedAt time.Time
}

// SecretStore keeps sealed secrets. Values never leave it unsealed; the
// caller seals and opens them.
type SecretStore interface {
	// PutSecret creates or replaces a secret, with its audit record.
	PutSecret(ctx context.Context, s *Secret, audit *AuditRecord) error
	// GetSecret returns one secret, or ErrNotFound.
	GetSecret(ctx context.Context, project, env, name string) (*Secret, error)
	// ListSecrets returns every secret, by project, env and name.
	ListSecrets(ctx context.Context) ([]*Secret, error)
	// DeleteSecret removes a secret (ErrNotFound when there is none).
	DeleteSecret(ctx context.Context, project, env, name string, audit *AuditRecord) error
}
