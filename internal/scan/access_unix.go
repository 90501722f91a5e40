//go:build unix

package scan

import "golang.org/x/sys/unix"

// readable checks that the process may read the file at path, without
// opening it.
func readable(path string) error {
	return unix.Access(path, unix.R_OK)
}
