package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Password rules. A person's password, unlike a key's secret, may be
// guessable, so it is hashed with a slow, memory-hard function (argon2id)
// and a random salt per user.
const (
	// MinPasswordLen is the fewest characters a password may have.
	MinPasswordLen = 12
	// MaxPasswordLen bounds a password (in bytes), so that a request
	// cannot make the server hash megabytes.
	MaxPasswordLen = 1024
	// PasswordScheme starts every stored password hash (a PHC string).
	PasswordScheme = "$argon2id$"
)

// PasswordParams are argon2id's cost parameters. They are stored in each
// hash, so raising the defaults later leaves existing hashes checkable.
type PasswordParams struct {
	// Memory is in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
	// SaltLen and KeyLen are in bytes.
	SaltLen, KeyLen uint32
}

// DefaultPasswordParams are OWASP's baseline for argon2id: 19 MiB, two
// passes, one lane; about 80 ms on one core of a current server. The
// server bounds how many hashes run at once, so logins cannot exhaust its
// memory.
var DefaultPasswordParams = PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters read from a stored hash: a hash edited in the
// database must not make one check take gigabytes or minutes.
const (
	maxPasswordMemory  = 1 << 20 // 1 GiB
	maxPasswordTime    = 64
	minPasswordSaltLen = 8
	maxPasswordSaltLen = 64
	minPasswordKeyLen  = 16
	maxPasswordKeyLen  = 64
)

// ErrWeakPassword reports a password that is too short or too long.
// Errors wrapping it never repeat the password.
var ErrWeakPassword = errors.New("unacceptable password")

// ErrBadPasswordHash reports a stored password hash that cannot be read.
var ErrBadPasswordHash = errors.New("malformed password hash")

// CheckPasswordRules reports ErrWeakPassword for a password shorter than
// MinPasswordLen characters or longer than MaxPasswordLen bytes.
func CheckPasswordRules(password string) error {
	if n := len([]rune(password)); n < MinPasswordLen {
		return fmt.Errorf("%w: a password needs at least %d characters (this one has %d)", ErrWeakPassword, MinPasswordLen, n)
	}
	if len(password) > MaxPasswordLen {
		return fmt.Errorf("%w: a password may have at most %d bytes", ErrWeakPassword, MaxPasswordLen)
	}
	return nil
}

// HashPassword checks password with CheckPasswordRules and hashes it with
// DefaultPasswordParams and a new random salt.
func HashPassword(password string) (string, error) {
	if err := CheckPasswordRules(password); err != nil {
		return "", err
	}
	return HashPasswordWith(password, DefaultPasswordParams)
}

// HashPasswordWith hashes password with p and a new random salt, as a PHC
// string: $argon2id$v=19$m=MEMORY,t=TIME,p=THREADS$SALT$HASH, salt and hash
// in unpadded standard base64. It does not apply the password rules.
func HashPasswordWith(password string, p PasswordParams) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	// crypto/rand.Read does not fail since Go 1.24.
	_, _ = rand.Read(salt)
	return p.encode(salt, argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)), nil
}

// encode writes a PHC string of p, salt and key.
func (p PasswordParams) encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", PasswordScheme, argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

func (p PasswordParams) validate() error {
	switch {
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxPasswordMemory:
		return fmt.Errorf("%w: memory %d KiB out of range", ErrBadPasswordHash, p.Memory)
	case p.Time < 1 || p.Time > maxPasswordTime:
		return fmt.Errorf("%w: time %d out of range", ErrBadPasswordHash, p.Time)
	case p.Threads < 1:
		return fmt.Errorf("%w: threads must be at least 1", ErrBadPasswordHash)
	case p.SaltLen < minPasswordSaltLen || p.SaltLen > maxPasswordSaltLen:
		return fmt.Errorf("%w: salt of %d bytes out of range", ErrBadPasswordHash, p.SaltLen)
	case p.KeyLen < minPasswordKeyLen || p.KeyLen > maxPasswordKeyLen:
		return fmt.Errorf("%w: hash of %d bytes out of range", ErrBadPasswordHash, p.KeyLen)
	}
	return nil
}

// ParsePasswordHash reads a hash written by HashPasswordWith: its
// parameters, salt and key. Anything else, parameters out of bounds
// included, is ErrBadPasswordHash.
func ParsePasswordHash(encoded string) (p PasswordParams, salt, key []byte, err error) {
	bad := func(why string) (PasswordParams, []byte, []byte, error) {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: %s", ErrBadPasswordHash, why)
	}
	rest, ok := strings.CutPrefix(encoded, PasswordScheme)
	if !ok {
		return bad("not an argon2id hash")
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 4 {
		return bad("want $argon2id$v=19$m=…,t=…,p=…$salt$hash")
	}
	if parts[0] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unknown argon2 version " + parts[0])
	}
	var m, t, th uint64
	for i, kv := range strings.Split(parts[1], ",") {
		name, val, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil || i > 2 || name != "mtp"[i:i+1] {
			return bad("parameters must be m=…,t=…,p=…")
		}
		switch i {
		case 0:
			m = n
		case 1:
			t = n
		case 2:
			th = n
		}
	}
	if th > 255 {
		return bad("too many threads")
	}
	b64 := base64.RawStdEncoding.Strict()
	if salt, err = b64.DecodeString(parts[2]); err != nil {
		return bad("salt is not base64")
	}
	if key, err = b64.DecodeString(parts[3]); err != nil {
		return bad("hash is not base64")
	}
	p = PasswordParams{Memory: uint32(m), Time: uint32(t), Threads: uint8(th), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))} // #nosec G115 -- parsed with a 32-bit limit, threads checked ≤ 255; salt and key are a stored hash's few bytes
	if err := p.validate(); err != nil {
		return PasswordParams{}, nil, nil, err
	}
	return p, salt, key, nil
}

// CheckPassword reports whether password matches a hash made by
// HashPasswordWith, recomputing it with the hash's own parameters and
// comparing in constant time. A malformed hash never matches.
func CheckPassword(password, encoded string) bool {
	if len(password) > MaxPasswordLen {
		return false
	}
	p, salt, want, err := ParsePasswordHash(encoded)
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, want) == 1
}

// DummyPasswordHash is a well-formed hash with DefaultPasswordParams that
// no password matches in practice (its salt and hash are zeros). Checking
// a password against it costs what checking against a real hash costs, so
// a login for a user that does not exist takes as long as one with a
// wrong password.
func DummyPasswordHash() string {
	p := DefaultPasswordParams
	return p.encode(make([]byte, p.SaltLen), make([]byte, p.KeyLen))
}
