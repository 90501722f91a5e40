package notify

import (
	"fmt"
	"log/slog"
)

// Secret holds a credential (a signing secret, a password, a Slack webhook
// URL). Every way of printing it — fmt verbs, slog, JSON or text marshalling
// — shows "[redacted]"; only [Secret.Reveal] returns the value.
//
// The value sits behind a pointer because fmt, when it reports a wrong
// verb, walks a struct by reflection without calling its methods, and
// prints only the address of a nested pointer.
type Secret struct{ v *string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{&s} }

// Reveal returns the secret's value; call it only where the value is used.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

const redacted = "[redacted]"

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string {
	if s.IsZero() {
		return ""
	}
	return redacted
}

// GoString is like String, for %#v.
func (s Secret) GoString() string { return `notify.Secret("` + s.String() + `")` }

// Format prints String for every verb, so no verb can show the value.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue keeps the value out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps the value out of JSON and other encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
