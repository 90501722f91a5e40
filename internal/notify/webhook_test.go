package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// delivery is one request a test receiver got.
type delivery struct {
	at                           time.Time
	id, kind, timestamp, sig, ua string
	body                         []byte
	verifyErr                    error
}

// receiver is a webhook endpoint on loopback that verifies every request
// with Verify and answers with the next status from statuses (the last
// one repeats).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []delivery
	statuses []int
}

func newReceiver(t *testing.T, secret string, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		d := delivery{
			at: time.Now(), id: req.Header.Get("X-Sluice-Delivery"), kind: req.Header.Get("X-Sluice-Event"),
			timestamp: req.Header.Get("X-Sluice-Timestamp"), sig: req.Header.Get("X-Sluice-Signature"),
			ua: req.UserAgent(), body: body,
		}
		d.verifyErr = Verify(secret, d.timestamp, string(body), d.sig, time.Now(), time.Minute)
		r.mu.Lock()
		r.got = append(r.got, d)
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status = r.statuses[min(len(r.got), len(r.statuses))-1]
		}
		r.mu.Unlock()
		if d.verifyErr != nil {
			status = http.StatusUnauthorized
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("status " + strconv.Itoa(status)))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func newTestWebhook(t *testing.T, url, secret string) *Webhook {
	t.Helper()
	w, err := NewWebhook(WebhookConfig{Name: "hook", URL: url, Secret: NewSecret(secret), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWebhookSignedPayload(t *testing.T) {
	rcv := newReceiver(t, "topsecret")
	ev := testEvent()
	if err := newTestWebhook(t, rcv.URL+"/hook", "topsecret").Send(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	got := rcv.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(got))
	}
	d := got[0]
	if d.verifyErr != nil {
		t.Fatalf("receiver could not verify: %v", d.verifyErr)
	}
	if d.id != ev.ID || d.kind != ev.Kind || d.ua != userAgent {
		t.Errorf("headers: delivery %q event %q user agent %q", d.id, d.kind, d.ua)
	}
	// Compute the signature independently of the package.
	mac := hmac.New(sha256.New, []byte("topsecret"))
	mac.Write([]byte(d.timestamp + "." + string(d.body)))
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); d.sig != want {
		t.Errorf("signature %s, want %s", d.sig, want)
	}
	var raw map[string]any
	if err := json.Unmarshal(d.body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "id", "kind", "time", "project", "env", "run", "release", "version", "actor", "title", "text", "url", "fields"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("payload lacks %q: %s", k, d.body)
		}
	}
	var p Payload
	if err := json.Unmarshal(d.body, &p); err != nil {
		t.Fatal(err)
	}
	back := p.Event()
	if p.Schema != PayloadSchema || p.Time != "2025-03-04T05:06:07Z" || !back.Time.Equal(ev.Time) ||
		back.ID != ev.ID || back.Project != "shop" || back.Fields["strategy"] != "canary" || back.Title != ev.Title {
		t.Errorf("payload %+v does not carry the event", p)
	}
	// Another secret does not verify the same delivery.
	if err := Verify("other", d.timestamp, string(d.body), d.sig, time.Now(), time.Minute); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("Verify with another secret: %v", err)
	}
}

func TestWebhookRejectedSignatureIsPermanent(t *testing.T) {
	rcv := newReceiver(t, "right")
	err := newTestWebhook(t, rcv.URL, "wrong").Send(t.Context(), testEvent())
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusUnauthorized || !IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent 401", err)
	}
}

func TestWebhookStatusClassification(t *testing.T) {
	for _, tc := range []struct {
		status    int
		permanent bool
	}{{400, true}, {401, true}, {404, true}, {408, false}, {429, false}, {500, false}, {503, false}, {302, false}} {
		rcv := newReceiver(t, "s", tc.status)
		err := newTestWebhook(t, rcv.URL, "s").Send(t.Context(), testEvent())
		var se *StatusError
		if !errors.As(err, &se) || se.Code != tc.status || IsPermanent(err) != tc.permanent {
			t.Errorf("HTTP %d: err = %v, permanent %v, want permanent %v", tc.status, err, IsPermanent(err), tc.permanent)
		}
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	w, err := NewWebhook(WebhookConfig{Name: "slow", URL: srv.URL, Secret: NewSecret("s"), Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = w.Send(t.Context(), testEvent())
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %s with a 100ms timeout", d)
	}
}

func TestDispatcherRetriesWebhook(t *testing.T) {
	rcv := newReceiver(t, "k", 500, 500, 200)
	var mu sync.Mutex
	var results []string
	d, err := NewDispatcher(Options{
		Senders: []Sender{newTestWebhook(t, rcv.URL, "k")},
		Rules:   []Rule{{Sender: "hook"}},
		Retry:   RetryPolicy{Attempts: 5, BaseDelay: 50 * time.Millisecond, MaxDelay: time.Second, Jitter: -1},
		OnResult: func(e Event, sender string, attempt int, err error) {
			mu.Lock()
			defer mu.Unlock()
			var re *RetryError
			switch {
			case err == nil:
				results = append(results, sender+" ok "+strconv.Itoa(attempt))
			case errors.As(err, &re):
				results = append(results, sender+" retry "+strconv.Itoa(attempt)+" "+re.Delay.String())
			default:
				results = append(results, sender+" fail "+err.Error())
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Notify(t.Context(), testEvent())
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"hook retry 1 50ms", "hook retry 2 100ms", "hook ok 3"}
	if len(results) != len(want) {
		t.Fatalf("results %q, want %q", results, want)
	}
	for i := range want {
		if results[i] != want[i] {
			t.Errorf("result %d = %q, want %q", i, results[i], want[i])
		}
	}
	got := rcv.deliveries()
	if len(got) != 3 {
		t.Fatalf("%d deliveries, want 3", len(got))
	}
	for i, g := range got {
		if g.id != "evt-42" || g.verifyErr != nil {
			t.Errorf("attempt %d: delivery id %q (must stay the event ID), verify %v", i+1, g.id, g.verifyErr)
		}
	}
	if gap := got[1].at.Sub(got[0].at); gap < 50*time.Millisecond {
		t.Errorf("second attempt came %s after the first, want >= 50ms", gap)
	}
	if gap := got[2].at.Sub(got[1].at); gap < 100*time.Millisecond {
		t.Errorf("third attempt came %s after the second, want >= 100ms (exponential)", gap)
	}
}

func TestDispatcherNoRetryOn400(t *testing.T) {
	rcv := newReceiver(t, "k", 400)
	final := make(chan error, 4)
	d, err := NewDispatcher(Options{
		Senders:  []Sender{newTestWebhook(t, rcv.URL, "k")},
		Rules:    []Rule{{Sender: "hook"}},
		Retry:    RetryPolicy{Attempts: 5, BaseDelay: time.Millisecond},
		OnResult: func(_ Event, _ string, attempt int, err error) { final <- err },
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Notify(t.Context(), testEvent())
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.deliveries()); n != 1 {
		t.Errorf("%d requests, want 1 (400 is permanent)", n)
	}
	if len(final) != 1 {
		t.Fatalf("%d results, want 1", len(final))
	}
	if err := <-final; !IsPermanent(err) {
		t.Errorf("result %v, want permanent", err)
	}
}
