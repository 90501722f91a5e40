package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseConfigAndDeliver(t *testing.T) {
	rcv := newReceiver(t, "hook-secret-123")
	t.Setenv("SLUICE_TEST_HOOK_SECRET", "hook-secret-123")
	t.Setenv("SLUICE_TEST_SMTP_PASSWORD", "smtp-pass-456")
	slackFile := filepath.Join(t.TempDir(), "slack-url")
	if err := os.WriteFile(slackFile, []byte("https://hooks.slack.invalid/services/T0/B0/tok789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The shape a YAML or JSON decoder produces: []any lists, float64 or
	// int numbers.
	var m map[string]any
	doc := fmt.Sprintf(`{
	  "senders": {
	    "ops": {"type": "webhook", "url": %q, "secret_env": "SLUICE_TEST_HOOK_SECRET", "timeout": "5s"},
	    "chat": {"type": "slack", "url_file": %q},
	    "mail": {"type": "email", "host": "smtp.example.com", "port": 587, "from": "sluice@example.com",
	             "to": ["ops@example.com"], "username": "bot", "password_env": "SLUICE_TEST_SMTP_PASSWORD", "tls": "require"}
	  },
	  "rules": [
	    {"kinds": ["run.failed", "gate.blocked"], "envs": ["prod"], "sender": "ops"},
	    {"sender": "chat"}
	  ],
	  "retry": {"attempts": 3, "base_delay": "10ms", "max_delay": "1s", "jitter": 0.1},
	  "queue_size": 50,
	  "workers": 2,
	  "attempt_timeout": "20s"
	}`, rcv.URL, slackFile)
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Senders) != 3 || c.Senders[0].Name != "chat" || c.Senders[1].Email == nil || c.Senders[1].Email.Port != 587 ||
		c.Retry.Attempts != 3 || c.Retry.BaseDelay != 10*time.Millisecond || c.QueueSize != 50 || c.Workers != 2 ||
		c.AttemptTimeout != 20*time.Second || len(c.Rules) != 2 || c.Rules[0].Envs[0] != "prod" {
		t.Fatalf("config %+v", c)
	}
	if got := c.Senders[0].Slack.URL.Reveal(); got != "https://hooks.slack.invalid/services/T0/B0/tok789" {
		t.Errorf("slack URL from file = %q", got)
	}
	if got := c.Senders[1].Email.Password.Reveal(); got != "smtp-pass-456" {
		t.Errorf("password from env = %q", got)
	}
	// Nothing printable about the config shows a secret.
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "config", c, "senders", c.Senders)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{printAll(c), printAll(*c), logs.String(), string(js)} {
		for _, secret := range []string{"hook-secret-123", "smtp-pass-456", "tok789"} {
			if strings.Contains(out, secret) {
				t.Errorf("secret %q printed in %s", secret, out)
			}
		}
	}

	var rec recorder
	d, err := c.NewDispatcher(rec.onResult, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Route(Event{ID: "1", Kind: KindRunFailed, Env: "prod"}); strings.Join(got, ",") != "ops,chat" {
		t.Errorf("route %v", got)
	}
	// Only the webhook rule is exercised for delivery; the slack host does
	// not exist.
	d.rules = d.rules[:1]
	d.Notify(t.Context(), Event{ID: "1", Kind: KindRunFailed, Env: "prod", Project: "shop"})
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := rcv.deliveries()
	if len(got) != 1 || got[0].verifyErr != nil || got[0].id != "1" {
		t.Fatalf("deliveries %+v", got)
	}
}

func TestParseConfigErrorsNameTheKey(t *testing.T) {
	t.Setenv("SLUICE_TEST_SET", "x")
	os.Unsetenv("SLUICE_TEST_UNSET")
	hook := func(extra map[string]any) map[string]any {
		m := map[string]any{"type": "webhook", "url": "https://example.com/h", "secret_env": "SLUICE_TEST_SET"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cfg := func(senders map[string]any, rules ...any) map[string]any {
		if rules == nil {
			rules = []any{map[string]any{"sender": "a"}}
		}
		return map[string]any{"senders": senders, "rules": rules}
	}
	for _, tc := range []struct {
		name string
		m    map[string]any
		want []string
	}{
		{"no senders", map[string]any{"rules": []any{}}, []string{"senders: missing"}},
		{"no type", cfg(map[string]any{"a": map[string]any{"url": "x"}}), []string{"senders.a.type: missing"}},
		{"bad type", cfg(map[string]any{"a": map[string]any{"type": "pager"}}), []string{`senders.a.type: unknown sender type "pager"`}},
		{"literal secret", cfg(map[string]any{"a": hook(map[string]any{"secret": "oops-literal"})}), []string{"senders.a.secret: secrets are not written"}},
		{"unset env", cfg(map[string]any{"a": hook(map[string]any{"secret_env": "SLUICE_TEST_UNSET"})}), []string{"senders.a.secret_env: environment variable SLUICE_TEST_UNSET is not set"}},
		{"missing secret file", cfg(map[string]any{"a": hook(map[string]any{"secret_env": nil, "secret_file": filepath.Join(t.TempDir(), "none")})}), []string{"senders.a.secret_file: read"}},
		{"typo", cfg(map[string]any{"a": hook(map[string]any{"timout": "1s"})}), []string{"senders.a.timout: unknown key"}},
		{"bad duration", cfg(map[string]any{"a": hook(map[string]any{"timeout": "soon"})}), []string{"senders.a.timeout: want a duration"}},
		{"bad url", cfg(map[string]any{"a": hook(map[string]any{"url": "ftp://x"})}), []string{"senders.a: webhook sender a: URL must be absolute http or https"}},
		{"slack literal url", cfg(map[string]any{"a": map[string]any{"type": "slack", "url": "https://hooks.example.com/T/B/secret"}}), []string{"senders.a.url: the Slack webhook URL is a credential"}},
		{"email port string", cfg(map[string]any{"a": map[string]any{"type": "email", "host": "h", "port": "25", "from": "a@b.c", "to": "d@e.f"}}), []string{"senders.a.port: want an integer"}},
		{"email bad to", cfg(map[string]any{"a": map[string]any{"type": "email", "host": "h", "from": "a@b.c", "to": []any{"nope", 3}}}), []string{"senders.a.to[1]: want a string"}},
		{"email tls", cfg(map[string]any{"a": map[string]any{"type": "email", "host": "h", "from": "a@b.c", "to": "d@e.f", "tls": "maybe"}}), []string{`tls "maybe"`}},
		{"rule sender", cfg(map[string]any{"a": hook(nil)}, map[string]any{"sender": "b"}), []string{`rules[0].sender: no sender named "b"`}},
		{"rule kind", cfg(map[string]any{"a": hook(nil)}, map[string]any{"sender": "a", "kinds": []any{"run.fail"}}), []string{`rules[0].kinds: unknown kind "run.fail"`}},
		{"rules not list", map[string]any{"senders": map[string]any{"a": hook(nil)}, "rules": "all"}, []string{"rules: want a list"}},
		{"retry", map[string]any{"senders": map[string]any{"a": hook(nil)}, "rules": []any{}, "retry": map[string]any{"attempts": 0.5, "jitter": "lots"}},
			[]string{"retry.attempts: want an integer", "retry.jitter: want a number"}},
		{"top typo", map[string]any{"senders": map[string]any{"a": hook(nil)}, "rules": []any{}, "queue": 3}, []string{"queue: unknown key"}},
		{"several at once", cfg(map[string]any{"a": hook(map[string]any{"timeout": 5}), "b": map[string]any{"type": "nope"}}),
			[]string{"senders.a.timeout", "senders.b.type"}},
	} {
		_, err := ParseConfig(tc.m)
		if err == nil {
			t.Errorf("%s: ParseConfig accepted %v", tc.name, tc.m)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "oops-literal") || strings.Contains(err.Error(), "/T/B/secret") {
			t.Errorf("%s: error shows a secret: %v", tc.name, err)
		}
	}
}

func TestSendersDoNotPrintSecrets(t *testing.T) {
	w, err := NewWebhook(WebhookConfig{Name: "w", URL: "https://example.com/path/tokA", Secret: NewSecret("sekritB")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSlack(SlackConfig{Name: "s", URL: NewSecret("https://hooks.example.com/services/tokC")})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewEmail(EmailConfig{Name: "m", Host: "127.0.0.1", From: "a@example.com", To: []string{"b@example.com"},
		Username: "u", Password: NewSecret("sekritD")})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("senders", "w", w, "s", s, "m", m)
	for _, v := range []any{w, s, m} {
		out := printAll(v) + logs.String()
		for _, secret := range []string{"tokA", "sekritB", "tokC", "sekritD"} {
			if strings.Contains(out, secret) {
				t.Errorf("%T prints %q: %s", v, secret, out)
			}
		}
	}
	if got := fmt.Sprint(w); got != "webhook w (https://example.com)" {
		t.Errorf("webhook prints as %q", got)
	}
}

// printAll formats v with every common verb.
func printAll(v any) string {
	var b strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		fmt.Fprintf(&b, verb+"|", v)
	}
	return b.String()
}
