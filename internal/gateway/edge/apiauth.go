package edge

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
)

// Headers of API-key authentication and request signing.
const (
	// DefaultAPIKeyHeader carries the API key unless a route names another.
	DefaultAPIKeyHeader = "X-Api-Key"
	// HeaderSignTimestamp carries the signing time in unix seconds.
	HeaderSignTimestamp = "X-Edge-Timestamp"
	// HeaderSignNonce carries a value unique to the request: 16 to 64
	// characters of A-Z, a-z, 0-9, '-' and '_'.
	HeaderSignNonce = "X-Edge-Nonce"
	// HeaderContentSHA256 carries the lowercase hex SHA-256 of the body.
	HeaderContentSHA256 = "X-Edge-Content-SHA256"
	// HeaderSignature carries the lowercase hex HMAC-SHA-256 of
	// CanonicalRequest, keyed with the API key.
	HeaderSignature = "X-Edge-Signature"
)

// Defaults of APIAuthConfig.
const (
	DefaultSignatureWindow = 5 * time.Minute
	DefaultMaxSignedBody   = 1 << 20
	DefaultNonceCacheSize  = 100000
)

// APIAuthConfig requires API keys, and optionally signed requests, on
// the application's routes.
type APIAuthConfig struct {
	// Mode: off (default), detect, monitor or enforce.
	Mode Mode `json:"mode,omitempty"`
	// Routes are the protected path prefixes; the longest matching prefix
	// applies and paths under no prefix are not checked.
	Routes []APIRoute `json:"routes,omitempty"`
	// NonceCacheSize bounds the nonces remembered for replay protection
	// (default 100000). When full, the oldest is forgotten and requests
	// signed at or before its time are refused as possible replays.
	NonceCacheSize int `json:"nonce_cache_size,omitempty"`
}

// APIRoute protects the paths under PathPrefix.
type APIRoute struct {
	// PathPrefix is matched against the URL path, e.g. "/api/".
	PathPrefix string `json:"path_prefix"`
	// Header carries the key (default X-Api-Key).
	Header string `json:"header,omitempty"`
	// Keys are the accepted keys, stored as hashes.
	Keys []APIKey `json:"keys"`
	// RequireSignature requires the HMAC signature headers (see
	// SignRequest).
	RequireSignature bool `json:"require_signature,omitempty"`
	// Window is the replay window of signatures (default 5m): a request
	// signed up to Window before or after the gateway's clock passes, one
	// second more is refused.
	Window Duration `json:"window,omitempty"`
	// MaxBodyBytes bounds the body read to verify a signature (default
	// 1 MiB); a larger signed body is refused with 413.
	MaxBodyBytes int64 `json:"max_body_bytes,omitempty"`
}

// APIKey is one accepted key.
type APIKey struct {
	// ID names the key in logs; it is not secret.
	ID string `json:"id"`
	// SHA256 is HashAPIKey of the key: lowercase hex SHA-256.
	SHA256 string `json:"sha256"`
}

// HashAPIKey returns the value to store in APIKey.SHA256 for key.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

type apiRoute struct {
	APIRoute
	hashes [][]byte
	window time.Duration
}

type apiAuth struct {
	mode   Mode
	routes []apiRoute // longest prefix first
	nonces *auth.NonceCache
}

