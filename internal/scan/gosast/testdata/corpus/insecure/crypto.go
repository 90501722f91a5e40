package insecure

import (
	"crypto/md5"  // expect: G501
	"crypto/sha1" // expect: G505
	"crypto/tls"
	"math/rand"
)

// Checksum uses a broken hash.
func Checksum(b []byte) [16]byte {
	return md5.Sum(b) // expect: G401
}

// Digest uses another broken hash.
func Digest(b []byte) []byte {
	h := sha1.New() // expect: G401
	h.Write(b)
	return h.Sum(nil)
}

// Client skips certificate verification.
func Client() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true} // expect: G402
}

// Token draws a secret from a predictable generator.
func Token() int64 {
	return rand.Int63() // expect: G404
}
