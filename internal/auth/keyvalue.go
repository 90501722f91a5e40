package auth

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Key holds a plaintext API key so that it cannot leak by accident: its
// String, GoString, Format, MarshalJSON, MarshalText and LogValue all
// print only KeyPrefix, the id and "[REDACTED]". Reveal returns the
// plaintext for the one place that needs it (an Authorization header, Sign,
// or the single moment a new key is shown).
//
// The plaintext sits behind a pointer to a string, so even a Key inside
// an unexported struct field, which fmt prints without calling its methods
// (and for a wrong verb dereferences one level of pointer to a struct),
// shows up as an address rather than the secret. The zero Key is empty.
type Key struct {
	p *string
}

var (
	_ fmt.Stringer   = Key{}
	_ fmt.GoStringer = Key{}
	_ fmt.Formatter  = Key{}
	_ slog.LogValuer = Key{}
)

// WrapKey checks plaintext with ParseKey and wraps it in a Key.
func WrapKey(plaintext string) (Key, error) {
	if _, _, err := ParseKey(plaintext); err != nil {
		return Key{}, err
	}
	return Key{p: &plaintext}, nil
}

// Reveal returns the plaintext key. Do not log it.
func (k Key) Reveal() string {
	if k.p == nil {
		return ""
	}
	return *k.p
}

// ID returns the key's id, which is not secret.
func (k Key) ID() string {
	if k.p == nil {
		return ""
	}
	// WrapKey checked the form, so the id sits right after the prefix.
	return (*k.p)[len(KeyPrefix) : len(KeyPrefix)+KeyIDLen]
}

// IsZero reports whether k holds no key.
func (k Key) IsZero() bool { return k.p == nil }

// String returns the redacted form, slk_<id>_[REDACTED], or "" for the
// zero Key.
func (k Key) String() string {
	if k.p == nil {
		return ""
	}
	return KeyPrefix + k.ID() + "_[REDACTED]"
}

// GoString returns the redacted form for %#v.
func (k Key) GoString() string { return "auth.Key(" + fmt.Sprintf("%q", k.String()) + ")" }

// Format prints the redacted form for every verb, so %x, %q or %v cannot
// expose the plaintext.
func (k Key) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", k.String())
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, k.GoString())
			return
		}
		fmt.Fprint(f, k.String())
	default:
		fmt.Fprint(f, k.String())
	}
}

// MarshalJSON encodes the redacted form as a JSON string.
func (k Key) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// MarshalText returns the redacted form, for encoders (YAML, TOML,
// slog's text handler) that prefer text.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// LogValue makes slog record the redacted form.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }
