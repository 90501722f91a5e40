package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"
)

// Config is the notification settings read from sluice's configuration:
// the senders, the rules and the delivery settings. Secrets in it are
// already resolved and print as "[redacted]".
type Config struct {
	Senders        []SenderConfig // sorted by name
	Rules          []Rule
	Retry          RetryPolicy
	QueueSize      int
	Workers        int
	AttemptTimeout time.Duration
}

// SenderConfig is one configured sender; exactly one of Webhook, Slack and
// Email is set, according to Type.
type SenderConfig struct {
	Name    string
	Type    string // "webhook", "slack" or "email"
	Webhook *WebhookConfig
	Slack   *SlackConfig
	Email   *EmailConfig
}

// New builds the sender c describes.
func (c SenderConfig) New() (Sender, error) {
	switch {
	case c.Webhook != nil:
		return NewWebhook(*c.Webhook)
	case c.Slack != nil:
		return NewSlack(*c.Slack)
	case c.Email != nil:
		return NewEmail(*c.Email)
	}
	return nil, fmt.Errorf("sender %s: type %q has no settings", c.Name, c.Type)
}

// NewDispatcher builds the senders and starts a Dispatcher with c's rules
// and settings; onResult and logger are as in Options.
func (c *Config) NewDispatcher(onResult func(e Event, sender string, attempt int, err error), logger *slog.Logger) (*Dispatcher, error) {
	senders := make([]Sender, 0, len(c.Senders))
	for _, sc := range c.Senders {
		s, err := sc.New()
		if err != nil {
			return nil, fmt.Errorf("notifications: %w", err)
		}
		senders = append(senders, s)
	}
	return NewDispatcher(Options{
		Senders: senders, Rules: c.Rules, Retry: c.Retry, QueueSize: c.QueueSize,
		Workers: c.Workers, AttemptTimeout: c.AttemptTimeout, OnResult: onResult, Logger: logger,
	})
}

// ParseConfig reads the notification section of a configuration file, as
// decoded from YAML, TOML or JSON into maps and lists:
//
//	senders:      {NAME: {type: webhook|slack|email, ...}}
//	rules:        [{kinds: [...], projects: [...], envs: [...], sender: NAME}]
//	retry:        {attempts: 5, base_delay: "1s", max_delay: "5m", jitter: 0.2}
//	queue_size:   1000
//	workers:      4
//	attempt_timeout: "30s"
//
// Secrets (a webhook's signing secret, a Slack webhook URL, an SMTP
// password) are never written in the file: give the name of an
// environment variable (secret_env, url_env, password_env) or of a file
// (secret_file, url_file, password_file) holding them. Every error names
// the key at fault; all errors are returned at once, joined. It also
// builds every sender once, so a bad URL or address is reported here.
func ParseConfig(m map[string]any) (*Config, error) {
	var errs []error
	root := newSection("", m, &errs)
	c := &Config{
		QueueSize:      root.integer("queue_size"),
		Workers:        root.integer("workers"),
		AttemptTimeout: root.duration("attempt_timeout"),
	}
	if r := root.sub("retry"); r != nil {
		c.Retry = RetryPolicy{
			Attempts:  r.integer("attempts"),
			BaseDelay: r.duration("base_delay"),
			MaxDelay:  r.duration("max_delay"),
			Jitter:    r.number("jitter"),
		}
		r.done()
		if _, err := c.Retry.withDefaults(); err != nil {
			errs = append(errs, err)
		}
	}
	if ss := root.sub("senders"); ss != nil {
		names := make([]string, 0, len(ss.m))
		for name := range ss.m {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if s := ss.sub(name); s != nil {
				if sc, ok := parseSender(name, s); ok {
					c.Senders = append(c.Senders, sc)
				}
			}
		}
	} else {
		errs = append(errs, errors.New("senders: missing: configure at least one sender"))
	}
	c.Rules = parseRules(root, c.Senders, &errs)
	root.done()
	if len(errs) > 0 {
		return nil, fmt.Errorf("notifications config: %w", errors.Join(errs...))
	}
	return c, nil
}

