package webhook

import (
	"fmt"
	"net/http"
	"strings"
)

// GitHub and Gitea payloads share their shape (Gitea modelled its hooks on
// GitHub's), so one set of types decodes both. Only the fields sluice uses
// are declared.

type ghRepo struct {
	FullName string `json:"full_name"`
	CloneURL string `json:"clone_url"`
}

type ghUser struct {
	Login string `json:"login"`
}

type ghPush struct {
	Ref        string   `json:"ref"`
	After      string   `json:"after"`
	Deleted    bool     `json:"deleted"`
	HeadCommit *commit  `json:"head_commit"`
	Commits    []commit `json:"commits"`
	Repository *ghRepo  `json:"repository"`
	Pusher     *struct {
		Name     string `json:"name"`     // GitHub: the login
		Login    string `json:"login"`    // Gitea
		Username string `json:"username"` // Gitea
	} `json:"pusher"`
	Sender *ghUser `json:"sender"`
}

type ghBranch struct {
	Ref  string  `json:"ref"`
	SHA  string  `json:"sha"`
	Repo *ghRepo `json:"repo"`
}

type ghPull struct {
	Action      string `json:"action"`
	Number      int    `json:"number"`
	PullRequest *struct {
		Number int      `json:"number"`
		Title  string   `json:"title"`
		Merged bool     `json:"merged"`
		Head   ghBranch `json:"head"`
		Base   ghBranch `json:"base"`
	} `json:"pull_request"`
	Repository *ghRepo `json:"repository"`
	Sender     *ghUser `json:"sender"`
}

// giteaDelete is Gitea's "delete" event, sent instead of a push when a
// branch or tag is deleted.
type giteaDelete struct {
	Ref        string  `json:"ref"`
	RefType    string  `json:"ref_type"`
	Repository *ghRepo `json:"repository"`
	Sender     *ghUser `json:"sender"`
}

type ghPing struct {
	Repository *ghRepo `json:"repository"`
	Sender     *ghUser `json:"sender"`
}

// githubActions are the pull-request actions that may need a build or a
// cleanup; GitHub sends many more (labeled, assigned, ...).
var githubActions = map[string]string{
	"opened":           ActionOpened,
	"synchronize":      ActionSynchronize,
	"reopened":         ActionReopened,
	"closed":           ActionClosed,
	"edited":           ActionEdited,
	"ready_for_review": ActionReadyForReview,
}

// giteaActions maps Gitea's pull-request actions; it says "synchronized".
var giteaActions = map[string]string{
	"opened":       ActionOpened,
	"synchronized": ActionSynchronize,
	"reopened":     ActionReopened,
	"closed":       ActionClosed,
	"edited":       ActionEdited,
}

func parseGitHub(h http.Header, body []byte) (*Event, error) {
	kind, err := eventHeader(h, headerGitHubEvent)
	if err != nil {
		return nil, err
	}
	if kind != KindPush && kind != KindPullRequest && kind != KindPing {
		return nil, ignored(headerGitHubEvent, kind)
	}
	id := strings.TrimSpace(h.Get(headerGitHubDelivery))
	if err := checkDeliveryID(headerGitHubDelivery, id); err != nil {
		return nil, err
	}
	switch kind {
	case KindPush:
		return parseGHPush(id, body)
	case KindPullRequest:
		return parseGHPull(id, body, githubActions)
	default:
		return parseGHPing(id, body)
	}
}

func parseGitea(h http.Header, body []byte) (*Event, error) {
	kind, err := eventHeader(h, headerGiteaEvent)
	if err != nil {
		return nil, err
	}
	if kind != KindPush && kind != KindPullRequest && kind != "delete" {
		return nil, ignored(headerGiteaEvent, kind)
	}
	id := strings.TrimSpace(h.Get(headerGiteaDelivery))
	if err := checkDeliveryID(headerGiteaDelivery, id); err != nil {
		return nil, err
	}
	switch kind {
	case KindPush:
		return parseGHPush(id, body)
	case KindPullRequest:
		return parseGHPull(id, body, giteaActions)
	default:
		return parseGiteaDelete(id, body)
	}
}

