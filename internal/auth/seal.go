package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// MasterKeyLen is the length of the server master key that seals signing
// keys: 32 bytes, for AES-256-GCM.
const MasterKeyLen = 32

// sealVersion is the first byte of a sealed signing key.
const sealVersion = 1

// ErrUnseal reports a sealed signing key that cannot be opened: a
// different master key, a different key id, or damaged data.
var ErrUnseal = errors.New("cannot open sealed signing key")

// SealSigningKey encrypts a signing key for storage with AES-256-GCM under
// the server master key, which must not be stored beside it. The key id is
// authenticated data, so a sealed key copied onto another key's row does
// not open. The result is a version byte, the 12-byte nonce and the
// ciphertext with its tag.
func SealSigningKey(master []byte, keyID string, sigKey []byte) ([]byte, error) {
	aead, err := newAEAD(master)
	if err != nil {
		return nil, fmt.Errorf("seal signing key for %s: %w", keyID, err)
	}
	if len(sigKey) == 0 {
		return nil, fmt.Errorf("seal signing key for %s: the signing key is empty", keyID)
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(sigKey)+aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal signing key for %s: read random nonce: %w", keyID, err)
	}
	return aead.Seal(out, out[1:], sigKey, []byte(keyID)), nil // #nosec G407 -- the nonce is read from crypto/rand just above
}

// OpenSigningKey decrypts what SealSigningKey returned for the same master
// key and key id, or reports ErrUnseal.
func OpenSigningKey(master []byte, keyID string, sealed []byte) ([]byte, error) {
	aead, err := newAEAD(master)
	if err != nil {
		return nil, fmt.Errorf("open signing key for %s: %w", keyID, err)
	}
	ns := aead.NonceSize()
	if len(sealed) < 1+ns+aead.Overhead() || sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w for %s: not a version %d sealed key", ErrUnseal, keyID, sealVersion)
	}
	k, err := aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte(keyID))
	if err != nil {
		return nil, fmt.Errorf("%w for %s: wrong master key, wrong key id or damaged data", ErrUnseal, keyID)
	}
	return k, nil
}

func newAEAD(master []byte) (cipher.AEAD, error) {
	if len(master) != MasterKeyLen {
		return nil, fmt.Errorf("the master key is %d bytes, want %d (generate one with 32 random bytes)", len(master), MasterKeyLen)
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
