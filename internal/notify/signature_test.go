package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// refSign computes the signature the documentation describes, without the
// package's code.
func refSign(secret, ts, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := `{"id":"e1","kind":"run.failed"}`
	good := refSign("sec", ts, body)
	for _, tc := range []struct {
		name                string
		secret, ts, body, s string
		now                 time.Time
		window              time.Duration
		want                error
	}{
		{"valid", "sec", ts, body, good, now, time.Minute, nil},
		{"valid upper-case hex", "sec", ts, body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), now, time.Minute, nil},
		{"just inside the window", "sec", ts, body, good, now.Add(time.Minute), time.Minute, nil},
		{"default window", "sec", ts, body, good, now.Add(4 * time.Minute), 0, nil},
		{"replayed later", "sec", ts, body, good, now.Add(61 * time.Second), time.Minute, ErrStaleTimestamp},
		{"from the future", "sec", ts, body, good, now.Add(-2 * time.Minute), time.Minute, ErrStaleTimestamp},
		{"beyond default window", "sec", ts, body, good, now.Add(6 * time.Minute), 0, ErrStaleTimestamp},
		{"wrong secret", "other", ts, body, good, now, time.Minute, ErrSignatureMismatch},
		{"altered body", "sec", ts, body + " ", good, now, time.Minute, ErrSignatureMismatch},
		{"timestamp moved", "sec", strconv.FormatInt(now.Unix()+1, 10), body, good, now, time.Minute, ErrSignatureMismatch},
		{"no prefix", "sec", ts, body, strings.TrimPrefix(good, "sha256="), now, time.Minute, ErrMalformedSignature},
		{"other algorithm", "sec", ts, body, "sha1=" + strings.TrimPrefix(good, "sha256="), now, time.Minute, ErrMalformedSignature},
		{"short", "sec", ts, body, good[:len(good)-2], now, time.Minute, ErrMalformedSignature},
		{"not hex", "sec", ts, body, good[:len(good)-1] + "z", now, time.Minute, ErrMalformedSignature},
		{"empty signature", "sec", ts, body, "", now, time.Minute, ErrMalformedSignature},
		{"signed timestamp", "sec", "+" + ts, body, good, now, time.Minute, ErrMalformedTimestamp},
		{"non-digit timestamp", "sec", ts + "a", body, good, now, time.Minute, ErrMalformedTimestamp},
		{"empty timestamp", "sec", "", body, good, now, time.Minute, ErrMalformedTimestamp},
	} {
		err := Verify(tc.secret, tc.ts, tc.body, tc.s, tc.now, tc.window)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := Verify("", ts, body, good, now, time.Minute); err == nil {
		t.Error("empty secret verified")
	}
}

// FuzzVerify feeds arbitrary signature and timestamp headers to Verify: it
// must never panic, and must accept only the exact signature of a
// timestamp inside the window.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	f.Add(ts, refSign("k", ts, "body"), "body")
	f.Add(ts, "sha256=", "")
	f.Add("-1", "sha256=zz", "x")
	f.Add("99999999999999999999", "sha256="+strings.Repeat("0", 64), "")
	f.Add(ts, "sha256="+strings.Repeat("é", 32), "b")
	f.Fuzz(func(t *testing.T, timestamp, signature, body string) {
		err := Verify("k", timestamp, body, signature, now, time.Minute)
		if err != nil {
			if !errors.Is(err, ErrMalformedSignature) && !errors.Is(err, ErrMalformedTimestamp) &&
				!errors.Is(err, ErrStaleTimestamp) && !errors.Is(err, ErrSignatureMismatch) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !strings.EqualFold(signature, refSign("k", timestamp, body)) {
			t.Fatalf("accepted signature %q for ts %q body %q", signature, timestamp, body)
		}
		sec, perr := strconv.ParseInt(timestamp, 10, 64)
		if perr != nil || now.Sub(time.Unix(sec, 0)).Abs() > time.Minute {
			t.Fatalf("accepted timestamp %q outside the window", timestamp)
		}
	})
}
