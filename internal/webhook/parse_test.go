package webhook

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// SHAs used in testdata.
const (
	shaA   = "6f1c2d9e4b8a7c3f5e0d1b2a9c8e7f6d5c4b3a21"
	shaC   = "a41d7c2e9f3b5a8c0e6d4f2b1a9c7e5d3f1b8a6c"
	shaTag = "9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c"

	ghDelivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
	gtDelivery = "f6266f16-1bf3-46a5-9ea4-602e06ead473"
	glDelivery = "0f2f5c4a-8a52-4d5e-9b1e-3b8f3b6e7a10"
)

// headers returns the headers each provider sends with an event of kind.
func headers(provider, kind string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	switch provider {
	case GitHub:
		h.Set(headerGitHubEvent, kind)
		h.Set(headerGitHubDelivery, ghDelivery)
		h.Set("X-GitHub-Hook-ID", "480012")
	case Gitea:
		// Gitea sends its own headers and GitHub's and Gogs' look-alikes.
		h.Set(headerGiteaEvent, kind)
		h.Set(headerGiteaDelivery, gtDelivery)
		h.Set(headerGitHubEvent, kind)
		h.Set(headerGitHubDelivery, gtDelivery)
		h.Set("X-Gogs-Event", kind)
	case GitLab:
		h.Set(headerGitLabEvent, kind)
		h.Set(headerGitLabEventUUID, glDelivery)
		h.Set("X-Gitlab-Instance", "https://gitlab.example.com")
	}
	return h
}

// hdr builds a header from key, value pairs, canonicalising keys as a
// server does.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func readTestdata(t testing.TB, provider, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", provider, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseCase is one testdata payload and what Parse makes of it.
type parseCase struct {
	provider, file, kind string
	want                 *Event
	wantErr              error
}

