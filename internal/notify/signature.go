package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultWindow is the replay window [Verify] uses when given none.
const DefaultWindow = 5 * time.Minute

// Errors returned by [Verify]; test for them with errors.Is.
var (
	ErrMalformedSignature = errors.New("malformed signature header: want sha256=<64 hex digits>")
	ErrMalformedTimestamp = errors.New("malformed timestamp header: want unix seconds")
	ErrStaleTimestamp     = errors.New("timestamp outside the replay window: check the clocks or reject the replay")
	ErrSignatureMismatch  = errors.New("signature does not match: wrong secret or altered body")
)

// sign returns the X-Sluice-Signature value for body sent at timestamp.
func sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook delivery: signature (the X-Sluice-Signature
// header) must be "sha256=" and the hex HMAC-SHA256, keyed with secret, of
// timestamp (the X-Sluice-Timestamp header), a dot, and body, and timestamp
// must lie within window of now in either direction (window <= 0 means
// [DefaultWindow]). The MAC is compared in constant time. Receivers should
// also drop deliveries whose X-Sluice-Delivery they have seen before.
func Verify(secret, timestamp, body, signature string, now time.Time, window time.Duration) error {
	if secret == "" {
		return errors.New("verify webhook: empty secret: configure the secret shared with sluice")
	}
	if window <= 0 {
		window = DefaultWindow
	}
	hexSig, ok := strings.CutPrefix(signature, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return ErrMalformedSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return ErrMalformedSignature
	}
	if timestamp == "" || len(timestamp) > 12 || strings.TrimLeft(timestamp, "0123456789") != "" {
		return ErrMalformedTimestamp
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrMalformedTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)).Abs(); d > window {
		return fmt.Errorf("%w: %s apart, window %s", ErrStaleTimestamp, d.Round(time.Second), window)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(sign([]byte(secret), timestamp, []byte(body)), "sha256="))
	if !hmac.Equal(got, want) {
		return ErrSignatureMismatch
	}
	return nil
}

// Sign returns the X-Sluice-Signature value for body sent at timestamp
// (unix seconds) with secret: what [Verify] checks. Other sluice senders
// (the audit forwarder) sign with it.
func Sign(secret []byte, timestamp string, body []byte) string { return sign(secret, timestamp, body) }