func parseGHPush(id string, body []byte) (*Event, error) {
	var p ghPush
	if err := decode(body, &p); err != nil {
		return nil, err
	}
	repo, cloneURL := repoOf(p.Repository)
	actor := loginOf(p.Sender)
	if actor == "" && p.Pusher != nil {
		actor = firstNonEmpty(p.Pusher.Login, p.Pusher.Username, p.Pusher.Name)
	}
	return finishPush(push{
		delivery: id, repo: repo, cloneURL: cloneURL, ref: p.Ref, after: p.After,
		actor: actor, deleted: p.Deleted, head: p.HeadCommit, commits: p.Commits,
	})
}

func parseGHPull(id string, body []byte, actions map[string]string) (*Event, error) {
	var p ghPull
	if err := decode(body, &p); err != nil {
		return nil, err
	}
	action, ok := actions[p.Action]
	if !ok {
		return nil, fmt.Errorf("%w: pull request action %q needs no build", ErrIgnoredEvent, clip(p.Action))
	}
	pr := p.PullRequest
	if pr == nil {
		return nil, fmt.Errorf("%w: no pull_request object", ErrInvalidPayload)
	}
	number := pr.Number
	if number == 0 {
		number = p.Number
	}
	if p.Number != 0 && p.Number != number {
		return nil, fmt.Errorf("%w: number %d and pull_request.number %d differ", ErrInvalidPayload, p.Number, number)
	}
	repo, cloneURL := repoOf(p.Repository)
	// A head repository that is gone (deleted fork) counts as a fork.
	fork := pr.Head.Repo == nil || !strings.EqualFold(pr.Head.Repo.FullName, repo)
	return finishPull(pull{
		delivery: id, repo: repo, cloneURL: cloneURL, refPrefix: "refs/pull/",
		head: pr.Head.Ref, base: pr.Base.Ref, sha: pr.Head.SHA, action: action,
		actor: loginOf(p.Sender), title: pr.Title, number: number,
		merged: pr.Merged && action == ActionClosed, fork: fork,
	})
}

func parseGiteaDelete(id string, body []byte) (*Event, error) {
	var d giteaDelete
	if err := decode(body, &d); err != nil {
		return nil, err
	}
	ref := d.Ref
	if !strings.HasPrefix(ref, "refs/") {
		switch d.RefType {
		case "branch":
			ref = "refs/heads/" + ref
		case "tag":
			ref = "refs/tags/" + ref
		default:
			return nil, fmt.Errorf("%w: delete of ref_type %q", ErrIgnoredEvent, clip(d.RefType))
		}
	}
	repo, cloneURL := repoOf(d.Repository)
	return finishPush(push{
		delivery: id, repo: repo, cloneURL: cloneURL, ref: ref,
		actor: loginOf(d.Sender), deleted: true,
	})
}

func parseGHPing(id string, body []byte) (*Event, error) {
	var p ghPing
	if err := decode(body, &p); err != nil {
		return nil, err
	}
	e := &Event{Kind: KindPing, DeliveryID: id, Actor: loginOf(p.Sender)}
	// An organisation hook's ping names no repository.
	if p.Repository != nil {
		e.Repo, e.CloneURL = repoOf(p.Repository)
		if err := checkCommon(e); err != nil {
			return nil, err
		}
	} else if err := checkActor("actor", e.Actor); err != nil {
		return nil, err
	}
	return e, nil
}

func repoOf(r *ghRepo) (fullName, cloneURL string) {
	if r == nil {
		return "", ""
	}
	return r.FullName, r.CloneURL
}

func loginOf(u *ghUser) string {
	if u == nil {
		return ""
	}
	return u.Login
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