var parseCases = []parseCase{
	// GitHub
	{GitHub, "push.json", "push", &Event{
		Provider: GitHub, Kind: KindPush, DeliveryID: ghDelivery, Repo: "acme/rocket",
		CloneURL: "https://github.com/acme/rocket.git", Ref: "refs/heads/main", Branch: "main",
		Commit: shaA, Actor: "octodev",
		Message: "Raise thrust limit\n\nSigned-off-by: Octo Dev <octodev@example.com>",
	}, nil},
	{GitHub, "push_tag.json", "push", &Event{
		Provider: GitHub, Kind: KindPush, DeliveryID: ghDelivery, Repo: "acme/rocket",
		CloneURL: "https://github.com/acme/rocket.git", Ref: "refs/tags/v1.2.0", Tag: "v1.2.0",
		Commit: shaA, Actor: "octodev",
		Message: "Raise thrust limit\n\nSigned-off-by: Octo Dev <octodev@example.com>",
	}, nil},
	{GitHub, "push_deleted.json", "push", &Event{
		Provider: GitHub, Kind: KindPush, DeliveryID: ghDelivery, Repo: "acme/rocket",
		CloneURL: "https://github.com/acme/rocket.git", Ref: "refs/heads/feature/old-nozzle",
		Branch: "feature/old-nozzle", Actor: "octodev", Deleted: true,
	}, nil},
	{GitHub, "pull_request_opened.json", "pull_request", &Event{
		Provider: GitHub, Kind: KindPullRequest, DeliveryID: ghDelivery, Repo: "acme/rocket",
		CloneURL: "https://github.com/acme/rocket.git", Ref: "refs/pull/42/head",
		Branch: "feature/staged-ignition", BaseBranch: "main", Commit: shaC, PRNumber: 42,
		PRAction: ActionOpened, Title: "Add staged ignition", Actor: "octodev",
	}, nil},
	// The head SHA is upper case in this file: Commit comes out lower case.
	{GitHub, "pull_request_synchronize_fork.json", "pull_request", &Event{
		Provider: GitHub, Kind: KindPullRequest, DeliveryID: ghDelivery, Repo: "acme/rocket",
		CloneURL: "https://github.com/acme/rocket.git", Ref: "refs/pull/43/head",
		Branch: "fix-typo", BaseBranch: "main", Commit: shaC, PRNumber: 43,
		PRAction: ActionSynchronize, Fork: true, Title: "Add staged ignition", Actor: "octodev",
	}, nil},
	{GitHub, "pull_request_closed_merged.json", "pull_request", &Event{
		Provider: GitHub, Kind: KindPullRequest, DeliveryID: ghDelivery, Repo: "acme/rocket",
		CloneURL: "https://github.com/acme/rocket.git", Ref: "refs/pull/42/head",
		Branch: "feature/staged-ignition", BaseBranch: "main", Commit: shaC, PRNumber: 42,
		PRAction: ActionClosed, Merged: true, Title: "Add staged ignition", Actor: "octodev",
	}, nil},
	{GitHub, "pull_request_ready_for_review.json", "pull_request", &Event{
		Provider: GitHub, Kind: KindPullRequest, DeliveryID: ghDelivery, Repo: "acme/rocket",
		CloneURL: "https://github.com/acme/rocket.git", Ref: "refs/pull/42/head",
		Branch: "feature/staged-ignition", BaseBranch: "main", Commit: shaC, PRNumber: 42,
		PRAction: ActionReadyForReview, Title: "Add staged ignition", Actor: "octodev",
	}, nil},
	{GitHub, "pull_request_labeled.json", "pull_request", nil, ErrIgnoredEvent},
	{GitHub, "ping.json", "ping", &Event{
		Provider: GitHub, Kind: KindPing, DeliveryID: ghDelivery, Repo: "acme/rocket",
		CloneURL: "https://github.com/acme/rocket.git", Actor: "octodev",
	}, nil},
	{GitHub, "push.json", "issues", nil, ErrIgnoredEvent},
	{GitHub, "push.json", "delete", nil, ErrIgnoredEvent},

	// Gitea
	{Gitea, "push.json", "push", &Event{
		Provider: Gitea, Kind: KindPush, DeliveryID: gtDelivery, Repo: "forge/anvil",
		CloneURL: "https://git.example.org/forge/anvil.git", Ref: "refs/heads/develop", Branch: "develop",
		Commit: shaA, Actor: "mira", Message: "Harden the anvil\n",
	}, nil},
	{Gitea, "push_tag.json", "push", &Event{
		Provider: Gitea, Kind: KindPush, DeliveryID: gtDelivery, Repo: "forge/anvil",
		CloneURL: "https://git.example.org/forge/anvil.git", Ref: "refs/tags/v0.9.1", Tag: "v0.9.1",
		Commit: shaA, Actor: "mira", Message: "Harden the anvil\n",
	}, nil},
	{Gitea, "delete.json", "delete", &Event{
		Provider: Gitea, Kind: KindPush, DeliveryID: gtDelivery, Repo: "forge/anvil",
		CloneURL: "https://git.example.org/forge/anvil.git", Ref: "refs/heads/feature/sparks",
		Branch: "feature/sparks", Actor: "mira", Deleted: true,
	}, nil},
	{Gitea, "pull_request_synchronized.json", "pull_request", &Event{
		Provider: Gitea, Kind: KindPullRequest, DeliveryID: gtDelivery, Repo: "forge/anvil",
		CloneURL: "https://git.example.org/forge/anvil.git", Ref: "refs/pull/7/head",
		Branch: "temper", BaseBranch: "main", Commit: shaC, PRNumber: 7,
		PRAction: ActionSynchronize, Title: "Temper the blade", Actor: "mira",
	}, nil},
	{Gitea, "pull_request_closed_merged.json", "pull_request", &Event{
		Provider: Gitea, Kind: KindPullRequest, DeliveryID: gtDelivery, Repo: "forge/anvil",
		CloneURL: "https://git.example.org/forge/anvil.git", Ref: "refs/pull/7/head",
		Branch: "temper", BaseBranch: "main", Commit: shaC, PRNumber: 7,
		PRAction: ActionClosed, Merged: true, Title: "Temper the blade", Actor: "mira",
	}, nil},
	{Gitea, "pull_request_opened_fork.json", "pull_request", &Event{
		Provider: Gitea, Kind: KindPullRequest, DeliveryID: gtDelivery, Repo: "forge/anvil",
		CloneURL: "https://git.example.org/forge/anvil.git", Ref: "refs/pull/8/head",
		Branch: "temper", BaseBranch: "main", Commit: shaC, PRNumber: 8,
		PRAction: ActionOpened, Fork: true, Title: "Temper the blade", Actor: "mira",
	}, nil},
	{Gitea, "pull_request_label_updated.json", "pull_request", nil, ErrIgnoredEvent},
	{Gitea, "push.json", "create", nil, ErrIgnoredEvent},

	// GitLab
	{GitLab, "push.json", "Push Hook", &Event{
		Provider: GitLab, Kind: KindPush, DeliveryID: glDelivery, Repo: "platform/tools/sluice-demo",
		CloneURL: "https://gitlab.example.com/platform/tools/sluice-demo.git", Ref: "refs/heads/main",
		Branch: "main", Commit: shaA, Actor: "jbaker", Message: "Document the intro\n",
	}, nil},
	{GitLab, "push_deleted.json", "Push Hook", &Event{
		Provider: GitLab, Kind: KindPush, DeliveryID: glDelivery, Repo: "platform/tools/sluice-demo",
		CloneURL: "https://gitlab.example.com/platform/tools/sluice-demo.git", Ref: "refs/heads/spike/cache",
		Branch: "spike/cache", Actor: "jbaker", Deleted: true,
	}, nil},
	// after is the annotated tag object; checkout_sha is the commit.
	{GitLab, "tag_push.json", "Tag Push Hook", &Event{
		Provider: GitLab, Kind: KindPush, DeliveryID: glDelivery, Repo: "platform/tools/sluice-demo",
		CloneURL: "https://gitlab.example.com/platform/tools/sluice-demo.git", Ref: "refs/tags/v2.0.0",
		Tag: "v2.0.0", Commit: shaA, Actor: "jbaker", Message: "Document the intro\n",
	}, nil},
	{GitLab, "merge_request_open.json", "Merge Request Hook", glMR(ActionOpened, false, false), nil},
	{GitLab, "merge_request_update_push.json", "Merge Request Hook", glMR(ActionSynchronize, false, false), nil},
	{GitLab, "merge_request_update_ready.json", "Merge Request Hook", glMR(ActionReadyForReview, false, false), nil},
	{GitLab, "merge_request_update_title.json", "Merge Request Hook", glMR(ActionEdited, false, false), nil},
	{GitLab, "merge_request_reopen.json", "Merge Request Hook", glMR(ActionReopened, false, false), nil},
	{GitLab, "merge_request_close.json", "Merge Request Hook", glMR(ActionClosed, false, false), nil},
	{GitLab, "merge_request_merge.json", "Merge Request Hook", glMR(ActionClosed, true, false), nil},
	{GitLab, "merge_request_open_fork.json", "Merge Request Hook", glMR(ActionOpened, false, true), nil},
	{GitLab, "merge_request_approved.json", "Merge Request Hook", nil, ErrIgnoredEvent},
	{GitLab, "push.json", "Pipeline Hook", nil, ErrIgnoredEvent},
	// The header and object_kind must agree.
	{GitLab, "push.json", "Tag Push Hook", nil, ErrInvalidPayload},
	{GitLab, "tag_push.json", "Push Hook", nil, ErrInvalidPayload},
}

