package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"regexp"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

const (
	privateKeyID        = "private-key"
	gcpServiceAccountID = "gcp-service-account-key"
)

// maxPEMBlock bounds the search for a private key's END line.
const maxPEMBlock = 64 << 10

// minPEMBody is the least number of base64 characters between a private
// key's BEGIN and END lines; documentation that shows only the armour
// lines, or "...", has fewer.
const minPEMBody = 64

var pemKind = regexp.MustCompile(`-----BEGIN ?([ A-Z0-9_\-]{0,40}PRIVATE KEY(?: BLOCK)?)-----`)

// privateKeyRule finds PEM private keys (RSA, EC, DSA, OpenSSH, PKCS#8,
// encrypted PKCS#8, PGP): the secret is the whole block, BEGIN line to END
// line, so the finding spans those lines.
func privateKeyRule() *rule {
	return &rule{
		id: privateKeyID, title: "Private key", severity: findings.Critical,
		cwe:      []int{cweHardcodedCredentials, cweHardcodedKey},
		keywords: []string{"-----BEGIN"}, exact: true,
		pattern:  pemKind,
		priority: prioFormat,
		fix: "Treat the key as compromised: replace it (and revoke its certificate, or remove it from authorized_keys " +
			"and key servers), remove it from the code and the git history, and mount it at run time from a secret store.",
		check:  checkPEM,
		redact: redactPEM,
	}
}

// checkPEM extends a BEGIN line to the end of its block and rejects a
// block without a key in it.
func checkPEM(f *file, c *candidate, sub []int) bool {
	kind := f.content[sub[2]:sub[3]]
	end := []byte("-----END " + string(kind) + "-----")
	limit := min(len(f.content), c.end+maxPEMBlock)
	i := bytes.Index(f.content[c.end:limit], end)
	if i < 0 {
		return false
	}
	body := f.content[c.end : c.end+i]
	if base64Chars(body) < minPEMBody || entropy(body) < 4.0 {
		return false
	}
	c.end += i + len(end)
	c.setProp("key_type", string(kind))
	if bytes.HasPrefix(kind, []byte("ENCRYPTED")) || bytes.Contains(body, []byte("Proc-Type: 4,ENCRYPTED")) {
		c.severity = findings.High // still needs its passphrase
		c.setProp("encrypted", "true")
	}
	return true
}

// redactPEM shows the armour line only.
func redactPEM(secret string) string {
	if m := pemKind.FindString(secret); m != "" {
		return m + "…"
	}
	return "***"
}

func base64Chars(b []byte) int {
	n := 0
	for _, c := range b {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' {
			n++
		}
	}
	return n
}

var clientEmail = regexp.MustCompile(`"client_email"\s*:\s*"([^"\s]{1,200})"`)

// gcpServiceAccountRule finds the private key of a Google Cloud service
// account key file: JSON with "type": "service_account" and the PEM key
// on one line with escaped newlines.
func gcpServiceAccountRule() *rule {
	return &rule{
		id: gcpServiceAccountID, title: "Google Cloud service account key", severity: findings.Critical,
		cwe:      []int{cweHardcodedCredentials, cweHardcodedKey},
		keywords: []string{`"private_key"`},
		pattern: regexp.MustCompile(`"private_key"\s*:\s*"(?P<secret>-----BEGIN ?[ A-Z]{0,20}PRIVATE KEY-----` +
			`(?:\\n|[A-Za-z0-9+/=])+-----END ?[ A-Z]{0,20}PRIVATE KEY-----(?:\\n)?)"`),
		priority: prioEnvelope,
		window:   maxPEMBlock,
		fix: "Delete the key in the Google Cloud console (IAM, Service accounts, Keys), remove the file from the code " +
			"and the git history, and use workload identity or a secret store instead of key files.",
		check: func(f *file, c *candidate, _ []int) bool {
			if !bytes.Contains(f.content, []byte(`"service_account"`)) {
				return false // a private key in other JSON: the private-key rule reports it
			}
			if m := clientEmail.FindSubmatch(f.content); m != nil {
				c.setProp("client_email", string(m[1]))
			}
			return base64Chars(f.content[c.start:c.end]) >= minPEMBody
		},
		redact: redactPEM,
	}
}

