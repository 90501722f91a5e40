package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

const (
	// KeyPrefix starts every sluice API key, so that secret scanners and
	// humans recognise one.
	KeyPrefix = "slk_"
	// KeyIDLen is the length of a key's id: 12 characters of lowercase
	// base32 (a-z, 2-7), 60 random bits.
	KeyIDLen = 12
	// SecretLen is the length of a key's secret: 32 random bytes written
	// as base62 (0-9, A-Z, a-z), left-padded with '0' to 43 characters.
	SecretLen = 43
	// HashScheme prefixes the stored hash of a secret. It names the hash
	// function so that a later scheme can be added without ambiguity.
	HashScheme = "sha256:"
)

const (
	idAlphabet     = "abcdefghijklmnopqrstuvwxyz234567"
	base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	secretBytes    = 32
)

// ErrMalformedKey reports a string that is not a sluice API key. Errors
// wrapping it never repeat the input, which may be a secret.
var ErrMalformedKey = errors.New("malformed API key")

// NewKey creates an API key. plaintext is the whole key, slk_<id>_<secret>,
// to be shown to the user once and never stored or logged; id names the
// key in the store; hash is HashSecret of the secret, the only form of it
// the store keeps. To sign requests with the key the server also needs
// DeriveSigningKey of the secret, which it gets from ParseKey(plaintext)
// before discarding the plaintext.
//
// Ids are random, not checked for uniqueness: the caller should retry on
// the store's unique-constraint error.
func NewKey() (plaintext, id, hash string, err error) {
	var raw [KeyIDLen + secretBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", "", "", fmt.Errorf("create API key: read random bytes: %w", err)
	}
	idb := make([]byte, KeyIDLen)
	for i, b := range raw[:KeyIDLen] {
		// 32 divides 256, so masking keeps every character equally likely.
		idb[i] = idAlphabet[b&31]
	}
	id = string(idb)
	secret := encodeBase62(raw[KeyIDLen:])
	clear(raw[:])
	return KeyPrefix + id + "_" + secret, id, HashSecret(secret), nil
}

// encodeBase62 writes b as a big-endian number in base62, left-padded to
// SecretLen characters. 62^43 > 2^256, so 32 bytes always fit.
func encodeBase62(b []byte) string {
	n := new(big.Int).SetBytes(b)
	out := make([]byte, SecretLen)
	for i := range out {
		out[i] = '0'
	}
	base, mod := big.NewInt(62), new(big.Int)
	for i := SecretLen - 1; n.Sign() > 0 && i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = base62Alphabet[mod.Int64()]
	}
	return string(out)
}

// ParseKey splits a plaintext key into its id and secret. It checks the
// prefix, the lengths and the alphabets, and reports ErrMalformedKey
// (without echoing the input) when one is wrong.
func ParseKey(plaintext string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(plaintext, KeyPrefix)
	if !ok {
		return "", "", fmt.Errorf("%w: it must start with %q", ErrMalformedKey, KeyPrefix)
	}
	if len(rest) != KeyIDLen+1+SecretLen || rest[KeyIDLen] != '_' {
		return "", "", fmt.Errorf("%w: want %s followed by a %d-character id, '_' and a %d-character secret (%d characters in all), got %d characters",
			ErrMalformedKey, KeyPrefix, KeyIDLen, SecretLen, len(KeyPrefix)+KeyIDLen+1+SecretLen, len(plaintext))
	}
	id, secret = rest[:KeyIDLen], rest[KeyIDLen+1:]
	if !ValidKeyID(id) {
		return "", "", fmt.Errorf("%w: the id may hold only a-z and 2-7", ErrMalformedKey)
	}
	for i := 0; i < len(secret); i++ {
		if strings.IndexByte(base62Alphabet, secret[i]) < 0 {
			return "", "", fmt.Errorf("%w: the secret may hold only 0-9, A-Z and a-z", ErrMalformedKey)
		}
	}
	return id, secret, nil
}

// ValidKeyID reports whether id has the form of a key id, for ids that
// arrive on their own (in a URL or a signed request).
func ValidKeyID(id string) bool {
	if len(id) != KeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if strings.IndexByte(idAlphabet, id[i]) < 0 {
			return false
		}
	}
	return true
}

// HashSecret returns the stored form of a key's secret: HashScheme followed
// by the lowercase hex SHA-256 of the secret's characters. Anyone can
// reproduce it, e.g. printf %s "$SECRET" | sha256sum.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return HashScheme + hex.EncodeToString(sum[:])
}

// CheckKey reports whether secret matches a hash made by HashSecret. The
// digests are compared in constant time. A hash with an unknown scheme or
// a malformed digest never matches.
func CheckKey(secret, hash string) bool {
	digest, ok := strings.CutPrefix(hash, HashScheme)
	if !ok || len(digest) != 2*sha256.Size {
		return false
	}
	want, err := hex.DecodeString(digest)
	if err != nil {
		return false
	}
	got := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(got[:], want) == 1
}
