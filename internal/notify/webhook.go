package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// WebhookConfig configures a [Webhook].
type WebhookConfig struct {
	// Name is what rules call the sender.
	Name string
	// URL receives the POST; absolute http or https.
	URL string
	// Secret keys the HMAC-SHA256 signature; required.
	Secret Secret
	// Timeout bounds one attempt; default DefaultTimeout.
	Timeout time.Duration
	// Client replaces the HTTP client (tests, proxies); Timeout is then
	// the client's business.
	Client *http.Client `json:"-"`
	// Now replaces the clock that stamps X-Sluice-Timestamp (tests).
	Now func() time.Time `json:"-"`
}

// Webhook posts each event as a signed JSON [Payload]. Headers:
// X-Sluice-Event (the kind), X-Sluice-Delivery (the event ID, the
// idempotency key, the same on every retry), X-Sluice-Timestamp (unix
// seconds of this attempt) and X-Sluice-Signature ("sha256=" and the hex
// HMAC-SHA256 of "<timestamp>.<body>"); receivers check them with [Verify].
type Webhook struct {
	name   string
	url    *url.URL
	secret Secret
	client *http.Client
	now    func() time.Time
}

var _ Sender = (*Webhook)(nil)

// NewWebhook checks cfg and returns the sender.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("webhook sender: name is empty")
	}
	u, err := checkURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("webhook sender %s: %w", cfg.Name, err)
	}
	if cfg.Secret.IsZero() {
		return nil, fmt.Errorf("webhook sender %s: secret is empty: set one so receivers can verify deliveries", cfg.Name)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Webhook{name: cfg.Name, url: u, secret: cfg.Secret, client: newClient(cfg.Client, cfg.Timeout), now: now}, nil
}

// Name returns the sender's name.
func (w *Webhook) Name() string { return w.name }

// Send posts e once. A 4xx answer other than 408 and 429 is [Permanent].
func (w *Webhook) Send(ctx context.Context, e Event) error {
	body, err := marshalPayload(e)
	if err != nil {
		return Permanent(fmt.Errorf("webhook %s: encode event %s: %w", w.name, e.ID, err))
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Sluice-Event", e.Kind)
	h.Set("X-Sluice-Delivery", e.ID)
	h.Set("X-Sluice-Timestamp", ts)
	h.Set("X-Sluice-Signature", sign([]byte(w.secret.Reveal()), ts, body))
	if err := post(ctx, w.client, w.url.String(), h, body); err != nil {
		return fmt.Errorf("webhook %s to %s: %w", w.name, origin(w.url), err)
	}
	return nil
}

// String describes the sender without its secret or the URL's path.
func (w *Webhook) String() string { return fmt.Sprintf("webhook %s (%s)", w.name, origin(w.url)) }

// Format prints String for every verb, so no verb can show the secret.
func (w *Webhook) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(w.String())) }

// LogValue keeps the secret out of slog output.
func (w *Webhook) LogValue() slog.Value { return slog.StringValue(w.String()) }
