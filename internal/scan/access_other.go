//go:build !unix

package scan

// readable is a no-op where access(2) does not exist; ReadText reports an
// unreadable file when a scanner opens it.
func readable(string) error { return nil }
