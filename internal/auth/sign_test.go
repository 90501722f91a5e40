package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// verifyServer is a real HTTP server that verifies every request against
// the signing key of key and answers 204, or 401 with the error.
func verifyServer(t *testing.T, key string, now func() time.Time, nonces *NonceCache) *httptest.Server {
	t.Helper()
	id, secret, err := ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sigKey := DeriveSigningKey(secret)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		sh, err := ParseSignedHeaders(r.Header)
		if err == nil && sh.KeyID != id {
			err = fmt.Errorf("unknown key %s", sh.KeyID)
		}
		if err == nil {
			err = VerifySignature(r, body, sigKey, now(), 0, nonces)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newTestKey(t testing.TB) string {
	plain, _, _, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSignVerifyOverHTTP(t *testing.T) {
	key := newTestKey(t)
	now := time.Now()
	srv := verifyServer(t, key, func() time.Time { return now }, NewNonceCache(0))
	for _, tc := range []struct {
		method, target string
		body           []byte
	}{
		{"GET", "/api/v1/runs", nil},
		{"GET", "", nil},
		{"POST", "/api/v1/projects/web/runs?ref=main&x=1&x=2", []byte(`{"ref":"main"}`)},
		{"PUT", "/api/v1/secrets/a%2Fb?q=hello+world&e=%C3%A9", bytes.Repeat([]byte{0, 1, 2, 255}, 5000)},
		{"DELETE", "/api/v1/keys/abcdefgh2345?", nil},
		{"PATCH", "/a/b/../c/%7Euser", []byte("x")},
	} {
		req, err := http.NewRequest(tc.method, srv.URL+tc.target, bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if err := Sign(req, tc.body, key, now); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(fmt.Sprint(req.Header), strings.SplitN(key, "_", 3)[2]) {
			t.Fatal("the secret was sent in a header")
		}
		if code, msg := send(t, req); code != http.StatusNoContent {
			t.Errorf("%s %s: %d %s", tc.method, tc.target, code, msg)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	key := newTestKey(t)
	_, secret, _ := ParseKey(key)
	sigKey := DeriveSigningKey(secret)
	now := time.Unix(1_750_000_000, 0)
	body := []byte(`{"approve":true}`)
	signed := func() *http.Request {
		r := httptest.NewRequest("POST", "/api/v1/releases/rel-1/approve?env=staging", bytes.NewReader(body))
		if err := Sign(r, body, key, now); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if err := VerifySignature(signed(), body, sigKey, now, 0, nil); err != nil {
		t.Fatalf("genuine request rejected: %v", err)
	}
	other := DeriveSigningKey(strings.Repeat("A", SecretLen))
	cases := []struct {
		name   string
		mutate func(r *http.Request) (body, sigKey []byte, at time.Time)
		want   error
	}{
		{"method", func(r *http.Request) ([]byte, []byte, time.Time) { r.Method = "PUT"; return body, sigKey, now }, ErrBadSignature},
		{"path", func(r *http.Request) ([]byte, []byte, time.Time) {
			r.URL.Path = "/api/v1/releases/rel-2/approve"
			return body, sigKey, now
		}, ErrBadSignature},
		{"query", func(r *http.Request) ([]byte, []byte, time.Time) {
			r.URL.RawQuery = "env=production"
			return body, sigKey, now
		}, ErrBadSignature},
		{"body", func(r *http.Request) ([]byte, []byte, time.Time) { return []byte(`{"approve":false}`), sigKey, now }, ErrBodyMismatch},
		{"body and its hash", func(r *http.Request) ([]byte, []byte, time.Time) {
			b := []byte(`{"approve":false}`)
			s := sha256.Sum256(b)
			r.Header.Set(HeaderContentSHA256, hex.EncodeToString(s[:]))
			return b, sigKey, now
		}, ErrBadSignature},
		{"nonce swapped", func(r *http.Request) ([]byte, []byte, time.Time) {
			r.Header.Set(HeaderNonce, "AAAAAAAAAAAAAAAAAAAAAA")
			return body, sigKey, now
		}, ErrBadSignature},
		{"timestamp moved", func(r *http.Request) ([]byte, []byte, time.Time) {
			r.Header.Set(HeaderTimestamp, fmt.Sprint(now.Unix()+1))
			return body, sigKey, now
		}, ErrBadSignature},
		{"other key", func(r *http.Request) ([]byte, []byte, time.Time) { return body, other, now }, ErrBadSignature},
		{"lookup hash as key", func(r *http.Request) ([]byte, []byte, time.Time) {
			return body, []byte(HashSecret(secret)), now
		}, ErrBadSignature},
		{"signature flipped", func(r *http.Request) ([]byte, []byte, time.Time) {
			s := []byte(r.Header.Get(HeaderSignature))
			if s[0] == '0' {
				s[0] = '1'
			} else {
				s[0] = '0'
			}
			r.Header.Set(HeaderSignature, string(s))
			return body, sigKey, now
		}, ErrBadSignature},
		{"too old", func(r *http.Request) ([]byte, []byte, time.Time) {
			return body, sigKey, now.Add(DefaultWindow + time.Second)
		}, ErrExpired},
		{"from the future", func(r *http.Request) ([]byte, []byte, time.Time) {
			return body, sigKey, now.Add(-DefaultWindow - time.Second)
		}, ErrExpired},
		{"bearer", func(r *http.Request) ([]byte, []byte, time.Time) {
			r.Header.Set("Authorization", "Bearer "+key)
			return body, sigKey, now
		}, ErrNotSigned},
		{"no authorization", func(r *http.Request) ([]byte, []byte, time.Time) {
			r.Header.Del("Authorization")
			return body, sigKey, now
		}, ErrNotSigned},
		{"two signatures", func(r *http.Request) ([]byte, []byte, time.Time) {
			r.Header.Add(HeaderSignature, r.Header.Get(HeaderSignature))
			return body, sigKey, now
		}, ErrMalformedSignature},
		{"no nonce", func(r *http.Request) ([]byte, []byte, time.Time) { r.Header.Del(HeaderNonce); return body, sigKey, now }, ErrMalformedSignature},
		{"upper-case body hash", func(r *http.Request) ([]byte, []byte, time.Time) {
			r.Header.Set(HeaderContentSHA256, strings.ToUpper(r.Header.Get(HeaderContentSHA256)))
			return body, sigKey, now
		}, ErrMalformedSignature},
	}
	for _, c := range cases {
		r := signed()
		b, k, at := c.mutate(r)
		err := VerifySignature(r, b, k, at, 0, nil)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error contains the secret", c.name)
		}
	}
	// Inside the window either way is fine.
	for _, d := range []time.Duration{DefaultWindow, -DefaultWindow, time.Minute} {
		if err := VerifySignature(signed(), body, sigKey, now.Add(d), 0, nil); err != nil {
			t.Errorf("skew %s rejected: %v", d, err)
		}
	}
	if err := VerifySignature(signed(), body, sigKey, now.Add(2*time.Minute), time.Minute, nil); !errors.Is(err, ErrExpired) {
		t.Errorf("custom window ignored: %v", err)
	}
	if err := VerifySignature(signed(), body, nil, now, 0, nil); err == nil || errors.Is(err, ErrBadSignature) {
		t.Errorf("empty signing key: err = %v, want a configuration error", err)
	}
}

func TestSignErrors(t *testing.T) {
	r := httptest.NewRequest("GET", "/x", nil)
	if err := Sign(r, nil, "Bearer nope", time.Now()); !errors.Is(err, ErrMalformedKey) {
		t.Fatalf("err = %v", err)
	}
	if err := Sign(&http.Request{}, nil, newTestKey(t), time.Now()); err == nil {
		t.Fatal("Sign accepted a request without URL")
	}
	// Sign replaces a bearer token, so the secret does not travel.
	key := newTestKey(t)
	r.Header.Set("Authorization", "Bearer "+key)
	if err := Sign(r, nil, key, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Values("Authorization"); len(got) != 1 || strings.Contains(got[0], key) {
		t.Fatalf("Authorization after Sign: %q", got)
	}
}

// TestCanonicalStringKnownAnswer pins the signed bytes, so a change to
// the canonical form (which breaks every client) cannot go unnoticed.
func TestCanonicalStringKnownAnswer(t *testing.T) {
	u, _ := url.Parse("https://sluice.example/api/v1/runs/a%2Fb?ref=main&n=2")
	got := CanonicalString("POST", u, "1750000000", "AAAABBBBCCCCDDDD", strings.Repeat("0", 64))
	want := "SLUICE-HMAC-SHA256\nPOST\n/api/v1/runs/a%2Fb?ref=main&n=2\n1750000000\nAAAABBBBCCCCDDDD\n" + strings.Repeat("0", 64)
	if got != want {
		t.Fatalf("canonical string\n%q\nwant\n%q", got, want)
	}
	// HKDF-SHA-256 known answer, computed independently with
	// openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt key:abc -kdfopt info:"sluice request signing v1" HKDF
	if got := hex.EncodeToString(DeriveSigningKey("abc")); got != "c3699800d2dac3c3f6333bb29902f636dcddfb5b135136ad13eaf4f5e5357c3f" {
		t.Fatalf("DeriveSigningKey(abc) = %s", got)
	}
	m := hmac.New(sha256.New, DeriveSigningKey("abc"))
	m.Write([]byte(want))
	if !hmac.Equal(m.Sum(nil), mac(DeriveSigningKey("abc"), want)) {
		t.Fatal("mac is not HMAC-SHA-256")
	}
}

func TestReplay(t *testing.T) {
	key := newTestKey(t)
	now := time.Now()
	srv := verifyServer(t, key, func() time.Time { return now }, NewNonceCache(0))
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/runs", strings.NewReader("{}"))
	if err := Sign(req, []byte("{}"), key, now); err != nil {
		t.Fatal(err)
	}
	replay := req.Clone(t.Context())
	replay.Body = io.NopCloser(strings.NewReader("{}"))
	if code, msg := send(t, req); code != http.StatusNoContent {
		t.Fatalf("first: %d %s", code, msg)
	}
	code, msg := send(t, replay)
	if code != http.StatusUnauthorized || !strings.Contains(msg, ErrReplay.Error()) {
		t.Fatalf("replay: %d %s", code, msg)
	}
}

func TestReplayConcurrent(t *testing.T) {
	key := newTestKey(t)
	_, secret, _ := ParseKey(key)
	sigKey := DeriveSigningKey(secret)
	now := time.Now()
	nonces := NewNonceCache(0)
	r := httptest.NewRequest("GET", "/api/v1/runs", nil)
	if err := Sign(r, nil, key, now); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, replays := 0, 0
	for range 64 {
		wg.Go(func() {
			err := VerifySignature(r.Clone(t.Context()), nil, sigKey, now, 0, nonces)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, ErrReplay):
				replays++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if accepted != 1 || replays != 63 {
		t.Fatalf("accepted %d, replays %d; want 1 and 63", accepted, replays)
	}
}

func TestNonceCacheBounded(t *testing.T) {
	c := NewNonceCache(3)
	t0 := time.Unix(1_750_000_000, 0)
	w := 5 * time.Minute
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for i, s := range []int{10, 20, 30} {
		if err := c.Record(fmt.Sprint("n", i), at(s), at(40), w); err != nil {
			t.Fatal(err)
		}
	}
	// Full: a newer request evicts the oldest (ts 10) and raises the floor.
	if err := c.Record("n3", at(35), at(40), w); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3", c.Len())
	}
	// n0 was forgotten, but its timestamp is at the floor: still refused.
	if err := c.Record("n0", at(10), at(40), w); !errors.Is(err, ErrReplay) {
		t.Fatalf("evicted nonce replayed: %v", err)
	}
	if err := c.Record("fresh", at(5), at(40), w); !errors.Is(err, ErrReplay) {
		t.Fatalf("request older than the floor accepted: %v", err)
	}
	for _, n := range []string{"n1", "n2", "n3"} {
		if err := c.Record(n, at(36), at(40), w); !errors.Is(err, ErrReplay) {
			t.Fatalf("%s: %v", n, err)
		}
	}
	// Once the window has passed, entries are pruned and room returns.
	later := at(35).Add(w + time.Second)
	if err := c.Record("late", later, later, w); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 1 {
		t.Fatalf("Len after pruning = %d, want 1", c.Len())
	}
}

func TestNonceCacheConcurrent(t *testing.T) {
	c := NewNonceCache(500)
	now := time.Now()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				_ = c.Record(fmt.Sprintf("%d-%d", g, i), now, now, time.Minute)
			}
		})
	}
	wg.Wait()
	if n := c.Len(); n > 500 {
		t.Fatalf("Len = %d beyond capacity", n)
	}
}