func parseRules(root *section, senders []SenderConfig, errs *[]error) []Rule {
	v, ok := root.get("rules")
	if !ok {
		*errs = append(*errs, errors.New("rules: missing: without rules no event is sent anywhere"))
		return nil
	}
	list, isList := v.([]any)
	if !isList {
		root.fail("rules", "want a list, got %T", v)
		return nil
	}
	var rules []Rule
	for i, item := range list {
		key := fmt.Sprintf("rules[%d]", i)
		m, isMap := item.(map[string]any)
		if !isMap {
			*errs = append(*errs, fmt.Errorf("%s: want a map, got %T", key, item))
			continue
		}
		s := newSection(key, m, errs)
		r := Rule{Kinds: s.strs("kinds"), Projects: s.strs("projects"), Envs: s.strs("envs"), Sender: s.str("sender")}
		for _, k := range r.Kinds {
			if !KnownKind(k) {
				s.fail("kinds", "unknown kind %q (known: %s)", k, strings.Join(Kinds(), ", "))
			}
		}
		switch {
		case r.Sender == "":
			s.fail("sender", "missing: name the sender this rule sends to")
		case !slices.ContainsFunc(senders, func(sc SenderConfig) bool { return sc.Name == r.Sender }):
			s.fail("sender", "no sender named %q under senders", r.Sender)
		}
		s.done()
		rules = append(rules, r)
	}
	return rules
}

// parseSender reads one entry of senders and builds it once to check it.
func parseSender(name string, s *section) (SenderConfig, bool) {
	before := len(*s.errs)
	sc := SenderConfig{Name: name, Type: s.str("type")}
	timeout := s.duration("timeout")
	switch sc.Type {
	case "webhook":
		url := s.str("url")
		if url != "" && (s.has("url_env") || s.has("url_file")) {
			s.fail("url", "set url, url_env or url_file, not several")
		} else if s.has("url_env") || s.has("url_file") {
			url = secretFrom(s, "url", false).Reveal()
		}
		if url == "" {
			s.fail("url", "missing: set url, url_env or url_file")
		}
		sc.Webhook = &WebhookConfig{Name: name, URL: url, Secret: secretFrom(s, "secret", true), Timeout: timeout}
	case "slack":
		if s.has("url") {
			s.fail("url", "the Slack webhook URL is a credential: put it in an environment variable (url_env) or a file (url_file)")
		}
		sc.Slack = &SlackConfig{Name: name, URL: secretFrom(s, "url", true), Timeout: timeout}
	case "email":
		e := &EmailConfig{
			Name: name, Host: s.str("host"), Port: s.integer("port"), From: s.str("from"),
			To: s.strs("to"), Username: s.str("username"), TLS: TLSMode(s.str("tls")),
			HTML: s.boolean("html"), HelloName: s.str("hello_name"), Timeout: timeout,
		}
		if e.Username != "" {
			e.Password = secretFrom(s, "password", true)
		} else if s.has("password_env") || s.has("password_file") {
			s.fail("username", "missing: a password is set, so set the username too")
		}
		sc.Email = e
	case "":
		s.fail("type", "missing: use webhook, slack or email")
	default:
		s.fail("type", "unknown sender type %q: use webhook, slack or email", sc.Type)
	}
	s.done()
	if len(*s.errs) > before || sc.Type == "" {
		return sc, false
	}
	if _, err := sc.New(); err != nil {
		*s.errs = append(*s.errs, fmt.Errorf("%s: %w", s.path, err))
		return sc, false
	}
	return sc, true
}

// secretFrom resolves <base>_env or <base>_file (exactly one) and refuses
// a literal <base> for secrets.
func secretFrom(s *section, base string, required bool) Secret {
	if base != "url" && s.has(base) {
		s.fail(base, "secrets are not written in the configuration: use %s_env (an environment variable) or %s_file (a file)", base, base)
	}
	envName, file := s.str(base+"_env"), s.str(base+"_file")
	switch {
	case envName != "" && file != "":
		s.fail(base+"_env", "set %s_env or %s_file, not both", base, base)
	case envName != "":
		v, ok := os.LookupEnv(envName)
		if !ok || v == "" {
			s.fail(base+"_env", "environment variable %s is not set or empty", envName)
		}
		return NewSecret(v)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			s.fail(base+"_file", "read: %v", err)
			return Secret{}
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			s.fail(base+"_file", "file %s is empty", file)
		}
		return NewSecret(v)
	case required:
		s.fail(base+"_env", "missing: set %s_env or %s_file", base, base)
	}
	return Secret{}
}
