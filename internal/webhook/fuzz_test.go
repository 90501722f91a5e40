package webhook

import (
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
)

var providers = []string{GitHub, Gitea, GitLab}

// sentinels are the errors every failure must wrap.
var sentinels = []error{
	ErrUnknownProvider, ErrNoSecret, ErrMissingSignature, ErrBadSignature,
	ErrBodyTooLarge, ErrInvalidPayload, ErrIgnoredEvent,
}

func wrapsSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// fuzzHeaders sets the event and delivery headers of provider.
func fuzzHeaders(provider, kind, delivery string) http.Header {
	h := http.Header{}
	switch provider {
	case GitHub:
		h.Set(headerGitHubEvent, kind)
		h.Set(headerGitHubDelivery, delivery)
	case Gitea:
		h.Set(headerGiteaEvent, kind)
		h.Set(headerGiteaDelivery, delivery)
	default:
		h.Set(headerGitLabEvent, kind)
		h.Set(headerGitLabEventUUID, delivery)
	}
	return h
}

// FuzzParse feeds arbitrary bodies, event kinds and delivery ids to each
// provider's parser. Parse must never panic, must fail only with a sentinel,
// and every Event it returns must satisfy the documented contract.
func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		p := byte(0)
		for i, name := range providers {
			if name == c.provider {
				p = byte(i)
			}
		}
		f.Add(p, c.kind, "d-1", readTestdata(f, c.provider, c.file))
	}
	f.Add(byte(0), "push", "d-1", []byte(`{"ref":"refs/heads/x","after":"`+strings.Repeat("a", 40)+`"}`))
	f.Add(byte(2), "Merge Request Hook", "d-1", []byte(`{"object_kind":"merge_request","object_attributes":null}`))
	f.Fuzz(func(t *testing.T, p byte, kind, delivery string, body []byte) {
		provider := providers[int(p)%len(providers)]
		e, err := Parse(provider, fuzzHeaders(provider, kind, delivery), body)
		if err != nil {
			if e != nil {
				t.Fatalf("Parse returned an Event with error %v", err)
			}
			if !wrapsSentinel(err) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		checkEventContract(t, provider, e)
	})
}

