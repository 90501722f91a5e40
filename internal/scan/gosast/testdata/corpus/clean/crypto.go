package clean

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
)

// Checksum uses SHA-256.
func Checksum(b []byte) [32]byte {
	return sha256.Sum256(b)
}

// Digest uses SHA-256 too.
func Digest(b []byte) []byte {
	h := sha256.New()
	h.Write(b)
	return h.Sum(nil)
}

// Client verifies certificates and requires TLS 1.3.
func Client() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS13}
}

// Token draws a secret from the operating system's generator.
func Token() (int64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(b[:]) >> 1), nil
}
