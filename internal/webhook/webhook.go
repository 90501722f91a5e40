// Package webhook verifies and parses the push and pull-request webhooks that
// GitHub, Gitea and GitLab send to sluice's control plane.
//
// The package is pure: it reads the headers and body handed to it and never
// touches the network, the store or the clock (ReplayCache takes the time as
// an argument). The HTTP server calls, in order:
//
//  1. read at most MaxBody bytes of the body;
//  2. Verify, before anything of the body is trusted;
//  3. Parse, which turns the body into an Event or says why it is ignored;
//  4. ReplayCache.Seen with Event.ReplayKey, to refuse a delivery seen before.
//
// Errors are sentinels wrapped with detail, for errors.Is and one mapping to
// HTTP status: ErrUnknownProvider 404, ErrNoSecret 500, ErrMissingSignature
// and ErrBadSignature 401, ErrBodyTooLarge 413, ErrInvalidPayload 400,
// ErrIgnoredEvent 202. No error text ever holds the secret or the signature
// the secret would have produced.
package webhook

import "errors"

// MaxBody is the largest webhook body accepted, in bytes. The caller enforces
// it while reading (http.MaxBytesReader); Verify and Parse check it again.
// GitHub caps its payloads at 25 MiB, so nothing legitimate is refused.
const MaxBody = 25 << 20

// Providers understood by Verify and Parse.
const (
	GitHub = "github"
	Gitea  = "gitea"
	GitLab = "gitlab"
)

// Event kinds.
const (
	KindPush        = "push"
	KindPullRequest = "pull_request"
	KindPing        = "ping"
)

// Pull-request actions, in GitHub's words; Gitea and GitLab actions are
// mapped onto these (see Event.PRAction).
const (
	ActionOpened         = "opened"
	ActionSynchronize    = "synchronize"
	ActionReopened       = "reopened"
	ActionClosed         = "closed"
	ActionEdited         = "edited"
	ActionReadyForReview = "ready_for_review"
)

// Sentinel errors. Every error returned by this package wraps exactly one.
var (
	// ErrUnknownProvider: the provider is not "github", "gitea" or "gitlab".
	ErrUnknownProvider = errors.New("unknown webhook provider")
	// ErrNoSecret: Verify was called with an empty secret. Refusing is the
	// only safe answer, since anyone can compute an HMAC under an empty key.
	ErrNoSecret = errors.New("no webhook secret configured")
	// ErrMissingSignature: the request carries no signature or token header.
	ErrMissingSignature = errors.New("webhook signature missing")
	// ErrBadSignature: the signature or token does not match the secret.
	ErrBadSignature = errors.New("webhook signature does not match")
	// ErrBodyTooLarge: the body is larger than MaxBody.
	ErrBodyTooLarge = errors.New("webhook body too large")
	// ErrInvalidPayload: the body is not valid JSON, or a field fails
	// validation (commit SHA, ref, repository name, clone URL, delivery id).
	ErrInvalidPayload = errors.New("invalid webhook payload")
	// ErrIgnoredEvent: a well-formed delivery sluice does not act on (an
	// event kind other than push, pull request or ping; a pull-request action
	// such as "labeled"; a push to a ref that is neither branch nor tag).
	// The server answers 202 Accepted and does nothing.
	ErrIgnoredEvent = errors.New("webhook event ignored")
)

// Event is a verified delivery reduced to what triggers a run. Every string
// came from the sender: fields that name things (Repo, Branch, Tag, Commit,
// CloneURL, DeliveryID) are validated by Parse, while Actor, Title and
// Message are free text that must be escaped wherever they are shown.
type Event struct {
	// Provider is GitHub, Gitea or GitLab.
	Provider string
	// Kind is KindPush, KindPullRequest or KindPing (GitHub only; GitLab and
	// Gitea test deliveries arrive as pushes).
	Kind string
	// DeliveryID identifies the delivery, for refusing replays. GitHub:
	// X-GitHub-Delivery. Gitea: X-Gitea-Delivery. GitLab: Idempotency-Key
	// (GitLab 17.4+, the same on every retry of one delivery), else
	// X-Gitlab-Event-UUID, else X-Request-Id. Always non-empty.
	DeliveryID string
	// Repo is the repository's full name: "owner/name", or for GitLab
	// "group/subgroup/name". For a pull request it is the base (target)
	// repository. Empty only for a ping from an organisation hook.
	Repo string
	// CloneURL is the http(s) clone URL of Repo. For a pull request from a
	// fork it is still the base repository; fetch Ref from it.
	CloneURL string
	// Ref is the full ref to fetch: refs/heads/x, refs/tags/v1, or for a pull
	// request refs/pull/N/head (GitHub, Gitea) or refs/merge-requests/N/head
	// (GitLab), which the base repository serves even for forks.
	Ref string
	// Branch is the pushed branch (refs/heads/x gives x), or a pull request's
	// head (source) branch. Empty for tags.
	Branch string
	// Tag is the pushed tag (refs/tags/v1 gives v1). Empty for branches.
	Tag string
	// Commit is the exact lowercase SHA to build (40 hex, or 64 for SHA-256
	// repositories): a push's "after" (GitLab: checkout_sha, which is the
	// commit even for an annotated tag), a pull request's head SHA. Empty
	// when Deleted and for pings.
	Commit string
	// BaseBranch is a pull request's base (target) branch.
	BaseBranch string
	// PRNumber is the pull request's number (GitLab: the merge request iid).
	PRNumber int
	// PRAction is one of the Action constants. GitLab's open, reopen, close
	// and merge map to opened, reopened, closed and closed (Merged set);
	// update maps to synchronize when it brought new commits, to
	// ready_for_review when it cleared the draft flag, otherwise to edited.
	// Gitea's "synchronized" maps to synchronize.
	PRAction string
	// Merged is true for a pull request closed by merging it.
	Merged bool
	// Fork is true when a pull request's head lives in another repository
	// than its base: its code is untrusted, so it must not see secrets.
	Fork bool
	// Title is a pull request's title.
	Title string
	// Actor is who caused the event: the sender's login (GitHub, Gitea) or
	// user_username / user.username (GitLab).
	Actor string
	// Deleted is true when the push deleted Branch or Tag: nothing to build.
	// Gitea reports deletions as a separate "delete" event, which Parse
	// turns into a push with Deleted set.
	Deleted bool
	// Message is the head commit's message, when the payload carries it
	// (pushes; GitLab merge requests).
	Message string
}

// ReplayKey is the key to hand to ReplayCache.Seen: the provider and the
// delivery id, so ids from different providers never collide.
func (e *Event) ReplayKey() string {
	return e.Provider + ":" + e.DeliveryID
}
