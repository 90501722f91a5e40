package clean

import (
	"os"
)

// Save writes data readable by its owner only, inside root.
func Save(root *os.Root, name string, data []byte) error {
	if err := root.Mkdir("out", 0o750); err != nil && !os.IsExist(err) {
		return err
	}
	return root.WriteFile("out/"+name, data, 0o600)
}

// Load reads a file inside root, which refuses paths that escape it.
func Load(root *os.Root, name string) ([]byte, error) {
	return root.ReadFile(name)
}

// Scratch creates a temporary file with an unpredictable name.
func Scratch() (*os.File, error) {
	return os.CreateTemp("", "clean-scratch-*")
}

// Forget removes a file and reports failure.
func Forget(root *os.Root, name string) error {
	return root.Remove(name)
}
