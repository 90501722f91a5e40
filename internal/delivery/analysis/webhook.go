package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Webhook asks an external service to judge a release, like Flagger's
// pass/fail webhooks. It POSTs JSON
//
//	{"env": "prod", "release": "r-42", "version": "1.4.0",
//	 "since": "2025-01-02T15:04:05Z", "until": "2025-01-02T15:09:05Z"}
//
// (times RFC 3339, until is the request time when the query leaves it
// zero) and expects a 2xx answer with JSON
//
//	{"pass": true, "message": "latency ok", "metrics": {"p99_ms": 212}}
//
// "pass" is required; "message" and "metrics" are optional. Pass true is
// Successful, false is Failed; no answer, a timeout, a non-2xx status or
// an answer without a boolean "pass" is an Error.
type Webhook struct {
	// URL is where the request goes (http or https).
	URL string
	// Timeout bounds the whole exchange; 0 means 10 seconds.
	Timeout time.Duration
	// Header is added to the request (for example Authorization).
	Header http.Header
	// Client is the HTTP client; nil means http.DefaultClient.
	Client *http.Client
}

var _ Checker = (*Webhook)(nil)

// NewWebhook returns a webhook checker for rawURL with the given timeout
// (0 means 10 seconds); it refuses a URL that is not http(s).
func NewWebhook(rawURL string, timeout time.Duration) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook: URL %q is not an http(s) URL", rawURL)
	}
	return &Webhook{URL: rawURL, Timeout: timeout}, nil
}

// Name returns "webhook".
func (w *Webhook) Name() string { return "webhook" }

// webhookRequest is the JSON body sent to a webhook.
type webhookRequest struct {
	Env     string    `json:"env"`
	Release string    `json:"release"`
	Version string    `json:"version"`
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
}

// webhookAnswer is the JSON a webhook answers.
type webhookAnswer struct {
	Pass    *bool              `json:"pass"`
	Message string             `json:"message"`
	Metrics map[string]float64 `json:"metrics"`
}

// Check calls the webhook for q and returns its judgement: Successful or
// Failed with the webhook's message as the reason and its metrics as
// Result.Values, or Error saying what went wrong.
func (w *Webhook) Check(ctx context.Context, q Query) Result {
	ans, err := w.call(ctx, q)
	if err != nil {
		return Result{Outcome: Error, Reasons: []string{fmt.Sprintf("webhook %s: %v", w.URL, err)}}
	}
	r := Result{Outcome: Failed, Values: ans.Metrics}
	if *ans.Pass {
		r.Outcome = Successful
	}
	if ans.Message != "" {
		r.Reasons = []string{"webhook: " + ans.Message}
	} else if r.Outcome == Failed {
		r.Reasons = []string{"webhook " + w.URL + " said fail without a message"}
	}
	return r
}

func (w *Webhook) call(ctx context.Context, q Query) (*webhookAnswer, error) {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	until := q.Until
	if until.IsZero() {
		until = time.Now()
	}
	body, err := json.Marshal(webhookRequest{Env: q.Env, Release: q.Release, Version: q.Version, Since: q.Since.UTC(), Until: until.UTC()})
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, vs := range w.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("no answer (timeout %s): %w", timeout, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("answered HTTP %d: %s", resp.StatusCode, snippet(data))
	}
	var ans webhookAnswer
	if err := json.Unmarshal(data, &ans); err != nil {
		return nil, fmt.Errorf("answer is not the expected JSON {\"pass\": bool, \"message\": string, \"metrics\": {name: number}}: %w", err)
	}
	if ans.Pass == nil {
		return nil, fmt.Errorf("answer has no boolean \"pass\": %s", snippet(data))
	}
	return &ans, nil
}