// checkEventContract checks what Event's documentation promises.
func checkEventContract(t *testing.T, provider string, e *Event) {
	t.Helper()
	if e.Provider != provider {
		t.Fatalf("Provider = %q, want %q", e.Provider, provider)
	}
	if err := checkDeliveryID("delivery", e.DeliveryID); err != nil {
		t.Fatalf("DeliveryID: %v", err)
	}
	if err := checkActor("actor", e.Actor); err != nil {
		t.Fatalf("Actor: %v", err)
	}
	if e.Kind == KindPing {
		if e.Repo != "" {
			if err := checkRepo("repo", e.Repo); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if e.Kind != KindPush && e.Kind != KindPullRequest {
		t.Fatalf("Kind = %q", e.Kind)
	}
	if err := checkRepo("repo", e.Repo); err != nil {
		t.Fatal(err)
	}
	if err := checkCloneURL("clone", e.CloneURL); err != nil {
		t.Fatal(err)
	}
	if err := checkRef("ref", e.Ref); err != nil {
		t.Fatal(err)
	}
	if e.Deleted {
		if e.Kind != KindPush || e.Commit != "" {
			t.Fatalf("deleted %s with commit %q", e.Kind, e.Commit)
		}
	} else {
		c, err := normCommit("commit", e.Commit)
		if err != nil || c != e.Commit {
			t.Fatalf("Commit %q is not a lowercase full SHA (%v)", e.Commit, err)
		}
	}
	switch e.Kind {
	case KindPush:
		if (e.Branch == "") == (e.Tag == "") {
			t.Fatalf("push with Branch %q and Tag %q: want exactly one", e.Branch, e.Tag)
		}
		if e.Branch != "" && e.Ref != "refs/heads/"+e.Branch || e.Tag != "" && e.Ref != "refs/tags/"+e.Tag {
			t.Fatalf("Ref %q does not match Branch %q / Tag %q", e.Ref, e.Branch, e.Tag)
		}
	case KindPullRequest:
		if e.PRNumber <= 0 {
			t.Fatalf("PRNumber = %d", e.PRNumber)
		}
		switch e.PRAction {
		case ActionOpened, ActionSynchronize, ActionReopened, ActionClosed, ActionEdited, ActionReadyForReview:
		default:
			t.Fatalf("PRAction = %q", e.PRAction)
		}
		if err := checkBranch("head", e.Branch); err != nil {
			t.Fatal(err)
		}
		if err := checkBranch("base", e.BaseBranch); err != nil {
			t.Fatal(err)
		}
		if e.Merged && e.PRAction != ActionClosed {
			t.Fatalf("Merged with action %q", e.PRAction)
		}
	}
}

// FuzzVerify checks that Verify never panics, accepts exactly what the
// secret signs, and always accepts a correct signature.
func FuzzVerify(f *testing.F) {
	body := []byte(`{"ref":"refs/heads/main"}`)
	good := sign(testSecret, body)
	f.Add(byte(0), "sha256="+good, body, testSecret)
	f.Add(byte(0), "sha256="+strings.ToUpper(good), body, testSecret)
	f.Add(byte(0), "sha256=", body, testSecret)
	f.Add(byte(1), good, body, testSecret)
	f.Add(byte(1), good[:10], body, testSecret)
	f.Add(byte(2), testSecret, body, testSecret)
	f.Add(byte(2), "", body, "")
	f.Add(byte(0), "sha256="+good, []byte{}, "k")
	f.Fuzz(func(t *testing.T, p byte, sig string, body []byte, secret string) {
		provider := providers[int(p)%len(providers)]
		key := map[string]string{GitHub: headerHubSignature256, Gitea: headerGiteaSignature, GitLab: headerGitLabToken}[provider]
		r := request(key, sig)
		err := Verify(provider, r, body, secret)
		if err != nil && !wrapsSentinel(err) {
			t.Fatalf("error %v wraps no sentinel", err)
		}
		// An error's text must not depend on the secret: compare it with the
		// error under another secret that the signature cannot match either.
		if errors.Is(err, ErrBadSignature) {
			err2 := Verify(provider, r, body, secret+"\x00other")
			if errors.Is(err2, ErrBadSignature) && err2.Error() != err.Error() {
				t.Fatalf("error text depends on the secret: %v vs %v", err, err2)
			}
		}
		sent := strings.TrimSpace(r.Header.Get(key))
		if err == nil {
			// Accepted: the header must really be the secret's signature.
			if secret == "" {
				t.Fatal("accepted with an empty secret")
			}
			want := sign(secret, body)
			switch provider {
			case GitHub:
				h, ok := strings.CutPrefix(strings.ToLower(sent), "sha256=")
				if !ok || !hexEqual(h, want) {
					t.Fatalf("accepted %q, want sha256=%s", sent, want)
				}
			case Gitea:
				if !hexEqual(sent, want) {
					t.Fatalf("accepted %q, want %s", sent, want)
				}
			case GitLab:
				if sent != secret {
					t.Fatalf("accepted token %q", sent)
				}
			}
		}
		// A correct signature is always accepted.
		if secret == "" || len(body) > MaxBody {
			return
		}
		var right string
		switch provider {
		case GitHub:
			right = "sha256=" + sign(secret, body)
		case Gitea:
			right = sign(secret, body)
		case GitLab:
			right = secret
			if strings.TrimSpace(secret) != secret || strings.ContainsAny(secret, "\r\n\x00") {
				return // not sendable as a header value as is
			}
		}
		if err := Verify(provider, request(key, right), body, secret); err != nil {
			t.Fatalf("correct signature refused: %v", err)
		}
	})
}

func hexEqual(a, b string) bool {
	x, err1 := hex.DecodeString(a)
	y, err2 := hex.DecodeString(b)
	return err1 == nil && err2 == nil && hmac.Equal(x, y)
}
