package webhook

import (
	"fmt"
	"net/http"
	"strings"
)

// GitLab payload types; only the fields sluice uses are declared.

type glProject struct {
	PathWithNamespace string `json:"path_with_namespace"`
	GitHTTPURL        string `json:"git_http_url"`
}

// glPush is a "Push Hook" or "Tag Push Hook" payload.
type glPush struct {
	ObjectKind   string     `json:"object_kind"`
	Ref          string     `json:"ref"`
	After        string     `json:"after"`
	CheckoutSHA  string     `json:"checkout_sha"` // null when the ref was deleted
	UserUsername string     `json:"user_username"`
	Project      *glProject `json:"project"`
	Commits      []commit   `json:"commits"`
}

// glChange is one entry of a merge request's "changes" whose values are
// booleans.
type glChange struct {
	Previous bool `json:"previous"`
	Current  bool `json:"current"`
}

// glMerge is a "Merge Request Hook" payload.
type glMerge struct {
	ObjectKind string `json:"object_kind"`
	User       *struct {
		Username string `json:"username"`
	} `json:"user"`
	Project          *glProject `json:"project"`
	ObjectAttributes *struct {
		IID             int     `json:"iid"`
		Title           string  `json:"title"`
		Action          string  `json:"action"`
		SourceBranch    string  `json:"source_branch"`
		TargetBranch    string  `json:"target_branch"`
		SourceProjectID int     `json:"source_project_id"`
		TargetProjectID int     `json:"target_project_id"`
		OldRev          string  `json:"oldrev"` // set by an update that pushed commits
		LastCommit      *commit `json:"last_commit"`
	} `json:"object_attributes"`
	Changes *struct {
		Draft          *glChange `json:"draft"`
		WorkInProgress *glChange `json:"work_in_progress"` // before GitLab 14
	} `json:"changes"`
}

func parseGitLab(h http.Header, body []byte) (*Event, error) {
	kind, err := eventHeader(h, headerGitLabEvent)
	if err != nil {
		return nil, err
	}
	var wantKind string
	switch kind {
	case gitlabPushHook:
		wantKind = "push"
	case gitlabTagPushHook:
		wantKind = "tag_push"
	case gitlabMergeRequestHook:
		wantKind = "merge_request"
	default:
		return nil, ignored(headerGitLabEvent, kind)
	}
	idHeader, id := gitlabDelivery(h)
	if err := checkDeliveryID(idHeader, id); err != nil {
		return nil, err
	}
	if kind == gitlabMergeRequestHook {
		return parseGLMerge(id, body)
	}
	var p glPush
	if err := decode(body, &p); err != nil {
		return nil, err
	}
	if p.ObjectKind != wantKind {
		return nil, fmt.Errorf("%w: %s %q carries object_kind %q, want %q", ErrInvalidPayload, headerGitLabEvent, kind, clip(p.ObjectKind), wantKind)
	}
	repo, cloneURL := glRepoOf(p.Project)
	// checkout_sha is the commit even when after is an annotated tag object.
	after := p.After
	if p.CheckoutSHA != "" && !zeroSHA(p.After) {
		after = p.CheckoutSHA
	}
	return finishPush(push{
		delivery: id, repo: repo, cloneURL: cloneURL, ref: p.Ref, after: after,
		actor: p.UserUsername, commits: p.Commits,
	})
}

// gitlabDelivery returns the header naming the delivery and its value.
// Idempotency-Key (GitLab 17.4+) stays the same on every retry of one
// delivery, so it is preferred; X-Gitlab-Event-UUID and X-Request-Id serve
// older servers.
func gitlabDelivery(h http.Header) (header, id string) {
	for _, k := range []string{headerIdempotencyKey, headerGitLabEventUUID, headerRequestID} {
		if v := strings.TrimSpace(h.Get(k)); v != "" {
			return k, v
		}
	}
	return headerGitLabEventUUID, ""
}

func parseGLMerge(id string, body []byte) (*Event, error) {
	var m glMerge
	if err := decode(body, &m); err != nil {
		return nil, err
	}
	if m.ObjectKind != "merge_request" {
		return nil, fmt.Errorf("%w: %s %q carries object_kind %q, want %q", ErrInvalidPayload, headerGitLabEvent, gitlabMergeRequestHook, clip(m.ObjectKind), "merge_request")
	}
	a := m.ObjectAttributes
	if a == nil {
		return nil, fmt.Errorf("%w: no object_attributes object", ErrInvalidPayload)
	}
	action, merged := "", false
	switch a.Action {
	case "open":
		action = ActionOpened
	case "reopen":
		action = ActionReopened
	case "close":
		action = ActionClosed
	case "merge":
		action, merged = ActionClosed, true
	case "update":
		action = ActionEdited
		switch {
		case a.OldRev != "":
			action = ActionSynchronize
		case m.Changes != nil && draftCleared(m.Changes.Draft, m.Changes.WorkInProgress):
			action = ActionReadyForReview
		}
	default: // approved, unapproved, approval, unapproval, ...
		return nil, fmt.Errorf("%w: merge request action %q needs no build", ErrIgnoredEvent, clip(a.Action))
	}
	repo, cloneURL := glRepoOf(m.Project)
	var sha, msg string
	if a.LastCommit != nil {
		sha, msg = a.LastCommit.ID, a.LastCommit.Message
	}
	actor := ""
	if m.User != nil {
		actor = m.User.Username
	}
	return finishPull(pull{
		delivery: id, repo: repo, cloneURL: cloneURL, refPrefix: "refs/merge-requests/",
		head: a.SourceBranch, base: a.TargetBranch, sha: sha, action: action,
		actor: actor, title: a.Title, msg: msg, number: a.IID,
		merged: merged,
		// Without both project ids, assume the worst: a fork.
		fork: a.SourceProjectID == 0 || a.SourceProjectID != a.TargetProjectID,
	})
}

// draftCleared reports whether an update took the merge request out of
// draft.
func draftCleared(changes ...*glChange) bool {
	for _, c := range changes {
		if c != nil && c.Previous && !c.Current {
			return true
		}
	}
	return false
}

func glRepoOf(p *glProject) (fullName, cloneURL string) {
	if p == nil {
		return "", ""
	}
	return p.PathWithNamespace, p.GitHTTPURL
}
