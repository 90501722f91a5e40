package secrets

import (
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
)

// Fake credentials for the tests. None is written literally in this
// repository's Go code (so that scanning the repository itself finds
// nothing); they are generated from a seeded source, in the shape of each
// provider's format, with valid checksums where the format has one.

const (
	alnum     = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	hexLower  = "0123456789abcdef"
	lowerNum  = "0123456789abcdefghijklmnopqrstuvwxyz"
	upperNum  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	base32Up  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	base64Std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	digits    = "0123456789"
)

// faker makes fake secrets from a deterministic source.
type faker struct{ r *rand.Rand }

func newFaker(seed string) *faker {
	h := crc32.ChecksumIEEE([]byte(seed))
	return &faker{r: rand.New(rand.NewPCG(uint64(h), 0x5eed))}
}

// pick returns n characters from alphabet, never four alike in a row (a
// run like "xxxx" reads as a placeholder).
func (f *faker) pick(alphabet string, n int) string {
	b := make([]byte, 0, n)
	for len(b) < n {
		c := alphabet[f.r.IntN(len(alphabet))]
		if k := len(b); k >= 3 && b[k-1] == c && b[k-2] == c && b[k-3] == c {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

// checksummed returns prefix + 30 random characters + their base62 CRC-32,
// as GitHub and npm tokens are built.
func (f *faker) checksummed(prefix string) string {
	body := f.pick(alnum, 30)
	return prefix + body + base62(crc32.ChecksumIEEE([]byte(body)), 6)
}

// pem returns a private key block of the given kind ("RSA PRIVATE KEY"),
// lines joined with nl ("\n", or `\n` for JSON).
func (f *faker) pem(kind, nl string) string {
	lines := []string{"-----BEGIN " + kind + "-----"}
	for range 12 {
		lines = append(lines, f.pick(base64Std, 64))
	}
	lines = append(lines, f.pick(base64Std, 40)+"==", "-----END "+kind+"-----")
	return strings.Join(lines, nl)
}

func (f *faker) jwt() string {
	enc := base64.RawURLEncoding.EncodeToString
	header := enc([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims := enc([]byte(fmt.Sprintf(`{"sub":"svc-%s","iat":%d,"scope":"deploy"}`, f.pick(lowerNum, 8), 1700000000+f.r.IntN(1e7))))
	return header + "." + claims + "." + f.pick(alnum+"-_", 43)
}

// value returns a fake secret for the corpus marker @@kind@@ (or
// @@kind:arg@@).
func (f *faker) value(kind, arg string) string {
	switch kind {
	case "aws-access-key-id":
		return "AKIA" + f.pick(base32Up, 16)
	case "aws-secret-access-key":
		return f.pick(base64Std, 40)
	case "github-pat":
		return f.checksummed("gh" + "p_")
	case "github-oauth-token":
		return f.checksummed("gh" + "o_")
	case "github-server-to-server-token":
		return f.checksummed("gh" + "s_")
	case "sluice-api-key":
		return "sl" + "k_" + f.pick("abcdefghijklmnopqrstuvwxyz234567", 12) + "_" + f.pick(alnum, 43)
	case "github-fine-grained-pat":
		return "github" + "_pat_" + f.pick(alnum, 22) + "_" + f.pick(alnum, 59)
	case "gitlab-pat":
		return "gl" + "pat-" + f.pick(alnum, 20)
	case "gitlab-deploy-token":
		return "gl" + "dt-" + f.pick(alnum, 20)
	case "gitlab-runner-token":
		return "gl" + "rt-" + f.pick(alnum, 20)
	case "slack-bot-token":
		return "xo" + "xb-" + f.pick(digits, 11) + "-" + f.pick(digits, 12) + "-" + f.pick(alnum, 24)
	case "slack-user-token":
		return "xo" + "xp-" + f.pick(digits, 11) + "-" + f.pick(digits, 11) + "-" + f.pick(digits, 12) + "-" + f.pick(hexLower, 32)
	case "slack-webhook-url":
		return "T" + f.pick(upperNum, 10) + "/B" + f.pick(upperNum, 10) + "/" + f.pick(alnum, 24)
	case "stripe-secret-key":
		return "sk" + "_live_" + f.pick(alnum, 34)
	case "stripe-restricted-key":
		return "rk" + "_live_" + f.pick(alnum, 34)
	case "stripe-test-key":
		return "sk" + "_test_" + f.pick(alnum, 34)
	case "google-api-key":
		return "AI" + "za" + f.pick(alnum, 35)
	case "google-oauth-client-secret":
		return "GOC" + "SPX-" + f.pick(alnum, 28)
	case "gcp-service-account-key":
		return f.pem("PRIVATE KEY", `\n`) + `\n`
	case "sendgrid-api-key":
		return "S" + "G." + f.pick(alnum, 22) + "." + f.pick(alnum, 43)
	case "npm-access-token":
		return f.checksummed("np" + "m_")
	case "pypi-upload-token":
		return "py" + "pi-AgEIcHlwaS5vcmc" + f.pick(alnum, 70)
	case "twilio-api-key":
		return "S" + "K" + f.pick(hexLower, 32)
	case "twilio-auth-token":
		return f.pick(hexLower, 32)
	case "mailgun-api-key":
		return "ke" + "y-" + f.pick(lowerNum, 32)
	case "mailgun-private-key":
		return f.pick(hexLower, 32) + "-" + f.pick(hexLower, 8) + "-" + f.pick(hexLower, 8)
	case "shopify-access-token":
		return "sh" + "pat_" + f.pick(hexLower, 32)
	case "shopify-shared-secret":
		return "sh" + "pss_" + f.pick(hexLower, 32)
	case "azure-storage-account-key":
		return f.pick(base64Std, 86) + "=="
	case "azure-ad-client-secret":
		return f.pick(alnum, 3) + f.pick(digits, 1) + "Q" + "~" + f.pick(alnum, 34)
	case "openai-api-key":
		return "sk" + "-proj-" + f.pick(alnum, 40) + "T3Blbk" + "FJ" + f.pick(alnum, 40)
	case "anthropic-api-key":
		return "sk" + "-ant-api03-" + f.pick(alnum, 93) + "AA"
	case "docker-hub-pat":
		return "dckr" + "_pat_" + f.pick(alnum, 27)
	case "jwt":
		return f.jwt()
	case "private-key":
		return f.pem(arg, "\n")
	case "url-basic-auth":
		return f.pick(alnum, 14)
	case "generic-secret":
		return f.pick(alnum, 12) + f.pick("!@%^+=", 1) + f.pick(alnum, 11)
	}
	panic("no fake for " + kind)
}
