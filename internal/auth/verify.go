package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// DefaultWindow is the replay window VerifySignature uses when given 0: a
// request's timestamp may be this far behind or ahead of the server clock.
const DefaultWindow = 5 * time.Minute

// VerifySignature checks a signed request against the key's signing key
// (DeriveSigningKey of its secret, as the server stored it). body is the
// request body the server read, in full. It checks, in order: the form of
// the headers (ErrNotSigned, ErrMalformedSignature); that the timestamp is
// within window of now either way (ErrExpired); that body hashes to the
// signed hash (ErrBodyMismatch); the signature, in constant time
// (ErrBadSignature); and last, once the request is known genuine, that its
// nonce is new (ErrReplay). window <= 0 means DefaultWindow. nonces nil
// skips the replay check; do that only where replays are harmless.
//
// Errors carry no secret material, so they may be logged and returned to
// the client.
func VerifySignature(r *http.Request, body []byte, sigKey []byte, now time.Time, window time.Duration, nonces *NonceCache) error {
	if r == nil || r.URL == nil {
		return fmt.Errorf("%w: no request URL", ErrMalformedSignature)
	}
	sh, err := ParseSignedHeaders(r.Header)
	if err != nil {
		return err
	}
	if len(sigKey) == 0 {
		return errors.New("verify signature: empty signing key: open the key's sealed signing key with OpenSigningKey first")
	}
	if window <= 0 {
		window = DefaultWindow
	}
	if skew := now.Sub(sh.Timestamp); skew > window || skew < -window {
		return fmt.Errorf("%w: signed at %s, server time %s, more than %s apart; check the client's clock and sign just before sending",
			ErrExpired, sh.Timestamp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), window)
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != sh.ContentSHA256 {
		return fmt.Errorf("%w: sign exactly the bytes you send, and hash an empty body as the empty string", ErrBodyMismatch)
	}
	want := mac(sigKey, CanonicalString(r.Method, r.URL, sh.rawTimestamp, sh.Nonce, sh.ContentSHA256))
	if !hmac.Equal(want, sh.Signature) {
		return fmt.Errorf("%w: for key %s; check the key, and that method, path and query are signed exactly as sent", ErrBadSignature, sh.KeyID)
	}
	if nonces != nil {
		if err := nonces.Record(sh.KeyID+":"+sh.Nonce, sh.Timestamp, now, window); err != nil {
			return err
		}
	}
	return nil
}
