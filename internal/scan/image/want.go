package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"runtime/debug"
	"strings"
)

// kind is what a kept file is.
type kind int

// File kinds the scanner reads.
const (
	kindNone kind = iota
	kindOSRelease
	kindDpkg
	kindApk
	kindRpmSQLite
	kindRpmOther // Berkeley DB or NDB rpm databases, which are not read
	kindPython
	kindNpm
	kindLockfile
	kindBinary
)

// Size limits for files read from an image.
const (
	maxManifestSize = 4 << 20  // package.json, METADATA, os-release
	maxDBSize       = 64 << 20 // dpkg status, apk installed
	defaultMaxSize  = 256 << 20
)

// selector decides which files to keep and reads them.
type selector struct {
	isLockfile func(path string) bool
	// maxSize bounds rpm databases, lockfiles and binaries.
	maxSize int64
}

// rpmDirs are the folders an rpm database lives in (/var/lib/rpm is a
// link to the second on recent Fedora and RHEL).
var rpmDirs = map[string]bool{"/var/lib/rpm": true, "/usr/lib/sysimage/rpm": true}

// noLockfileDirs hold lockfiles and go.mod files of installed or vendored
// code (module caches, the Go toolchain's sources), not of the
// application the image ships.
var noLockfileDirs = []string{"/node_modules/", "/site-packages/", "/dist-packages/", "/pkg/mod/", "/vendor/"}

var noLockfileRoots = []string{"/usr/local/go/", "/usr/lib/go", "/usr/share/", "/proc/", "/sys/"}

// want says which kind of file p is, from its path and tar header alone.
func (s *selector) want(p string, hdr *tar.Header) kind {
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeSymlink, tar.TypeLink:
	default:
		return kindNone
	}
	dir, base := path.Split(p)
	dir = path.Clean(dir)
	switch {
	case p == "/etc/os-release" || p == "/usr/lib/os-release":
		return kindOSRelease
	case p == "/var/lib/dpkg/status" || (dir == "/var/lib/dpkg/status.d" && !strings.HasSuffix(base, ".md5sums")):
		return kindDpkg
	case p == "/lib/apk/db/installed" || p == "/usr/lib/apk/db/installed":
		return kindApk
	case rpmDirs[dir] && base == "rpmdb.sqlite":
		return kindRpmSQLite
	case rpmDirs[dir] && (base == "Packages" || base == "Packages.db"):
		return kindRpmOther
	}
	if hdr.Typeflag == tar.TypeSymlink {
		return kindNone // only os-release is followed
	}
	if isPythonMetadata(dir, base) {
		return kindPython
	}
	if isNpmManifest(p) {
		return kindNpm
	}
	if s.isLockfile != nil && lockfileCandidate(p) && s.isLockfile(p) {
		return kindLockfile
	}
	if hdr.Typeflag == tar.TypeReg && hdr.Mode&0o111 != 0 && hdr.Size > 4 && !isLibrary(base) {
		return kindBinary
	}
	return kindNone
}

func isPythonMetadata(dir, base string) bool {
	parent := path.Base(path.Dir(dir))
	if parent != "site-packages" && parent != "dist-packages" {
		return false
	}
	d := path.Base(dir)
	return (base == "METADATA" && strings.HasSuffix(d, ".dist-info")) ||
		(base == "PKG-INFO" && strings.HasSuffix(d, ".egg-info"))
}

// isNpmManifest matches node_modules/<name>/package.json and
// node_modules/@scope/<name>/package.json.
func isNpmManifest(p string) bool {
	segs := strings.Split(p, "/")
	n := len(segs)
	if n < 4 || segs[n-1] != "package.json" {
		return false
	}
	if segs[n-3] == "node_modules" && !strings.HasPrefix(segs[n-2], "@") && !strings.HasPrefix(segs[n-2], ".") {
		return true
	}
	return n >= 5 && segs[n-4] == "node_modules" && strings.HasPrefix(segs[n-3], "@")
}

func lockfileCandidate(p string) bool {
	for _, d := range noLockfileDirs {
		if strings.Contains(p, d) {
			return false
		}
	}
	for _, r := range noLockfileRoots {
		if strings.HasPrefix(p, r) {
			return false
		}
	}
	return true
}

// isLibrary matches shared objects and kernel modules, which are never Go
// programs worth reading.
func isLibrary(base string) bool {
	return strings.HasSuffix(base, ".so") || strings.Contains(base, ".so.") || strings.HasSuffix(base, ".ko")
}

// elfMagic starts every ELF file.
var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

// read reads a regular file's content as its kind requires. A binary
// that turns out not to be a Go program gets kind kindNone.
func (s *selector) read(f *file, hdr *tar.Header, r io.Reader) {
	limit := int64(maxManifestSize)
	switch f.kind {
	case kindDpkg, kindApk:
		limit = maxDBSize
	case kindRpmOther:
		return // presence is all that matters
	case kindRpmSQLite, kindLockfile, kindBinary:
		limit = s.maxSize
	}
	if f.kind == kindBinary {
		var head [4]byte
		if _, err := io.ReadFull(r, head[:]); err != nil || !bytes.Equal(head[:], elfMagic) {
			f.kind = kindNone
			return
		}
		r = io.MultiReader(bytes.NewReader(head[:]), r)
	}
	if hdr.Size > limit {
		f.err = fmt.Errorf("not read: %d bytes is more than the %d-byte limit", hdr.Size, limit)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		f.err = err
		return
	}
	if f.kind != kindBinary {
		f.data = data
		return
	}
	info, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		f.kind = kindNone // not a Go program, or one built without module information
		return
	}
	sum := sha256.Sum256(data)
	f.bin = &goBinary{info: info, sha256: hex.EncodeToString(sum[:])}
}

// goBinary is what the scanner keeps of a Go program.
type goBinary struct {
	info   *debug.BuildInfo
	sha256 string
}
