package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseSignedHeaders(t *testing.T) {
	key := newTestKey(t)
	r := httptest.NewRequest("GET", "/api/v1/runs", nil)
	now := time.Unix(1_750_000_000, 0)
	if err := Sign(r, nil, key, now); err != nil {
		t.Fatal(err)
	}
	id, _, _ := ParseKey(key)
	sh, err := ParseSignedHeaders(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	if sh.KeyID != id || !sh.Timestamp.Equal(now) || len(sh.Signature) != 32 || !ValidNonce(sh.Nonce) {
		t.Fatalf("parsed %+v", sh)
	}
	// The scheme is case-insensitive, as HTTP auth schemes are.
	r.Header.Set("Authorization", "sluice-hmac "+id)
	if _, err := ParseSignedHeaders(r.Header); err != nil {
		t.Fatalf("lower-case scheme: %v", err)
	}
	for name, mutate := range map[string]func(h http.Header){
		"id missing":        func(h http.Header) { h.Set("Authorization", AuthScheme) },
		"id bad":            func(h http.Header) { h.Set("Authorization", AuthScheme+" ABCDEFGH2345") },
		"full key as id":    func(h http.Header) { h.Set("Authorization", AuthScheme+" "+key) },
		"two authorization": func(h http.Header) { h.Add("Authorization", AuthScheme+" "+id) },
		"signed timestamp":  func(h http.Header) { h.Set(HeaderTimestamp, "+1750000000") },
		"fraction":          func(h http.Header) { h.Set(HeaderTimestamp, "1750000000.5") },
		"huge timestamp":    func(h http.Header) { h.Set(HeaderTimestamp, strings.Repeat("9", 13)) },
		"empty timestamp":   func(h http.Header) { h.Set(HeaderTimestamp, "") },
		"short nonce":       func(h http.Header) { h.Set(HeaderNonce, "abc") },
		"nonce with space":  func(h http.Header) { h.Set(HeaderNonce, "abcdefgh ijklmnop") },
		"long nonce":        func(h http.Header) { h.Set(HeaderNonce, strings.Repeat("a", 65)) },
		"short body hash":   func(h http.Header) { h.Set(HeaderContentSHA256, "abc") },
		"no body hash":      func(h http.Header) { h.Del(HeaderContentSHA256) },
		"bad signature hex": func(h http.Header) { h.Set(HeaderSignature, strings.Repeat("g", 64)) },
		"short signature":   func(h http.Header) { h.Set(HeaderSignature, strings.Repeat("a", 62)) },
	} {
		h := r.Header.Clone()
		mutate(h)
		if _, err := ParseSignedHeaders(h); !errors.Is(err, ErrMalformedSignature) {
			t.Errorf("%s: err = %v, want ErrMalformedSignature", name, err)
		}
	}
}

func FuzzParseSignedHeaders(f *testing.F) {
	key := "slk_abcdefgh2345_" + strings.Repeat("Ab3", 14) + "z"
	_, secret, _ := ParseKey(key)
	sigKey := DeriveSigningKey(secret)
	// A fixed genuine request (Sign's nonce is random, and fuzz workers
	// rerun this setup, so the seed must not depend on it).
	const ts, nonce = "1750000000", "fixed-nonce-0123456789"
	bodySHA := hex.EncodeToString(func() []byte { s := sha256.Sum256([]byte("{}")); return s[:] }())
	u, _ := url.Parse("/api/v1/runs?x=1")
	genuine := hex.EncodeToString(mac(sigKey, CanonicalString("POST", u, ts, nonce, bodySHA)))
	f.Add(AuthScheme+" abcdefgh2345", ts, nonce, bodySHA, genuine)
	f.Add("Bearer x", "0", "", "", "")
	f.Add("Sluice-HMAC  abcdefgh2345 ", "00000000000", "----------------", strings.Repeat("f", 64), strings.Repeat("F", 64))
	f.Fuzz(func(t *testing.T, auth, ts, nonce, bodySHA, sig string) {
		h := http.Header{
			"Authorization":                              {auth},
			http.CanonicalHeaderKey(HeaderTimestamp):     {ts},
			http.CanonicalHeaderKey(HeaderNonce):         {nonce},
			http.CanonicalHeaderKey(HeaderContentSHA256): {bodySHA},
			http.CanonicalHeaderKey(HeaderSignature):     {sig},
		}
		sh, err := ParseSignedHeaders(h)
		if err != nil {
			if !errors.Is(err, ErrNotSigned) && !errors.Is(err, ErrMalformedSignature) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if sh.KeyID != "" || sh.Signature != nil {
				t.Fatal("fields returned with an error")
			}
		} else {
			if !ValidKeyID(sh.KeyID) || !ValidNonce(sh.Nonce) || !isLowerHex(sh.ContentSHA256, 64) || len(sh.Signature) != 32 {
				t.Fatalf("accepted malformed headers: %+v", sh)
			}
			if strconv.FormatInt(sh.Timestamp.Unix(), 10) != strings.TrimLeft(ts, "0") && sh.Timestamp.Unix() != 0 {
				t.Fatalf("timestamp %q parsed as %d", ts, sh.Timestamp.Unix())
			}
		}
		// Verification of arbitrary headers never panics, and succeeds only
		// for the genuine signature.
		req := httptest.NewRequest("POST", "/api/v1/runs?x=1", nil)
		req.Header = h
		err = VerifySignature(req, []byte("{}"), sigKey, time.Unix(1_750_000_000, 0), 0, nil)
		if err == nil && !strings.EqualFold(sig, genuine) {
			t.Fatalf("forged signature %q accepted", sig)
		}
	})
}
