package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testSecret = "It's a Secret to Everybody"

// sign returns the hex HMAC-SHA256 of body under secret, as providers send it.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func request(kv ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks", nil)
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Set(kv[i], kv[i+1])
	}
	return r
}

// TestVerifyKnownVector checks the HMAC against the example in GitHub's
// webhook documentation, so sign and Verify cannot agree on a wrong digest.
func TestVerifyKnownVector(t *testing.T) {
	body := []byte("Hello, World!")
	const want = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got := sign(testSecret, body); got != want {
		t.Fatalf("sign = %s, want %s", got, want)
	}
	if err := Verify(GitHub, request(headerHubSignature256, "sha256="+want), body, testSecret); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestVerify(t *testing.T) {
	body := readTestdata(t, GitHub, "push.json")
	good := sign(testSecret, body)
	other := sign("another secret", body)
	flipped := []byte(good)
	if flipped[0] == '0' {
		flipped[0] = '1'
	} else {
		flipped[0] = '0'
	}
	cases := []struct {
		name     string
		provider string
		r        *http.Request
		secret   string
		wantErr  error // nil: accepted
	}{
		{"github ok", GitHub, request(headerHubSignature256, "sha256="+good), testSecret, nil},
		{"github uppercase hex", GitHub, request(headerHubSignature256, "sha256="+strings.ToUpper(good)), testSecret, nil},
		{"github uppercase prefix", GitHub, request(headerHubSignature256, "SHA256="+good), testSecret, nil},
		{"github surrounding space", GitHub, request(headerHubSignature256, " sha256="+good+" "), testSecret, nil},
		{"github other secret", GitHub, request(headerHubSignature256, "sha256="+other), testSecret, ErrBadSignature},
		{"github one digit off", GitHub, request(headerHubSignature256, "sha256="+string(flipped)), testSecret, ErrBadSignature},
		{"github missing", GitHub, request(), testSecret, ErrMissingSignature},
		{"github empty header", GitHub, request(headerHubSignature256, ""), testSecret, ErrMissingSignature},
		{"github nil request", GitHub, nil, testSecret, ErrMissingSignature},
		{"github sha1 only", GitHub, request("X-Hub-Signature", "sha1=0123456789abcdef0123456789abcdef01234567"), testSecret, ErrMissingSignature},
		{"github no prefix", GitHub, request(headerHubSignature256, good), testSecret, ErrBadSignature},
		{"github sha1 prefix", GitHub, request(headerHubSignature256, "sha1="+good), testSecret, ErrBadSignature},
		{"github short", GitHub, request(headerHubSignature256, "sha256="+good[:62]), testSecret, ErrBadSignature},
		{"github long", GitHub, request(headerHubSignature256, "sha256="+good+"00"), testSecret, ErrBadSignature},
		{"github odd length", GitHub, request(headerHubSignature256, "sha256="+good[:63]), testSecret, ErrBadSignature},
		{"github not hex", GitHub, request(headerHubSignature256, "sha256="+strings.Repeat("zz", 32)), testSecret, ErrBadSignature},
		{"github empty secret", GitHub, request(headerHubSignature256, "sha256="+sign("", body)), "", ErrNoSecret},

		{"gitea ok", Gitea, request(headerGiteaSignature, good), testSecret, nil},
		{"gitea uppercase hex", Gitea, request(headerGiteaSignature, strings.ToUpper(good)), testSecret, nil},
		{"gitea hub form", Gitea, request(headerHubSignature256, "sha256="+good), testSecret, nil},
		{"gitea both", Gitea, request(headerGiteaSignature, good, headerHubSignature256, "sha256="+good), testSecret, nil},
		{"gitea bad", Gitea, request(headerGiteaSignature, other), testSecret, ErrBadSignature},
		{"gitea good gitea, forged hub", Gitea, request(headerGiteaSignature, good, headerHubSignature256, "sha256="+other), testSecret, ErrBadSignature},
		{"gitea forged gitea, good hub", Gitea, request(headerGiteaSignature, other, headerHubSignature256, "sha256="+good), testSecret, ErrBadSignature},
		{"gitea prefixed in gitea header", Gitea, request(headerGiteaSignature, "sha256="+good), testSecret, ErrBadSignature},
		{"gitea short", Gitea, request(headerGiteaSignature, good[:40]), testSecret, ErrBadSignature},
		{"gitea missing", Gitea, request(headerGitLabToken, testSecret), testSecret, ErrMissingSignature},

		{"gitlab ok", GitLab, request(headerGitLabToken, testSecret), testSecret, nil},
		{"gitlab wrong", GitLab, request(headerGitLabToken, "It's a secret to everybody"), testSecret, ErrBadSignature},
		{"gitlab prefix of secret", GitLab, request(headerGitLabToken, testSecret[:5]), testSecret, ErrBadSignature},
		{"gitlab hmac is not a token", GitLab, request(headerGitLabToken, good), testSecret, ErrBadSignature},
		{"gitlab missing", GitLab, request(headerHubSignature256, "sha256="+good), testSecret, ErrMissingSignature},
		{"gitlab empty secret", GitLab, request(headerGitLabToken, ""), "", ErrNoSecret},

		{"unknown provider", "bitbucket", request(headerHubSignature256, "sha256="+good), testSecret, ErrUnknownProvider},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(c.provider, c.r, body, c.secret)
			if c.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, c.wantErr)
			}
			// No error may leak the secret or the digest it produces.
			msg := err.Error()
			for _, leak := range []string{testSecret, good, strings.ToUpper(good), good[:16]} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q leaks %q", msg, leak)
				}
			}
		})
	}
}

// TestVerifyBodyTampered checks that the signature binds the body.
func TestVerifyBodyTampered(t *testing.T) {
	body := readTestdata(t, Gitea, "push.json")
	r := request(headerGiteaSignature, sign(testSecret, body))
	if err := Verify(Gitea, r, body, testSecret); err != nil {
		t.Fatal(err)
	}
	tampered := []byte(strings.Replace(string(body), "refs/heads/develop", "refs/heads/release", 1))
	if err := Verify(Gitea, r, tampered, testSecret); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered body: err = %v, want ErrBadSignature", err)
	}
}

func TestVerifyBodyTooLarge(t *testing.T) {
	body := make([]byte, MaxBody+1)
	r := request(headerHubSignature256, "sha256="+sign(testSecret, body))
	if err := Verify(GitHub, r, body, testSecret); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err = %v, want ErrBodyTooLarge", err)
	}
	if err := Verify(GitHub, r, body[:MaxBody], testSecret); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("at the limit: err = %v, want ErrBadSignature (the size is fine)", err)
	}
}
