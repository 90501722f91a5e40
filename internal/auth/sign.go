package auth

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SigningInfo is the HKDF info string that derives a key's signing key
// from its secret. Changing it is a new signing scheme.
const SigningInfo = "sluice request signing v1"

// signingScheme is the first line of the canonical string; it binds the
// signature to this scheme and version.
const signingScheme = "SLUICE-HMAC-SHA256"

// DeriveSigningKey returns the 32-byte HMAC key a client signs requests
// with: HKDF-SHA-256 with the secret's characters as input keying
// material, no salt and SigningInfo as info. It is independent of
// HashSecret: knowing one gives nothing about the other.
func DeriveSigningKey(secret string) []byte {
	k, err := hkdf.Key(sha256.New, []byte(secret), nil, SigningInfo, 32)
	if err != nil {
		// hkdf.Key fails only for output lengths above 255*32 bytes or in
		// FIPS mode for keys under 112 bits; a 43-character secret and 32
		// bytes of output are neither. Return an empty key, which
		// VerifySignature refuses and Sign reports.
		return nil
	}
	return k
}

// CanonicalString returns the string a request's signature covers, lines
// joined by "\n" with no trailing newline:
//
//	SLUICE-HMAC-SHA256
//	METHOD            as sent, e.g. POST
//	PATH?QUERY        escaped path as sent ("/" if empty), "?" and the raw
//	                  query only when the query is not empty
//	TIMESTAMP         the X-Sluice-Timestamp value
//	NONCE             the X-Sluice-Nonce value
//	BODYSHA256        the X-Sluice-Content-SHA256 value
//
// The nonce is signed so that a replay cannot simply swap it; the first
// line binds the signature to this scheme. The query is not reordered:
// sign the URL exactly as it is sent. A proxy that rewrites the path in
// front of the server breaks signatures.
func CanonicalString(method string, u *url.URL, timestamp, nonce, bodySHA256 string) string {
	return strings.Join([]string{signingScheme, method, requestTarget(u), timestamp, nonce, bodySHA256}, "\n")
}

func requestTarget(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

func mac(sigKey []byte, canonical string) []byte {
	m := hmac.New(sha256.New, sigKey)
	m.Write([]byte(canonical))
	return m.Sum(nil)
}

// Sign signs req for a key with signing enabled. key is the plaintext key
// (Key.Reveal); body must be exactly the bytes req will send (nil for
// none). Sign sets Authorization to "Sluice-HMAC <id>", replacing any
// bearer token, so the secret never leaves the client, and sets the
// timestamp (from now), a fresh random nonce, the body hash and the
// signature. It does not set req.Body.
func Sign(req *http.Request, body []byte, key string, now time.Time) error {
	if req == nil || req.URL == nil {
		return errors.New("sign request: the request has no URL")
	}
	id, secret, err := ParseKey(key)
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	sigKey := DeriveSigningKey(secret)
	if len(sigKey) == 0 {
		return errors.New("sign request: could not derive the signing key")
	}
	var nb [16]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return fmt.Errorf("sign request: read random nonce: %w", err)
	}
	nonce := base64.RawURLEncoding.EncodeToString(nb[:])
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	ts := strconv.FormatInt(now.Unix(), 10)
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Set("Authorization", AuthScheme+" "+id)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderContentSHA256, bodyHash)
	req.Header.Set(HeaderSignature, hex.EncodeToString(mac(sigKey, CanonicalString(method, req.URL, ts, nonce, bodyHash))))
	return nil
}
