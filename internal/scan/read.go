package scan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// DefaultMaxFileSize is the size over which ReadText refuses a file.
const DefaultMaxFileSize int64 = 10 << 20

// binarySniffLen is how much of a file ReadText looks at for a NUL byte.
const binarySniffLen = 8 << 10

// ErrTooLarge is returned (wrapped, with the sizes) by ReadText for a file
// over the size limit. Scanners report it as an InputError: a big file is
// skipped, never silently.
var ErrTooLarge = errors.New("file too large")

// ErrNotRegular is returned (wrapped) by ReadText for a path that is not a
// regular file (a folder, named pipe, device …).
var ErrNotRegular = errors.New("not a regular file")

// ReadText reads a file for a text scanner. A file with a NUL byte in its
// first 8 KiB is binary: ReadText then returns (nil, true, nil) after
// reading only that much, whatever the file's size, and text scanners skip
// it. It refuses text files over maxSize bytes (DefaultMaxFileSize when
// maxSize <= 0) with ErrTooLarge, and files that are not regular with
// ErrNotRegular. Errors are *fs.PathError, so NewInputError reports them
// without repeating the absolute path.
func ReadText(path string, maxSize int64) (data []byte, binary bool, err error) {
	return ReadTextBuf(path, maxSize, nil)
}

// ReadTextBuf is ReadText reading into buf when it is large enough, so
// that a scanner can reuse one buffer per worker. The returned data
// aliases buf then: it is only valid until buf's next use.
func ReadTextBuf(path string, maxSize int64, buf []byte) (data []byte, binary bool, err error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	// Stat before opening: opening a named pipe would block.
	info, err := os.Stat(path)
	if err != nil {
		return nil, false, err
	}
	if !info.Mode().IsRegular() {
		return nil, false, &fs.PathError{Op: "read", Path: path, Err: ErrNotRegular}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	if info.Size() > maxSize {
		// Big binaries (executables, archives, images) are not text to
		// refuse: sniff them like any other file.
		head := make([]byte, binarySniffLen)
		n, err := io.ReadFull(f, head)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return nil, false, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if bytes.IndexByte(head[:n], 0) >= 0 {
			return nil, true, nil
		}
		return nil, false, tooLarge(path, info.Size(), maxSize)
	}
	// The file may grow between Stat and Read: never read past the limit.
	if need := min(info.Size(), maxSize) + 1; int64(cap(buf)) < need {
		buf = make([]byte, 0, need)
	}
	buf = buf[:0]
	r := io.LimitReader(f, maxSize+1)
	head := buf[:min(int64(cap(buf)), binarySniffLen)]
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, false, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if bytes.IndexByte(head[:n], 0) >= 0 {
		return nil, true, nil
	}
	buf = buf[:n]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, &fs.PathError{Op: "read", Path: path, Err: err}
		}
	}
	if int64(len(buf)) > maxSize {
		return nil, false, tooLarge(path, int64(len(buf)), maxSize)
	}
	return buf, false, nil
}

func tooLarge(path string, size, limit int64) error {
	return &fs.PathError{Op: "read", Path: path,
		Err: fmt.Errorf("%w: %s, over the %s limit", ErrTooLarge, FormatSize(size), FormatSize(limit))}
}

// FormatSize writes a byte count the way people read it: 512 B, 1.5 KiB,
// 10 MiB.
func FormatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + " " + string("KMGTP"[exp]) + "iB"
}