func newAPIAuth(c APIAuthConfig) (*apiAuth, error) {
	if err := c.Mode.validate(); err != nil {
		return nil, err
	}
	if !c.Mode.on() {
		return nil, nil
	}
	a := &apiAuth{mode: c.Mode, nonces: auth.NewNonceCache(nonceCacheSize(c.NonceCacheSize))}
	seen := map[string]bool{}
	for i, r := range c.Routes {
		if !strings.HasPrefix(r.PathPrefix, "/") {
			return nil, fmt.Errorf("routes[%d]: path_prefix %q must start with /", i, r.PathPrefix)
		}
		if seen[r.PathPrefix] {
			return nil, fmt.Errorf("routes[%d]: path_prefix %q is listed twice", i, r.PathPrefix)
		}
		seen[r.PathPrefix] = true
		ar := apiRoute{APIRoute: r, window: time.Duration(r.Window)}
		if ar.Header == "" {
			ar.Header = DefaultAPIKeyHeader
		}
		if ar.window == 0 {
			ar.window = DefaultSignatureWindow
		}
		if ar.window < time.Second {
			return nil, fmt.Errorf("routes[%d]: window %s: use at least 1s", i, ar.window)
		}
		if ar.MaxBodyBytes == 0 {
			ar.MaxBodyBytes = DefaultMaxSignedBody
		}
		if ar.MaxBodyBytes < 0 {
			return nil, fmt.Errorf("routes[%d]: max_body_bytes %d is negative", i, ar.MaxBodyBytes)
		}
		if len(r.Keys) == 0 {
			return nil, fmt.Errorf("routes[%d]: list at least one key (id and sha256 from HashAPIKey)", i)
		}
		for j, k := range r.Keys {
			h, err := hex.DecodeString(k.SHA256)
			if err != nil || len(h) != sha256.Size || strings.ToLower(k.SHA256) != k.SHA256 {
				return nil, fmt.Errorf("routes[%d].keys[%d] (%s): sha256 must be 64 lowercase hex characters, the SHA-256 of the key", i, j, k.ID)
			}
			ar.hashes = append(ar.hashes, h)
		}
		a.routes = append(a.routes, ar)
	}
	for i := 1; i < len(a.routes); i++ {
		for j := i; j > 0 && len(a.routes[j].PathPrefix) > len(a.routes[j-1].PathPrefix); j-- {
			a.routes[j], a.routes[j-1] = a.routes[j-1], a.routes[j]
		}
	}
	return a, nil
}

func (a *apiAuth) route(path string) *apiRoute {
	for i := range a.routes {
		if strings.HasPrefix(path, a.routes[i].PathPrefix) {
			return &a.routes[i]
		}
	}
	return nil
}

// authError is a refusal reason: the Block rule suffix and the status.
type authError struct {
	reason string
	status int
	msg    string
}

func (e *authError) Error() string { return e.msg }

func authFail(reason string, status int, format string, args ...any) *authError {
	return &authError{reason: reason, status: status, msg: fmt.Sprintf(format, args...)}
}

// checkKey reports whether key's hash is one of the route's, comparing
// against every hash in constant time.
func (ar *apiRoute) checkKey(key string) bool {
	sum := sha256.Sum256([]byte(key))
	found := 0
	for _, h := range ar.hashes {
		found |= subtle.ConstantTimeCompare(sum[:], h)
	}
	return found == 1
}

// verify authenticates r; on success r.Body is replaced by the bytes
// read.
func (a *apiAuth) verify(ar *apiRoute, r *http.Request, now time.Time) *authError {
	key := r.Header.Get(ar.Header)
	if key == "" {
		return authFail("missing-key", http.StatusUnauthorized, "missing API key: send it in the %s header", ar.Header)
	}
	if !ar.checkKey(key) {
		return authFail("bad-key", http.StatusUnauthorized, "API key not accepted")
	}
	if !ar.RequireSignature {
		return nil
	}
	ts, nonce, bodySum, sig := r.Header.Get(HeaderSignTimestamp), r.Header.Get(HeaderSignNonce), r.Header.Get(HeaderContentSHA256), r.Header.Get(HeaderSignature)
	if ts == "" || nonce == "" || bodySum == "" || sig == "" {
		return authFail("not-signed", http.StatusUnauthorized, "request not signed: send %s, %s, %s and %s", HeaderSignTimestamp, HeaderSignNonce, HeaderContentSHA256, HeaderSignature)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || !auth.ValidNonce(nonce) || !isLowerHex(bodySum, 64) || !isLowerHex(sig, 64) {
		return authFail("malformed-signature", http.StatusUnauthorized, "malformed signature headers: unix seconds, a 16-64 character nonce, lowercase hex SHA-256 and HMAC")
	}
	signed := time.Unix(secs, 0)
	if skew := now.Sub(signed); skew > ar.window || skew < -ar.window {
		return authFail("expired", http.StatusUnauthorized, "signature timestamp %s is more than %s from the gateway's clock; sign just before sending", signed.UTC().Format(time.RFC3339), ar.window)
	}
	body, err := readBody(r, ar.MaxBodyBytes)
	if err != nil {
		var tooLarge *bodyTooLargeError
		if errors.As(err, &tooLarge) {
			return authFail("body-too-large", http.StatusRequestEntityTooLarge, "signed body larger than %d bytes", ar.MaxBodyBytes)
		}
		return authFail("bad-body", http.StatusBadRequest, "could not read the request body: %v", err)
	}
	sum := sha256.Sum256(body)
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(bodySum)) != 1 {
		return authFail("body-mismatch", http.StatusUnauthorized, "body does not match %s", HeaderContentSHA256)
	}
	want := signatureMAC(key, CanonicalRequest(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, ts, nonce, bodySum))
	got, _ := hex.DecodeString(sig)
	if !hmac.Equal(want, got) {
		return authFail("bad-signature", http.StatusUnauthorized, "signature does not match: sign method, path, query, timestamp, nonce and body hash exactly as sent")
	}
	// Nonces are scoped by key (by its hash: the key itself is not kept).
	if a.nonces.Record(HashAPIKey(key)[:32]+":"+nonce, signed, now, ar.window) != nil {
		return authFail("replay", http.StatusUnauthorized, "nonce already used or too old to check: sign each request afresh")
	}
	return nil
}

