package insecure

import (
	"archive/zip"
	"compress/gzip"
	"crypto/des" // expect: G502
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof" // expect: G108
	"os"
	"path/filepath"
	"strconv"
)

// Listen binds every interface.
func Listen() (net.Listener, error) {
	return net.Listen("tcp", "0.0.0.0:8080") // expect: G102
}

// NewServer has no ReadHeaderTimeout.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{Addr: "127.0.0.1:8080", Handler: h} // expect: G112
}

// Inflate copies a compressed stream without a size limit.
func Inflate(dst io.Writer, src io.Reader) error {
	zr, err := gzip.NewReader(src)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, zr) // expect: G110
	return err
}

// WeakKey generates a short RSA key.
func WeakKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 1024) // expect: G403
}

// OldCipher uses DES.
func OldCipher(key []byte) error {
	_, err := des.NewCipher(key) // expect: G405
	return err
}

// Small narrows an int.
func Small(s string) (int16, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, err
	}
	return int16(n), nil // expect: G109 G115
}

// Unzip writes archive entries where their names say.
func Unzip(r *zip.Reader, dir string) error {
	for _, f := range r.File {
		out, err := os.Create(filepath.Join(dir, f.Name)) // expect: G304 G305
		if err != nil {
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	return nil
}

// Handler echoes and redirects to what the request says.
func Handler(w http.ResponseWriter, r *http.Request) {
	data, err := os.ReadFile(r.URL.Query().Get("file")) // expect: G703
	if err != nil {
		http.Redirect(w, r, r.FormValue("next"), http.StatusFound) // expect: G710
		return
	}
	_, _ = w.Write(data)                        // expect: G705
	_, _ = w.Write([]byte(r.FormValue("name"))) // expect: G705
}
