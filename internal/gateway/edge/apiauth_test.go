package edge

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testKey = "sk_test_4f9a1c2e7b"

func authConfig(sign bool) Config {
	return Config{APIAuth: APIAuthConfig{Mode: ModeEnforce, Routes: []APIRoute{
		{PathPrefix: "/api/", Keys: []APIKey{{ID: "other", SHA256: HashAPIKey("another key")}, {ID: "ci", SHA256: HashAPIKey(testKey)}}, RequireSignature: sign, Window: Duration(5 * time.Minute)},
		{PathPrefix: "/api/public/", Header: "X-Token", Keys: []APIKey{{ID: "pub", SHA256: HashAPIKey("public-token")}}},
	}}}
}

// sendSigned signs a request at signedAt and sends it.
func sendSigned(t *testing.T, method, url, body, key, nonce string, signedAt time.Time, tamper func(*http.Request)) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if err := SignRequest(req, []byte(body), key, nonce, signedAt); err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func TestAPIKey(t *testing.T) {
	srv, app, log := serve(t, authConfig(false), nil)
	cases := []struct {
		path   string
		header map[string]string
		want   int
		rule   string
	}{
		{"/books", nil, 200, ""}, // not a protected route
		{"/api/books", nil, 401, "auth:missing-key"},
		{"/api/books", map[string]string{"X-Api-Key": "wrong"}, 401, "auth:bad-key"},
		{"/api/books", map[string]string{"X-Api-Key": testKey}, 200, ""},
		{"/api/public/x", map[string]string{"X-Api-Key": testKey}, 401, "auth:missing-key"}, // longer prefix, own header and keys
		{"/api/public/x", map[string]string{"X-Token": "public-token"}, 200, ""},
	}
	passed := 0
	for _, c := range cases {
		r := do(t, http.MethodGet, srv.URL+c.path, "", c.header)
		if r.status != c.want {
			t.Errorf("%s %v: status %d, want %d", c.path, c.header, r.status, c.want)
		}
		if c.want == 200 {
			passed++
		} else if f := refusalOf(t, r); f.Layer != LayerAuth {
			t.Errorf("layer %q", f.Layer)
		}
	}
	if app.count() != passed {
		t.Fatalf("app saw %d, want %d", app.count(), passed)
	}
	var rules []string
	for _, b := range log.all() {
		rules = append(rules, b.Rule)
	}
	if got := strings.Join(rules, ","); got != "auth:missing-key,auth:bad-key,auth:missing-key" {
		t.Fatalf("rules %s", got)
	}
}

func TestSignatureReplayWindowBoundary(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	srv, app, log := serve(t, authConfig(true), clock.Now)
	url := srv.URL + "/api/books?page=2"
	body := `{"title":"Dune"}`
	now := clock.Now()
	n := 0
	nonce := func() string { n++; return "nonce-" + strconv.Itoa(100000000000+n) }

	cases := []struct {
		name     string
		signedAt time.Time
		want     int
	}{
		{"now", now, 201},
		{"exactly the window ago", now.Add(-5 * time.Minute), 201},
		{"window and one second ago", now.Add(-5*time.Minute - time.Second), 401},
		{"exactly the window ahead", now.Add(5 * time.Minute), 201},
		{"window and one second ahead", now.Add(5*time.Minute + time.Second), 401},
	}
	for _, c := range cases {
		if r := sendSigned(t, http.MethodPost, url, body, testKey, nonce(), c.signedAt, nil); r.status != c.want {
			t.Errorf("%s: status %d, want %d (%s)", c.name, r.status, c.want, r.body)
		}
	}
	if app.count() != 3 {
		t.Fatalf("app saw %d, want 3", app.count())
	}

	// Replay: the same nonce twice.
	replayNonce := nonce()
	if r := sendSigned(t, http.MethodPost, url, body, testKey, replayNonce, now, nil); r.status != 201 {
		t.Fatalf("first: %d", r.status)
	}
	if r := sendSigned(t, http.MethodPost, url, body, testKey, replayNonce, now, nil); r.status != 401 {
		t.Fatalf("replay: %d, want 401", r.status)
	}
	// Tampering.
	tampered := map[string]func(*http.Request){
		"body-mismatch": func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"title":"Dune II"}`))
			r.ContentLength = int64(len(`{"title":"Dune II"}`))
		},
		"bad-signature": func(r *http.Request) { r.URL.RawQuery = "page=3" },
		"not-signed":    func(r *http.Request) { r.Header.Del(HeaderSignature) },
		"bad-key":       func(r *http.Request) { r.Header.Set(DefaultAPIKeyHeader, "another") },
	}
	for reason, f := range tampered {
		if r := sendSigned(t, http.MethodPost, url, body, testKey, nonce(), now, f); r.status != 401 {
			t.Errorf("%s: status %d, want 401", reason, r.status)
		}
	}
	// The app received the signed body intact.
	if r := sendSigned(t, http.MethodPost, url, body, testKey, nonce(), now, nil); r.status != 201 || r.body != body {
		t.Fatalf("status %d body %q", r.status, r.body)
	}
	got := map[string]int{}
	for _, b := range log.all() {
		got[b.Rule]++
	}
	want := map[string]int{"auth:expired": 2, "auth:replay": 1, "auth:body-mismatch": 1, "auth:bad-signature": 1, "auth:not-signed": 1, "auth:bad-key": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s reported %d times, want %d (all: %v)", k, got[k], v, got)
		}
	}
}

func TestAPIAuthConfigErrors(t *testing.T) {
	for _, a := range []APIAuthConfig{
		{Mode: ModeEnforce, Routes: []APIRoute{{PathPrefix: "api", Keys: []APIKey{{ID: "a", SHA256: HashAPIKey("k")}}}}},
		{Mode: ModeEnforce, Routes: []APIRoute{{PathPrefix: "/api"}}},
		{Mode: ModeEnforce, Routes: []APIRoute{{PathPrefix: "/api", Keys: []APIKey{{ID: "a", SHA256: "plaintext-key"}}}}},
		{Mode: ModeEnforce, Routes: []APIRoute{{PathPrefix: "/api", Keys: []APIKey{{ID: "a", SHA256: strings.ToUpper(HashAPIKey("k"))}}}}},
	} {
		if _, err := New(Config{APIAuth: a}, Options{}); err == nil {
			t.Errorf("%+v accepted", a)
		}
	}
}

// In detect mode an over-long signed body is reported and passes whole:
// the bytes read to check it are put back in front of the rest.
func TestOversizeSignedBodyPassesWholeInDetect(t *testing.T) {
	cfg := authConfig(true)
	cfg.APIAuth.Mode = ModeDetect
	cfg.APIAuth.Routes[0].MaxBodyBytes = 16
	srv, _, log := serve(t, cfg, nil)
	body := strings.Repeat("0123456789", 10)
	r := sendSigned(t, http.MethodPost, srv.URL+"/api/books", body, testKey, "nonce-0123456789abcdef", time.Now(), nil)
	if r.status != http.StatusCreated || r.body != body {
		t.Fatalf("status %d, app got %d bytes (%q), want the whole %d", r.status, len(r.body), r.body, len(body))
	}
	if bs := log.all(); len(bs) != 1 || bs[0].Rule != "auth:body-too-large" || bs[0].Enforced {
		t.Fatalf("reported %+v", bs)
	}
}
