package auth

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a signed request.
const (
	// AuthScheme is the Authorization scheme of a signed request:
	// "Authorization: Sluice-HMAC <key id>". The secret itself is never
	// sent.
	AuthScheme = "Sluice-HMAC"
	// HeaderTimestamp carries the signing time in unix seconds.
	HeaderTimestamp = "X-Sluice-Timestamp"
	// HeaderNonce carries a random value unique to the request, 16 to 64
	// characters of A-Z, a-z, 0-9, '-' and '_'.
	HeaderNonce = "X-Sluice-Nonce"
	// HeaderContentSHA256 carries the lowercase hex SHA-256 of the body
	// (of the empty string when there is no body).
	HeaderContentSHA256 = "X-Sluice-Content-SHA256"
	// HeaderSignature carries the hex HMAC-SHA-256 of the canonical string
	// (see CanonicalString) under the key's signing key.
	HeaderSignature = "X-Sluice-Signature"
)

// Errors of signed requests. VerifySignature wraps one of them with
// detail; the server maps each to its HTTP status in one place.
var (
	// ErrNotSigned reports a request whose Authorization header does not
	// use AuthScheme; the server may try bearer authentication instead.
	ErrNotSigned = errors.New("request is not signed")
	// ErrMalformedSignature reports a signed request with a missing,
	// repeated or badly formed signing header.
	ErrMalformedSignature = errors.New("malformed request signature headers")
	// ErrExpired reports a timestamp outside the accepted window.
	ErrExpired = errors.New("request signature expired")
	// ErrReplay reports a nonce already seen within the window.
	ErrReplay = errors.New("request replayed")
	// ErrBadSignature reports a signature that does not match.
	ErrBadSignature = errors.New("bad request signature")
	// ErrBodyMismatch reports a body whose SHA-256 differs from the one in
	// HeaderContentSHA256.
	ErrBodyMismatch = errors.New("request body does not match its signed hash")
)

// SignedHeaders are the signing headers of one request, checked for form
// but not yet verified.
type SignedHeaders struct {
	// KeyID is the id from "Authorization: Sluice-HMAC <id>".
	KeyID string
	// Timestamp is the signing time, whole seconds.
	Timestamp time.Time
	// Nonce is the request's nonce.
	Nonce string
	// ContentSHA256 is the lowercase hex SHA-256 the client sent for the body.
	ContentSHA256 string
	// Signature is the decoded signature.
	Signature []byte

	rawTimestamp string
}

// ParseSignedHeaders reads and checks the form of a signed request's
// headers. It returns ErrNotSigned when the Authorization header is absent
// or uses another scheme, and ErrMalformedSignature for anything else
// wrong. The server calls it first to learn KeyID, loads that key's
// signing key, then calls VerifySignature.
func ParseSignedHeaders(h http.Header) (SignedHeaders, error) {
	var sh SignedHeaders
	auths := h.Values("Authorization")
	if len(auths) == 0 {
		return sh, fmt.Errorf("%w: no Authorization header", ErrNotSigned)
	}
	scheme, id, _ := strings.Cut(auths[0], " ")
	if !strings.EqualFold(scheme, AuthScheme) {
		return sh, fmt.Errorf("%w: Authorization scheme is not %s", ErrNotSigned, AuthScheme)
	}
	if len(auths) != 1 {
		return sh, fmt.Errorf("%w: %d Authorization headers, want one", ErrMalformedSignature, len(auths))
	}
	id = strings.TrimSpace(id)
	if !ValidKeyID(id) {
		return sh, fmt.Errorf("%w: Authorization must be %q followed by a %d-character key id", ErrMalformedSignature, AuthScheme, KeyIDLen)
	}
	sh.KeyID = id

	ts, err := single(h, HeaderTimestamp)
	if err != nil {
		return SignedHeaders{}, err
	}
	if len(ts) == 0 || len(ts) > 12 || strings.Trim(ts, "0123456789") != "" {
		return SignedHeaders{}, fmt.Errorf("%w: %s must be unix seconds in decimal digits", ErrMalformedSignature, HeaderTimestamp)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return SignedHeaders{}, fmt.Errorf("%w: %s: %v", ErrMalformedSignature, HeaderTimestamp, err)
	}
	sh.Timestamp, sh.rawTimestamp = time.Unix(secs, 0), ts

	if sh.Nonce, err = single(h, HeaderNonce); err != nil {
		return SignedHeaders{}, err
	}
	if !ValidNonce(sh.Nonce) {
		return SignedHeaders{}, fmt.Errorf("%w: %s must be 16 to 64 characters of A-Z, a-z, 0-9, '-' and '_'", ErrMalformedSignature, HeaderNonce)
	}

	if sh.ContentSHA256, err = single(h, HeaderContentSHA256); err != nil {
		return SignedHeaders{}, err
	}
	if !isLowerHex(sh.ContentSHA256, 64) {
		return SignedHeaders{}, fmt.Errorf("%w: %s must be 64 lowercase hex digits", ErrMalformedSignature, HeaderContentSHA256)
	}

	sig, err := single(h, HeaderSignature)
	if err != nil {
		return SignedHeaders{}, err
	}
	if len(sig) != 64 {
		return SignedHeaders{}, fmt.Errorf("%w: %s must be 64 hex digits", ErrMalformedSignature, HeaderSignature)
	}
	if sh.Signature, err = hex.DecodeString(sig); err != nil {
		return SignedHeaders{}, fmt.Errorf("%w: %s must be 64 hex digits", ErrMalformedSignature, HeaderSignature)
	}
	return sh, nil
}

// single returns the one value of header name; a missing or repeated
// header is malformed, since two values would make the signed input
// ambiguous.
func single(h http.Header, name string) (string, error) {
	vs := h.Values(name)
	switch len(vs) {
	case 1:
		return vs[0], nil
	case 0:
		return "", fmt.Errorf("%w: missing %s header", ErrMalformedSignature, name)
	default:
		return "", fmt.Errorf("%w: %d %s headers, want one", ErrMalformedSignature, len(vs), name)
	}
}

// ValidNonce reports whether s is a well-formed nonce: 16 to 64
// characters of [A-Za-z0-9_-].
func ValidNonce(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