// glMR is the Event every GitLab merge request file yields, but for these.
func glMR(action string, merged, fork bool) *Event {
	return &Event{
		Provider: GitLab, Kind: KindPullRequest, DeliveryID: glDelivery, Repo: "platform/tools/sluice-demo",
		CloneURL: "https://gitlab.example.com/platform/tools/sluice-demo.git", Ref: "refs/merge-requests/15/head",
		Branch: "feat/retry-budget", BaseBranch: "main", Commit: shaC, PRNumber: 15,
		PRAction: action, Merged: merged, Fork: fork, Title: "Add a retry budget", Actor: "jbaker",
		Message: "Add a retry budget\n\nCloses #3\n",
	}
}

func TestParseTestdata(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.provider+"/"+c.kind+"/"+c.file, func(t *testing.T) {
			got, err := Parse(c.provider, headers(c.provider, c.kind), readTestdata(t, c.provider, c.file))
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("Parse error = %v, want %v", err, c.wantErr)
				}
				if got != nil {
					t.Errorf("Parse returned %+v with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseTestdataCovered makes sure no testdata file is left out of
// parseCases (the fuzz corpus relies on them being valid payloads).
func TestParseTestdataCovered(t *testing.T) {
	used := map[string]bool{}
	for _, c := range parseCases {
		used[filepath.Join(c.provider, c.file)] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, f := range files {
		rel, _ := filepath.Rel("testdata", f)
		if !used[rel] {
			t.Errorf("%s is not exercised by parseCases", f)
		}
	}
}

func TestParseGitLabDeliveryHeaders(t *testing.T) {
	body := readTestdata(t, GitLab, "push.json")
	for _, c := range []struct {
		name string
		set  map[string]string
		want string
	}{
		{"event uuid", map[string]string{headerGitLabEventUUID: "uuid-1"}, "uuid-1"},
		{"idempotency key wins", map[string]string{headerGitLabEventUUID: "uuid-1", headerIdempotencyKey: "key-1"}, "key-1"},
		{"request id fallback", map[string]string{headerRequestID: "01HZX3K9"}, "01HZX3K9"},
		{"uuid before request id", map[string]string{headerRequestID: "01HZX3K9", headerGitLabEventUUID: "uuid-2"}, "uuid-2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			h.Set(headerGitLabEvent, gitlabPushHook)
			for k, v := range c.set {
				h.Set(k, v)
			}
			e, err := Parse(GitLab, h, body)
			if err != nil {
				t.Fatal(err)
			}
			if e.DeliveryID != c.want {
				t.Errorf("DeliveryID = %q, want %q", e.DeliveryID, c.want)
			}
			if e.ReplayKey() != "gitlab:"+c.want {
				t.Errorf("ReplayKey = %q", e.ReplayKey())
			}
		})
	}
}

// edit decodes a testdata payload, lets f change it and re-encodes it.
func edit(t *testing.T, provider, file string, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readTestdata(t, provider, file), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRejects(t *testing.T) {
	obj := func(m map[string]any, k string) map[string]any { return m[k].(map[string]any) }
	cases := []struct {
		name, provider, kind string
		header               http.Header // nil: headers(provider, kind)
		body                 []byte
		wantErr              error
		wantText             string
	}{
		{"unknown provider", "bitbucket", "push", http.Header{}, []byte(`{}`), ErrUnknownProvider, "bitbucket"},
		{"too large", GitHub, "push", nil, make([]byte, MaxBody+1), ErrBodyTooLarge, "limit"},
		{"empty body", GitHub, "push", nil, nil, ErrInvalidPayload, "empty body"},
		{"malformed JSON", GitHub, "push", nil, []byte(`{"ref": "refs/heads/main",`), ErrInvalidPayload, "malformed JSON"},
		{"trailing garbage", GitLab, gitlabPushHook, nil, append(readTestdata(t, GitLab, "push.json"), '}'), ErrInvalidPayload, "malformed JSON"},
		{"wrong type", Gitea, "push", nil, []byte(`{"ref": 7}`), ErrInvalidPayload, "does not fit"},
		{"array body", GitHub, "push", nil, []byte(`[1,2]`), ErrInvalidPayload, "does not fit"},
		{"null body", GitHub, "push", nil, []byte(`null`), ErrInvalidPayload, "ref"},
		{"no event header", GitHub, "", hdr(headerGitHubDelivery, ghDelivery), readTestdata(t, GitHub, "push.json"), ErrInvalidPayload, headerGitHubEvent},
		{"no delivery", GitHub, "push", hdr(headerGitHubEvent, "push"), readTestdata(t, GitHub, "push.json"), ErrInvalidPayload, headerGitHubDelivery},
		{"gitlab no delivery", GitLab, "", hdr(headerGitLabEvent, gitlabPushHook), readTestdata(t, GitLab, "push.json"), ErrInvalidPayload, headerGitLabEventUUID},
		{"bad delivery", Gitea, "push", hdr(headerGiteaEvent, "push", headerGiteaDelivery, "a b"), readTestdata(t, Gitea, "push.json"), ErrInvalidPayload, "contains"},
		{"short commit", GitHub, "push", nil, edit(t, GitHub, "push.json", func(m map[string]any) { m["after"] = "6f1c2d9" }), ErrInvalidPayload, "40 or 64"},
		{"non-hex commit", GitHub, "push", nil, edit(t, GitHub, "push.json", func(m map[string]any) { m["after"] = strings.Repeat("g", 40) }), ErrInvalidPayload, "hexadecimal"},
		{"zero PR sha", GitHub, "pull_request", nil, edit(t, GitHub, "pull_request_opened.json", func(m map[string]any) {
			obj(obj(m, "pull_request"), "head")["sha"] = strings.Repeat("0", 40)
		}), ErrInvalidPayload, "zero SHA"},
		{"ref with ..", GitHub, "push", nil, edit(t, GitHub, "push.json", func(m map[string]any) { m["ref"] = "refs/heads/../../etc" }), ErrInvalidPayload, "not a valid git ref"},
		{"ref option", Gitea, "push", nil, edit(t, Gitea, "push.json", func(m map[string]any) { m["ref"] = "refs/heads/--upload-pack=evil" }), ErrInvalidPayload, "not a valid git ref"},
		{"ref space", GitLab, gitlabPushHook, nil, edit(t, GitLab, "push.json", func(m map[string]any) { m["ref"] = "refs/heads/a b" }), ErrInvalidPayload, "not a valid git ref"},
		{"short ref", GitHub, "push", nil, edit(t, GitHub, "push.json", func(m map[string]any) { m["ref"] = "main" }), ErrInvalidPayload, "refs/"},
		{"notes ref ignored", GitHub, "push", nil, edit(t, GitHub, "push.json", func(m map[string]any) { m["ref"] = "refs/notes/commits" }), ErrIgnoredEvent, "neither a branch nor a tag"},
		{"bad head branch", GitHub, "pull_request", nil, edit(t, GitHub, "pull_request_opened.json", func(m map[string]any) {
			obj(obj(m, "pull_request"), "head")["ref"] = "x~1"
		}), ErrInvalidPayload, "head branch"},
		{"bad repo name", GitHub, "push", nil, edit(t, GitHub, "push.json", func(m map[string]any) { obj(m, "repository")["full_name"] = "acme/../secrets" }), ErrInvalidPayload, "repository"},
		{"repo one part", Gitea, "push", nil, edit(t, Gitea, "push.json", func(m map[string]any) { obj(m, "repository")["full_name"] = "anvil" }), ErrInvalidPayload, "components"},
		{"no repository", GitHub, "push", nil, edit(t, GitHub, "push.json", func(m map[string]any) { delete(m, "repository") }), ErrInvalidPayload, "empty"},
		{"file clone URL", GitHub, "push", nil, edit(t, GitHub, "push.json", func(m map[string]any) { obj(m, "repository")["clone_url"] = "file:///srv/git/rocket" }), ErrInvalidPayload, "scheme"},
		{"ext clone URL", GitLab, gitlabPushHook, nil, edit(t, GitLab, "push.json", func(m map[string]any) { obj(m, "project")["git_http_url"] = "ext::sh -c touch% pwned" }), ErrInvalidPayload, "clone URL"},
		{"clone URL creds", Gitea, "push", nil, edit(t, Gitea, "push.json", func(m map[string]any) {
			obj(m, "repository")["clone_url"] = "https://u:p@git.example.org/forge/anvil.git"
		}), ErrInvalidPayload, "credentials"},
		{"PR number zero", Gitea, "pull_request", nil, edit(t, Gitea, "pull_request_synchronized.json", func(m map[string]any) {
			m["number"] = 0
			obj(m, "pull_request")["number"] = 0
		}), ErrInvalidPayload, "not positive"},
		{"PR numbers differ", GitHub, "pull_request", nil, edit(t, GitHub, "pull_request_opened.json", func(m map[string]any) { m["number"] = 41 }), ErrInvalidPayload, "differ"},
		{"no pull_request", GitHub, "pull_request", nil, edit(t, GitHub, "pull_request_opened.json", func(m map[string]any) { delete(m, "pull_request") }), ErrInvalidPayload, "no pull_request"},
		{"gitlab no attributes", GitLab, gitlabMergeRequestHook, nil, edit(t, GitLab, "merge_request_open.json", func(m map[string]any) { delete(m, "object_attributes") }), ErrInvalidPayload, "object_attributes"},
		{"gitlab no last commit", GitLab, gitlabMergeRequestHook, nil, edit(t, GitLab, "merge_request_open.json", func(m map[string]any) { delete(obj(m, "object_attributes"), "last_commit") }), ErrInvalidPayload, "head sha"},
		{"actor control char", GitLab, gitlabPushHook, nil, edit(t, GitLab, "push.json", func(m map[string]any) { m["user_username"] = "jo\x1b[31m" }), ErrInvalidPayload, "unprintable"},
		{"gitea delete unknown type", Gitea, "delete", nil, edit(t, Gitea, "delete.json", func(m map[string]any) { m["ref_type"] = "repository" }), ErrIgnoredEvent, "ref_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.header
			if h == nil {
				h = headers(c.provider, c.kind)
			}
			got, err := Parse(c.provider, h, c.body)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Parse error = %v, want %v", err, c.wantErr)
			}
			if !strings.Contains(err.Error(), c.wantText) {
				t.Errorf("error %q does not mention %q", err, c.wantText)
			}
			if got != nil {
				t.Errorf("Parse returned %+v with an error", got)
			}
		})
	}
}

// TestParseUnknownFields checks that fields a provider adds later do not
// break parsing.
func TestParseUnknownFields(t *testing.T) {
	body := edit(t, GitHub, "push.json", func(m map[string]any) {
		m["brand_new_field"] = map[string]any{"nested": []any{1, "two", nil}}
		m["repository"].(map[string]any)["custom_properties"] = map[string]any{"tier": "gold"}
	})
	e, err := Parse(GitHub, headers(GitHub, "push"), body)
	if err != nil {
		t.Fatal(err)
	}
	if e.Commit != shaA || e.Branch != "main" {
		t.Errorf("got %+v", e)
	}
}

// TestParseSHA256Repo checks that 64-hex commit ids of SHA-256 repositories
// are accepted.
func TestParseSHA256Repo(t *testing.T) {
	sha := strings.Repeat("ab12", 16)
	body := edit(t, Gitea, "push.json", func(m map[string]any) {
		m["after"] = sha
		m["head_commit"].(map[string]any)["id"] = sha
	})
	e, err := Parse(Gitea, headers(Gitea, "push"), body)
	if err != nil {
		t.Fatal(err)
	}
	if e.Commit != sha || e.Message != "Harden the anvil\n" {
		t.Errorf("Commit = %q, Message = %q", e.Commit, e.Message)
	}
}

// TestParsePingNoRepo checks an organisation hook's ping, which names no
// repository.
func TestParsePingNoRepo(t *testing.T) {
	body := edit(t, GitHub, "ping.json", func(m map[string]any) { delete(m, "repository") })
	e, err := Parse(GitHub, headers(GitHub, "ping"), body)
	if err != nil {
		t.Fatal(err)
	}
	want := &Event{Provider: GitHub, Kind: KindPing, DeliveryID: ghDelivery, Actor: "octodev"}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
