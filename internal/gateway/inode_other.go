//go:build !unix

package gateway

import "io/fs"

// inodeOf returns 0 where inodes are not available; the modification time
// and size still detect changes.
func inodeOf(fs.FileInfo) uint64 { return 0 }
