package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// Signature headers.
const (
	headerHubSignature256 = "X-Hub-Signature-256"
	headerGiteaSignature  = "X-Gitea-Signature"
	headerGitLabToken     = "X-Gitlab-Token"
)

// Verify checks that r's signature headers authenticate body under secret.
//
//   - github: X-Hub-Signature-256 is "sha256=" and the hex HMAC-SHA256 of body.
//   - gitea: X-Gitea-Signature is the bare hex HMAC-SHA256 of body; the
//     X-Hub-Signature-256 form, which Gitea sends as well, is also accepted.
//     Every signature header present must match, so a good one cannot cover
//     for a forged one.
//   - gitlab: X-Gitlab-Token equals secret (GitLab sends the token itself).
//
// Hex is accepted in either case. Comparisons take constant time. Verify
// reads only r.Header, never r.Body: body is the bytes the caller read.
func Verify(provider string, r *http.Request, body []byte, secret string) error {
	if !knownProvider(provider) {
		return fmt.Errorf("verify %q webhook: %w (want github, gitea or gitlab)", provider, ErrUnknownProvider)
	}
	if secret == "" {
		return fmt.Errorf("verify %s webhook: %w: set the hook's secret in sluice and in %s", provider, ErrNoSecret, provider)
	}
	if len(body) > MaxBody {
		return fmt.Errorf("verify %s webhook: %w: %d bytes, limit %d", provider, ErrBodyTooLarge, len(body), MaxBody)
	}
	var h http.Header
	if r != nil {
		h = r.Header
	}
	switch provider {
	case GitHub:
		v, ok := header(h, headerHubSignature256)
		if !ok {
			return missing(provider, headerHubSignature256)
		}
		return checkPrefixed(provider, v, body, secret)
	case Gitea:
		gv, gok := header(h, headerGiteaSignature)
		hv, hok := header(h, headerHubSignature256)
		if !gok && !hok {
			return missing(provider, headerGiteaSignature)
		}
		if gok {
			if err := checkHex(provider, headerGiteaSignature, gv, body, secret); err != nil {
				return err
			}
		}
		if hok {
			return checkPrefixed(provider, hv, body, secret)
		}
		return nil
	default: // GitLab
		v, ok := header(h, headerGitLabToken)
		if !ok {
			return missing(provider, headerGitLabToken)
		}
		// Compare digests, not the strings, so the time taken does not even
		// depend on the secret's length.
		got, want := sha256.Sum256([]byte(v)), sha256.Sum256([]byte(secret))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			return fmt.Errorf("verify gitlab webhook: %w: %s differs from the hook's secret; set the same secret token in GitLab and in sluice", ErrBadSignature, headerGitLabToken)
		}
		return nil
	}
}

// header returns the first value of key and whether it is present and not
// blank.
func header(h http.Header, key string) (string, bool) {
	v := strings.TrimSpace(h.Get(key))
	return v, v != ""
}

func missing(provider, key string) error {
	return fmt.Errorf("verify %s webhook: %w: no %s header; configure a secret on the %s hook", provider, ErrMissingSignature, key, provider)
}

// checkPrefixed checks an X-Hub-Signature-256 value, "sha256=<hex>".
func checkPrefixed(provider, v string, body []byte, secret string) error {
	const prefix = "sha256="
	if len(v) < len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return fmt.Errorf("verify %s webhook: %w: %s does not start with %q", provider, ErrBadSignature, headerHubSignature256, prefix)
	}
	return checkHex(provider, headerHubSignature256, v[len(prefix):], body, secret)
}

// checkHex checks that v is the hex HMAC-SHA256 of body under secret.
func checkHex(provider, key, v string, body []byte, secret string) error {
	got, err := hex.DecodeString(v)
	if err != nil {
		return fmt.Errorf("verify %s webhook: %w: %s is not hex", provider, ErrBadSignature, key)
	}
	if len(got) != sha256.Size {
		return fmt.Errorf("verify %s webhook: %w: %s holds %d bytes, want %d (HMAC-SHA256)", provider, ErrBadSignature, key, len(got), sha256.Size)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("verify %s webhook: %w: %s is not the HMAC-SHA256 of the body under the hook's secret; check the secret matches", provider, ErrBadSignature, key)
	}
	return nil
}

func knownProvider(p string) bool {
	return p == GitHub || p == Gitea || p == GitLab
}
