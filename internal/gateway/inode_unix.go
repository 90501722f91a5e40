//go:build unix

package gateway

import (
	"io/fs"
	"syscall"
)

// inodeOf returns the file's inode, so a file replaced by rename is seen
// as changed even when its size and modification time match.
func inodeOf(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino) //nolint:unconvert // Ino is not uint64 on every unix
	}
	return 0
}
