package insecure

import (
	"os"
	"path/filepath"
)

// Save writes data with too-open permissions.
func Save(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o777); err != nil { // expect: G301
		return err
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil { // expect: G306
		return err
	}
	return os.Chmod(p, 0o666) // expect: G302
}

// Load reads a file whose path comes from the caller.
func Load(p string) ([]byte, error) {
	return os.ReadFile(p) // expect: G304
}

// Scratch creates a file at a predictable temporary path.
func Scratch() (*os.File, error) {
	return os.Create("/tmp/insecure-scratch") // expect: G303
}

// Forget drops an error.
func Forget(p string) {
	os.Remove(p) // expect: G104
}