// CanonicalRequest is the string a signature covers, lines joined by
// "\n": the scheme name, the method, the escaped path ("/" if empty)
// followed by "?" and the raw query when there is one, the timestamp, the
// nonce and the body's hex SHA-256.
func CanonicalRequest(method, escapedPath, rawQuery, timestamp, nonce, bodySHA256 string) string {
	if escapedPath == "" {
		escapedPath = "/"
	}
	if rawQuery != "" {
		escapedPath += "?" + rawQuery
	}
	return strings.Join([]string{"SLUICE-EDGE-HMAC-SHA256", method, escapedPath, timestamp, nonce, bodySHA256}, "\n")
}

func signatureMAC(key, canonical string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(canonical))
	return m.Sum(nil)
}

// SignRequest adds the API key and signature headers to req for a
// route with the default key header. body must be exactly the bytes req
// sends; nonce must be unique per request (16-64 characters of A-Z, a-z,
// 0-9, '-', '_'). It does not set req.Body.
func SignRequest(req *http.Request, body []byte, apiKey, nonce string, now time.Time) error {
	if req == nil || req.URL == nil {
		return errors.New("sign request: the request has no URL")
	}
	if !auth.ValidNonce(nonce) {
		return fmt.Errorf("sign request: nonce %q: use 16-64 characters of A-Z, a-z, 0-9, '-' and '_'", nonce)
	}
	sum := sha256.Sum256(body)
	bodySum := hex.EncodeToString(sum[:])
	ts := strconv.FormatInt(now.Unix(), 10)
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	req.Header.Set(DefaultAPIKeyHeader, apiKey)
	req.Header.Set(HeaderSignTimestamp, ts)
	req.Header.Set(HeaderSignNonce, nonce)
	req.Header.Set(HeaderContentSHA256, bodySum)
	req.Header.Set(HeaderSignature, hex.EncodeToString(signatureMAC(apiKey, CanonicalRequest(method, req.URL.EscapedPath(), req.URL.RawQuery, ts, nonce, bodySum))))
	return nil
}

// nonceCacheSize applies the edge's default, larger than the API's: an
// application's clients sign far more requests than operators do.
func nonceCacheSize(n int) int {
	if n <= 0 {
		return DefaultNonceCacheSize
	}
	return n
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

type bodyTooLargeError struct{ limit int64 }

func (e *bodyTooLargeError) Error() string {
	return fmt.Sprintf("request body larger than %d bytes", e.limit)
}

// readBody reads r's whole body, at most limit bytes, and puts the bytes
// back so the next handler reads them again. When the body is longer, the
// bytes read are put back in front of the rest (a layer that only detects
// lets the request pass whole).
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
		return nil, &bodyTooLargeError{limit: limit}
	}
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// checkAuth applies the API key rules; false when the request was refused.
func (e *Edge) checkAuth(w http.ResponseWriter, r *http.Request, rc *requestContext) bool {
	ar := e.auth.route(r.URL.Path)
	if ar == nil {
		return true
	}
	aerr := e.auth.verify(ar, r, rc.now)
	if aerr == nil {
		return true
	}
	e.report(r, rc, Block{Layer: LayerAuth, Rule: "auth:" + aerr.reason, Status: aerr.status, Mode: e.auth.mode, Enforced: e.auth.mode == ModeEnforce, Message: aerr.msg})
	if e.auth.mode != ModeEnforce {
		return true
	}
	if aerr.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `ApiKey header="`+ar.Header+`"`)
	}
	refuse(w, aerr.status, LayerAuth, rc.id, aerr.msg, 0)
	return false
}
