package clean

import (
	"archive/zip"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// maxInflated bounds what Inflate writes.
const maxInflated = 10 << 20

// Listen binds the loopback interface only.
func Listen() (net.Listener, error) {
	return net.Listen("tcp", "127.0.0.1:8080")
}

// NewServer sets a ReadHeaderTimeout.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{Addr: "127.0.0.1:8080", Handler: h, ReadHeaderTimeout: 5 * time.Second}
}

// Inflate copies at most maxInflated bytes.
func Inflate(dst io.Writer, src io.Reader) error {
	zr, err := gzip.NewReader(src)
	if err != nil {
		return err
	}
	_, err = io.CopyN(dst, zr, maxInflated)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// StrongKey generates a 3072-bit RSA key.
func StrongKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 3072)
}

// NewAEAD uses AES-GCM.
func NewAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Small parses straight into 16 bits.
func Small(s string) (int16, error) {
	n, err := strconv.ParseInt(s, 10, 16)
	if err != nil {
		return 0, err
	}
	return int16(n), nil
}

// Names lists archive entries without writing them anywhere.
func Names(r *zip.Reader) []string {
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
	}
	return names
}

// Handler escapes what it echoes and redirects to a fixed page.
func Handler(w http.ResponseWriter, r *http.Request) {
	if r.FormValue("next") != "" {
		http.Redirect(w, r, "/home", http.StatusFound)
		return
	}
	_, _ = io.WriteString(w, html.EscapeString(r.FormValue("name")))
}
