package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Event and delivery headers.
const (
	headerGitHubEvent      = "X-GitHub-Event"
	headerGitHubDelivery   = "X-GitHub-Delivery"
	headerGiteaEvent       = "X-Gitea-Event"
	headerGiteaDelivery    = "X-Gitea-Delivery"
	headerGitLabEvent      = "X-Gitlab-Event"
	headerIdempotencyKey   = "Idempotency-Key"
	headerGitLabEventUUID  = "X-Gitlab-Event-UUID"
	headerRequestID        = "X-Request-Id"
	gitlabPushHook         = "Push Hook"
	gitlabTagPushHook      = "Tag Push Hook"
	gitlabMergeRequestHook = "Merge Request Hook"
)

// Parse turns a verified delivery into an Event. Call Verify first: Parse
// trusts nothing about the sender, but only Verify says who it is.
//
// The event kind comes from X-GitHub-Event, X-Gitea-Event or X-Gitlab-Event.
// Handled: GitHub push, pull_request, ping; Gitea push, pull_request, delete
// (reported as a push with Deleted set); GitLab "Push Hook", "Tag Push Hook",
// "Merge Request Hook". Anything else, a pull-request action that needs no
// build (labeled, assigned, approved, ...) and a push to a ref that is
// neither a branch nor a tag give ErrIgnoredEvent. Unknown JSON fields are
// ignored; malformed JSON and fields that fail validation give
// ErrInvalidPayload.
func Parse(provider string, h http.Header, body []byte) (*Event, error) {
	if !knownProvider(provider) {
		return nil, fmt.Errorf("parse %q webhook: %w (want github, gitea or gitlab)", provider, ErrUnknownProvider)
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("parse %s webhook: %w: %d bytes, limit %d", provider, ErrBodyTooLarge, len(body), MaxBody)
	}
	if h == nil {
		h = http.Header{}
	}
	var (
		e   *Event
		err error
	)
	switch provider {
	case GitHub:
		e, err = parseGitHub(h, body)
	case Gitea:
		e, err = parseGitea(h, body)
	default:
		e, err = parseGitLab(h, body)
	}
	if err != nil {
		return nil, fmt.Errorf("parse %s webhook: %w", provider, err)
	}
	e.Provider = provider
	return e, nil
}

// eventHeader returns the event kind header, or an error when it is absent.
func eventHeader(h http.Header, key string) (string, error) {
	v := strings.TrimSpace(h.Get(key))
	if v == "" {
		return "", fmt.Errorf("%w: no %s header; is the hook's content type application/json and the provider right?", ErrInvalidPayload, key)
	}
	return v, nil
}

// ignored reports an event kind sluice does not act on.
func ignored(header, kind string) error {
	return fmt.Errorf("%w: %s %q", ErrIgnoredEvent, header, clip(kind))
}

// decode unmarshals body into v. Unknown fields are fine: providers add
// fields to their payloads all the time.
func decode(body []byte, v any) error {
	if len(body) == 0 {
		return fmt.Errorf("%w: empty body", ErrInvalidPayload)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%w: malformed JSON at byte %d: %v", ErrInvalidPayload, se.Offset, err)
		}
		return fmt.Errorf("%w: JSON does not fit the expected payload: %v", ErrInvalidPayload, err)
	}
	return nil
}

// pushRef is what a push's ref says to build.
type pushRef struct {
	branch, tag string
}

// splitPushRef classifies a pushed ref: a branch, a tag, another valid ref
// (ignored), or an invalid one.
func splitPushRef(ref string) (pushRef, error) {
	if err := checkRef("ref", ref); err != nil {
		return pushRef{}, err
	}
	if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		return pushRef{branch: b}, nil
	}
	if t, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		return pushRef{tag: t}, nil
	}
	return pushRef{}, fmt.Errorf("%w: push to %q, which is neither a branch nor a tag", ErrIgnoredEvent, clip(ref))
}

// commit is a commit as push payloads list it.
type commit struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// messageOf returns the message of the commit whose id is sha, from head (if
// any) or the listed commits.
func messageOf(sha string, head *commit, commits []commit) string {
	if head != nil && strings.EqualFold(head.ID, sha) {
		return head.Message
	}
	for _, c := range commits {
		if strings.EqualFold(c.ID, sha) {
			return c.Message
		}
	}
	return ""
}

// push holds the provider-neutral facts of a push, checked by finishPush.
type push struct {
	delivery, repo, cloneURL, ref, after, actor string
	deleted                                     bool
	head                                        *commit
	commits                                     []commit
}

// finishPush validates p and builds its Event.
func finishPush(p push) (*Event, error) {
	pr, err := splitPushRef(p.ref)
	if err != nil {
		return nil, err
	}
	e := &Event{
		Kind:       KindPush,
		DeliveryID: p.delivery,
		Repo:       p.repo,
		CloneURL:   p.cloneURL,
		Ref:        p.ref,
		Branch:     pr.branch,
		Tag:        pr.tag,
		Actor:      p.actor,
		Deleted:    p.deleted || zeroSHA(p.after),
	}
	if err := checkCommon(e); err != nil {
		return nil, err
	}
	if e.Deleted {
		return e, nil
	}
	if e.Commit, err = normCommit("after", p.after); err != nil {
		return nil, err
	}
	e.Message = messageOf(e.Commit, p.head, p.commits)
	return e, nil
}

// checkCommon validates the fields every push and pull request carries.
func checkCommon(e *Event) error {
	if err := checkRepo("repository", e.Repo); err != nil {
		return err
	}
	if err := checkCloneURL("clone URL", e.CloneURL); err != nil {
		return err
	}
	return checkActor("actor", e.Actor)
}

// pull holds the provider-neutral facts of a pull request, checked by
// finishPull. action is already mapped onto the Action constants.
type pull struct {
	delivery, repo, cloneURL, refPrefix        string
	head, base, sha, action, actor, title, msg string
	number                                     int
	merged, fork                               bool
}

// finishPull validates p and builds its Event.
func finishPull(p pull) (*Event, error) {
	if p.number <= 0 {
		return nil, fmt.Errorf("%w: pull request number %d is not positive", ErrInvalidPayload, p.number)
	}
	e := &Event{
		Kind:       KindPullRequest,
		DeliveryID: p.delivery,
		Repo:       p.repo,
		CloneURL:   p.cloneURL,
		Ref:        fmt.Sprintf("%s%d/head", p.refPrefix, p.number),
		Branch:     p.head,
		BaseBranch: p.base,
		PRNumber:   p.number,
		PRAction:   p.action,
		Merged:     p.merged,
		Fork:       p.fork,
		Title:      p.title,
		Actor:      p.actor,
		Message:    p.msg,
	}
	if err := checkCommon(e); err != nil {
		return nil, err
	}
	if err := checkBranch("head branch", e.Branch); err != nil {
		return nil, err
	}
	if err := checkBranch("base branch", e.BaseBranch); err != nil {
		return nil, err
	}
	var err error
	if e.Commit, err = normCommit("head sha", p.sha); err != nil {
		return nil, err
	}
	return e, nil
}
