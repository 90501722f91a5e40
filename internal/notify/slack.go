package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SlackConfig configures a [Slack] sender.
type SlackConfig struct {
	// Name is what rules call the sender.
	Name string
	// URL is the incoming webhook's URL. It is a credential (anyone who
	// has it can post to the channel), hence a Secret.
	URL Secret
	// Timeout bounds one attempt; default DefaultTimeout.
	Timeout time.Duration
	// Client replaces the HTTP client (tests, proxies).
	Client *http.Client `json:"-"`
}

// Slack posts each event to a Slack incoming webhook as a message with a
// header, the event's text, its facts as fields and a button to its URL.
type Slack struct {
	name   string
	url    *url.URL
	client *http.Client
}

var _ Sender = (*Slack)(nil)

// NewSlack checks cfg and returns the sender.
func NewSlack(cfg SlackConfig) (*Slack, error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("slack sender: name is empty")
	}
	u, err := checkURL(cfg.URL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("slack sender %s: webhook %w", cfg.Name, err)
	}
	return &Slack{name: cfg.Name, url: u, client: newClient(cfg.Client, cfg.Timeout)}, nil
}

// Name returns the sender's name.
func (s *Slack) Name() string { return s.name }

// Send posts e once. Slack's 4xx answers (invalid_payload, no_service,
// channel_is_archived …) are [Permanent]; 429 is retried.
func (s *Slack) Send(ctx context.Context, e Event) error {
	body, err := json.Marshal(SlackMessage(e))
	if err != nil {
		return Permanent(fmt.Errorf("slack %s: encode event %s: %w", s.name, e.ID, err))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if err := post(ctx, s.client, s.url.String(), h, body); err != nil {
		return fmt.Errorf("slack %s: %w", s.name, err)
	}
	return nil
}

// String describes the sender without its webhook URL.
func (s *Slack) String() string { return "slack " + s.name }

// Format prints String for every verb, so no verb can show the URL.
func (s *Slack) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue keeps the URL out of slog output.
func (s *Slack) LogValue() slog.Value { return slog.StringValue(s.String()) }

// SlackMessage builds the incoming-webhook message for e: "text" is the
// notification fallback, "blocks" a header (the Headline), a section with
// the event's Text, sections of fields (Slack allows ten per section), a
// context line with kind and time, and a button to URL when it is http(s).
// Text in mrkdwn and the fallback is escaped for Slack (& < > become
// entities) so event content cannot form links or mentions; the header is
// plain_text, which Slack never parses, and is sent as written. Texts are
// cut to Slack's length limits.
func SlackMessage(e Event) map[string]any {
	head := e.Headline()
	blocks := []any{map[string]any{
		"type": "header",
		"text": map[string]any{"type": "plain_text", "text": truncate(head, 150)},
	}}
	if e.Text != "" {
		blocks = append(blocks, map[string]any{
			"type": "section",
			"text": mrkdwn(escTrunc(e.Text, 3000)),
		})
	}
	facts := e.facts()
	for len(facts) > 0 {
		n := min(len(facts), 10)
		fields := make([]any, 0, n)
		for _, f := range facts[:n] {
			fields = append(fields, mrkdwn("*"+escTrunc(f[0], 100)+"*\n"+escTrunc(f[1], 1800)))
		}
		blocks = append(blocks, map[string]any{"type": "section", "fields": fields})
		facts = facts[n:]
	}
	ctxLine := "`" + e.Kind + "`"
	if !e.Time.IsZero() {
		ctxLine += " · " + e.Time.UTC().Format(time.RFC3339)
	}
	blocks = append(blocks, map[string]any{"type": "context", "elements": []any{mrkdwn(ctxLine)}})
	if u, err := checkURL(e.URL); err == nil && len(e.URL) <= 3000 {
		blocks = append(blocks, map[string]any{
			"type": "actions",
			"elements": []any{map[string]any{
				"type": "button",
				"text": map[string]any{"type": "plain_text", "text": "Open in sluice"},
				"url":  u.String(),
			}},
		})
	}
	return map[string]any{"text": escTrunc(head, 3000), "blocks": blocks}
}

func mrkdwn(s string) map[string]any { return map[string]any{"type": "mrkdwn", "text": s} }

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// SlackEscape replaces Slack's control characters &, < and > with the
// entities Slack expects, so the text shows as written.
func SlackEscape(s string) string { return slackEscaper.Replace(s) }

// escTrunc escapes s and cuts the result to n runes without splitting an
// entity.
func escTrunc(s string, n int) string {
	e := SlackEscape(s)
	t := truncate(e, n)
	if t == e {
		return t
	}
	body := strings.TrimSuffix(t, "…")
	if amp := strings.LastIndexByte(body, '&'); amp >= 0 && !strings.Contains(body[amp:], ";") {
		body = body[:amp]
	}
	return body + "…"
}

// truncate shortens s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
