package secrets

import (
	"hash/crc32"
	"math"
	"strings"
)

// entropy returns the Shannon entropy of b in bits per byte: 0 for "aaaa",
// 2 for "abcd", about 5.95 for long random base62 text.
func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	n := float64(len(b))
	h := 0.0
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// placeholderParts mark values written to be replaced, found anywhere in
// the (lowercased) value.
var placeholderParts = []string{
	"example", "changeme", "change_me", "change-me", "changeit", "placeholder",
	"your_", "your-", "yourtoken", "yourkey", "yoursecret", "yourpassword", "yourapikey",
	"password", "passwd", "dummy", "sample", "redacted", "replace_me", "replaceme", "replace-me", "insert_", "insert-",
	"xxxx", "****", "....", "____", "----", "${", "{{", "}}", "$(", "%(", "#{",
	"0123456789", "1234567890", "abcdefghij", "qwertyuiop", "secret_here", "token_here", "key_here",
}

// placeholderValues are whole values that are not secrets.
var placeholderValues = map[string]bool{
	"password": true, "passw0rd": true, "p@ssw0rd": true, "p@ssword": true, "password1": true, "password123": true,
	"secret": true, "secrets": true, "token": true, "none": true, "null": true, "nil": true, "undefined": true,
	"true": true, "false": true, "required": true, "optional": true, "string": true, "default": true,
	"empty": true, "test": true, "testing": true, "admin": true, "root": true, "pass": true, "qwerty": true,
	"letmein": true, "foobar": true, "todo": true, "tbd": true, "fixme": true, "mysecret": true,
	"mypassword": true, "secretkey": true, "secret_key": true, "apikey": true, "api_key": true,
	"access_token": true, "accesstoken": true, "auth_token": true, "notsecret": true, "not-a-secret": true,
}

// placeholderPrefixes start references to a secret kept elsewhere, or
// syntax that is not a literal: shell and template variables, YAML tags,
// anchors and aliases, secret-manager URIs, encrypted values.
var placeholderPrefixes = []string{
	"$", "%", "!vault", "!secret", "!env", "!ref", "!sub", "!getatt", "!import", "!join", "arn:", "enc[", "vault:", "sm://", "ref+", "op://", "akv://",
	"secretref:", "@microsoft.keyvault", "projects/", "file:", "env:", "process.env", "os.getenv", "os.environ",
}

// isPlaceholder says whether a matched value is evidently not a real
// secret: a template, an environment lookup, an example from the
// documentation, a run of one character.
func isPlaceholder(v string) bool {
	l := strings.ToLower(v)
	if placeholderValues[l] {
		return true
	}
	for _, p := range placeholderPrefixes {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	for _, p := range placeholderParts {
		if strings.Contains(l, p) {
			return true
		}
	}
	for _, q := range [][2]string{{"<", ">"}, {"{", "}"}, {"@@", "@@"}, {"__", "__"}, {"%", "%"}} {
		if len(l) > len(q[0])+len(q[1]) && strings.HasPrefix(l, q[0]) && strings.HasSuffix(l, q[1]) {
			return true // <your-key>, {token}, @@TOKEN@@, __TOKEN__, %TOKEN%
		}
	}
	return false
}

// base62Alphabet is the digit order of GitHub's and npm's token checksums.
const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62CRC32 checks the checksum of a GitHub or npm token: after the
// four-byte prefix come 30 random characters and the CRC-32 of those
// characters in base62, left-padded with zeros to 6 characters. Tokens of
// another length carry no such checksum.
func base62CRC32(token string) (applicable, valid bool) {
	if len(token) != 40 {
		return false, false
	}
	body := token[4:34]
	return true, base62(crc32.ChecksumIEEE([]byte(body)), 6) == token[34:]
}

// base62 writes n in base62 with at least width digits.
func base62(n uint32, width int) string {
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = base62Alphabet[n%62]
		n /= 62
	}
	return string(b)
}