// jwtRule finds JSON Web Tokens whose header and payload decode to JSON.
// A token may be a session of a test user as well as a long-lived service
// credential: low severity.
func jwtRule() *rule {
	return &rule{
		id: "jwt", title: "JSON Web Token", severity: findings.Low,
		cwe:      []int{cweHardcodedCredentials},
		keywords: []string{"eyJ"}, exact: true,
		pattern: regexp.MustCompile(`\b(?P<secret>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*)` +
			`(?:[^A-Za-z0-9_\-.]|$)`),
		minEntropy: 3.0,
		priority:   prioFormat,
		window:     16 << 10,
		fix:        "Remove the token; if it does not expire soon, revoke it or rotate the key that signed it.",
		check: func(f *file, c *candidate, _ []int) bool {
			parts := strings.Split(string(f.content[c.start:c.end]), ".")
			var header map[string]any
			if !decodeJSONPart(parts[0], &header) || header["alg"] == nil {
				return false
			}
			var claims map[string]any
			if !decodeJSONPart(parts[1], &claims) {
				return false
			}
			// The example token of the JWT introduction pages.
			if claims["sub"] == "1234567890" && claims["name"] == "John Doe" {
				return false
			}
			if alg, ok := header["alg"].(string); ok {
				c.setProp("jwt_alg", alg)
			}
			return true
		},
	}
}

func decodeJSONPart(s string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	return err == nil && json.Unmarshal(b, v) == nil
}

// urlAuthRule finds passwords in URLs: scheme://user:password@host. URLs
// are everywhere, so the rule parses around each "://" by hand.
func urlAuthRule() *rule {
	return &rule{
		id: "url-basic-auth", title: "Password in URL", severity: findings.High,
		cwe:        []int{cweHardcodedCredentials},
		keywords:   []string{"://"},
		minEntropy: 1.0,
		priority:   prioContext,
		lowInTests: true,
		fix:        revokeFix("wherever the account is managed"),
		matchAt:    matchURLAuth,
	}
}

// urlStop ends the user-info part of a URL.
const urlStop = " \t\r\n/?#'\"`<>[]{}\\"

// matchURLAuth reads scheme://user:password@host around the "://" at
// [ks, ke).
func matchURLAuth(f *file, r *rule, ks, ke int) (candidate, int, bool) {
	b := f.content
	c := candidate{}
	ss := ks
	for ss > 0 && ks-ss <= 30 && isSchemeByte(b[ss-1]) {
		ss--
	}
	if ss == ks || !isLetter(b[ss]) || ss > 0 && isSchemeByte(b[ss-1]) {
		return c, ke, false
	}
	at := ke
	for at < len(b) && at-ke <= 400 && b[at] != '@' && strings.IndexByte(urlStop, b[at]) < 0 {
		at++
	}
	if at >= len(b) || b[at] != '@' {
		return c, ke, false
	}
	colon := bytes.IndexByte(b[ke:at], ':')
	if colon < 0 || colon > 128 {
		return c, ke, false
	}
	us, ue, ps, pe := ke, ke+colon, ke+colon+1, at
	hs, he := at+1, at+1
	if he < len(b) && b[he] == '[' {
		for he < len(b) && b[he] != ']' && he-hs < 64 {
			he++
		}
		he++
	} else {
		for he < len(b) && (isLetter(b[he]) || '0' <= b[he] && b[he] <= '9' || b[he] == '.' || b[he] == '-' || b[he] == '_') {
			he++
		}
	}
	if he > len(b) || he == hs || pe-ps < 3 || pe-ps > 256 {
		return c, ke, false
	}
	user, pass := string(b[us:ue]), string(b[ps:pe])
	host := strings.ToLower(strings.Trim(string(b[hs:he]), "[]"))
	c = candidate{rule: r, start: ps, end: pe, severity: r.severity}
	if pass == "x-oauth-basic" {
		// GitHub's convention: the token is the user name.
		if len(user) < 8 {
			return c, at, false
		}
		c.start, c.end = us, ue
	} else if strings.EqualFold(user, pass) {
		return c, at, false
	}
	if exampleHost(host) {
		return c, at, false
	}
	if localHost(host) {
		c.severity = findings.Low
	}
	c.setProp("host", host)
	return c, at, true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isSchemeByte(c byte) bool {
	return isLetter(c) || '0' <= c && c <= '9' || c == '+' || c == '.' || c == '-'
}

func exampleHost(h string) bool {
	switch h {
	case "host", "hostname", "server", "domain", "domain.com", "your-host", "yourhost", "myhost", "db.example":
		return true
	}
	return h == "example.com" || h == "example.org" || h == "example.net" ||
		strings.HasSuffix(h, ".example.com") || strings.HasSuffix(h, ".example.org") ||
		strings.HasSuffix(h, ".example") || strings.HasSuffix(h, ".invalid") || strings.HasSuffix(h, ".test")
}

func localHost(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || h == "host.docker.internal" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}
