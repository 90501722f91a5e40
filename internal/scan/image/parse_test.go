package image

import (
	"archive/tar"
	"encoding/binary"
	"path"
	"slices"
	"testing"
)

func TestNewDistro(t *testing.T) {
	tests := []struct {
		osr     string
		eco     string
		hasNote bool
		distroQ string
	}{
		{"ID=debian\nVERSION_ID=\"12\"\n", "Debian:12", false, "debian-12"},
		{"ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n", "Debian", true, "debian"},
		{"ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\n", "Ubuntu:22.04:LTS", false, "ubuntu-22.04"},
		{"ID=ubuntu\nVERSION_ID=\"23.10\"\nVERSION=\"23.10 (Mantic Minotaur)\"\n", "Ubuntu:23.10", false, "ubuntu-23.10"},
		{"ID=alpine\nVERSION_ID=3.19.1\n", "Alpine:v3.19", false, "alpine-3.19.1"},
		{"ID=\"rocky\"\nVERSION_ID=\"9.3\"\n", "Rocky Linux:9", false, "rocky-9.3"},
		{"ID=\"almalinux\"\nVERSION_ID=\"8.9\"\n", "AlmaLinux:8", false, "almalinux-8.9"},
		{"ID=wolfi\nVERSION_ID=20230201\n", "Wolfi", false, "wolfi-20230201"},
		{"ID=\"rhel\"\nVERSION_ID=\"9.3\"\n", "", true, "rhel-9.3"},
		{"# comment only\n", "", true, ""},
	}
	for _, tt := range tests {
		d := newDistro(parseOSRelease([]byte(tt.osr)))
		if d.ecosystem != tt.eco || (d.note != "") != tt.hasNote || d.purlDistro() != tt.distroQ {
			t.Errorf("%q: ecosystem %q note %q distro %q; want %q, note %v, %q", tt.osr, d.ecosystem, d.note, d.purlDistro(), tt.eco, tt.hasNote, tt.distroQ)
		}
	}
}

func TestGoStdlibVersion(t *testing.T) {
	for in, want := range map[string]string{
		"go1.22.1": "1.22.1", "go1.21": "1.21.0", "go1.23rc1": "1.23.0-rc.1", "go1.20beta2": "1.20.0-beta.2",
		"go1.22.1 X:boringcrypto": "1.22.1", "devel go1.23-abc": "", "": "", "go1.24.3-1234": "1.24.3",
	} {
		if got := goStdlibVersion(in); got != want {
			t.Errorf("goStdlibVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRpmSourceName(t *testing.T) {
	for in, want := range map[string]string{
		"openssl-3.0.7-24.el9.src.rpm": "openssl", "python3-pip-21.2.3-7.el9.src.rpm": "python3-pip",
		"kernel-5.14.0-362.nosrc.rpm": "kernel", "": "", "broken.src.rpm": "",
	} {
		if got := rpmSourceName(in); got != want {
			t.Errorf("rpmSourceName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDpkg(t *testing.T) {
	status := "Package: a\nStatus: install ok installed\nVersion: 1\nDepends: b (>= 1) | c, d:any, virt\n\n" +
		"Package: b\nStatus: install ok unpacked\nVersion: 1\n\n" +
		"Package: c\nVersion: 2\nProvides: virt (= 1)\n\n" +
		"Package: d\nVersion: 0:3\nSource: dsrc (0:3)\n\n" +
		"Package: noversion\n"
	pkgs, err := parseDpkg([]byte(status), distro{id: "debian", versionID: "12", ecosystem: "Debian:12"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pkgs {
		names = append(names, p.name)
	}
	if !slices.Equal(names, []string{"a", "c", "d"}) {
		t.Fatalf("packages %v, want a c d (b is not installed)", names)
	}
	if !slices.Equal(pkgs[0].deps, []int{1, 2}) {
		t.Errorf("a depends on %v, want c (the installed alternative) and d; virt is c again", pkgs[0].deps)
	}
	if d := pkgs[2]; d.queryName() != "dsrc" || d.queryVersion() != "0:3" || d.purl != "pkg:deb/debian/d@3?distro=debian-12&upstream=dsrc" {
		t.Errorf("d = %+v", d)
	}
}

func TestParseMetadata(t *testing.T) {
	p, err := parsePythonMetadata([]byte("Metadata-Version: 2.4\nName: Foo_Bar\nVersion: 1.0\nLicense-Expression: MIT OR Apache-2.0\nLicense: long\n text\n\nName: body\n"))
	if err != nil || p.name != "Foo_Bar" || p.purl != "pkg:pypi/foo-bar@1.0" || !slices.Equal(p.licenses, []string{"MIT OR Apache-2.0"}) {
		t.Errorf("METADATA = %+v, %v", p, err)
	}
	if _, err := parsePythonMetadata([]byte("Name: x\n")); err == nil {
		t.Error("METADATA without a version accepted")
	}
	p, err = parseNpmManifest([]byte(`{"name":"x","version":"1.0.0","license":{"type":"ISC"}}`))
	if err != nil || !slices.Equal(p.licenses, []string{"ISC"}) {
		t.Errorf("package.json = %+v, %v", p, err)
	}
	p, _ = parseNpmManifest([]byte(`{"name":"x","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"GPL-2.0"}]}`))
	if !slices.Equal(p.licenses, []string{"MIT", "GPL-2.0"}) {
		t.Errorf("package.json licenses = %v", p.licenses)
	}
	for _, bad := range []string{`{`, `{"name":"x"}`, `[]`} {
		if _, err := parseNpmManifest([]byte(bad)); err == nil {
			t.Errorf("package.json %s accepted", bad)
		}
	}
}

func TestWant(t *testing.T) {
	s := &selector{isLockfile: func(p string) bool { return path.Base(p) == "yarn.lock" }}
	reg := func(mode int64) *tar.Header { return &tar.Header{Typeflag: tar.TypeReg, Mode: mode, Size: 100} }
	tests := []struct {
		path string
		hdr  *tar.Header
		want kind
	}{
		{"/etc/os-release", &tar.Header{Typeflag: tar.TypeSymlink}, kindOSRelease},
		{"/var/lib/dpkg/status", reg(0o644), kindDpkg},
		{"/var/lib/dpkg/status.d/base", reg(0o644), kindDpkg},
		{"/var/lib/dpkg/status.d/base.md5sums", reg(0o644), kindNone},
		{"/var/lib/dpkg/status", &tar.Header{Typeflag: tar.TypeDir}, kindNone},
		{"/lib/apk/db/installed", reg(0o644), kindApk},
		{"/var/lib/rpm/rpmdb.sqlite", reg(0o644), kindRpmSQLite},
		{"/var/lib/rpm/Packages", reg(0o644), kindRpmOther},
		{"/usr/lib/python3.11/site-packages/x-1.dist-info/METADATA", reg(0o644), kindPython},
		{"/usr/lib/python3.11/site-packages/x-1.dist-info/sub/METADATA", reg(0o644), kindNone},
		{"/usr/lib/python3/dist-packages/x.egg-info/PKG-INFO", reg(0o644), kindPython},
		{"/app/node_modules/a/package.json", reg(0o644), kindNpm},
		{"/app/node_modules/@s/a/package.json", reg(0o644), kindNpm},
		{"/app/node_modules/a/lib/package.json", reg(0o644), kindNone},
		{"/app/node_modules/a/node_modules/b/package.json", reg(0o644), kindNpm},
		{"/app/yarn.lock", reg(0o644), kindLockfile},
		{"/app/node_modules/x/yarn.lock", reg(0o644), kindNone},
		{"/usr/local/go/src/yarn.lock", reg(0o644), kindNone},
		{"/usr/local/bin/app", reg(0o755), kindBinary},
		{"/usr/local/bin/app", reg(0o644), kindNone},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", reg(0o755), kindNone},
		{"/usr/local/bin/link", &tar.Header{Typeflag: tar.TypeSymlink, Mode: 0o777}, kindNone},
	}
	for _, tt := range tests {
		if got := s.want(tt.path, tt.hdr); got != tt.want {
			t.Errorf("want(%s, type %c mode %o) = %d, want %d", tt.path, tt.hdr.Typeflag, tt.hdr.Mode, got, tt.want)
		}
	}
}

func TestSquashEdges(t *testing.T) {
	kept := func(paths ...string) map[string]*file {
		m := map[string]*file{}
		for _, p := range paths {
			m[p] = &file{path: p, kind: kindNpm}
		}
		return m
	}
	lower := &layerView{digest: "l", entries: map[string]bool{"/a": true, "/a/node_modules/x/package.json": false},
		kept: kept("/a/node_modules/x/package.json", "/b/package.json", "/c/package.json")}
	upper := &layerView{digest: "u",
		// /a becomes a file, /b is deleted as a folder, /c is untouched.
		entries:   map[string]bool{"/a": false},
		whiteouts: map[string]bool{"/b": true},
		kept:      map[string]*file{}}
	got := squash([]*layerView{lower, upper})
	if len(got) != 1 || got[0].path != "/c/package.json" || got[0].layer != "" {
		var paths []string
		for _, f := range got {
			paths = append(paths, f.path)
		}
		t.Errorf("squashed to %v, want only /c/package.json", paths)
	}
}

// rpmBlob encodes a header blob with string entries.
func rpmBlob(strs map[int32]string) []byte {
	var index, data []byte
	for _, tag := range slices.Sorted(func(yield func(int32) bool) {
		for k := range strs {
			if !yield(k) {
				return
			}
		}
	}) {
		index = binary.BigEndian.AppendUint32(index, uint32(tag))
		index = binary.BigEndian.AppendUint32(index, rpmTypeString)
		index = binary.BigEndian.AppendUint32(index, uint32(len(data)))
		index = binary.BigEndian.AppendUint32(index, 1)
		data = append(append(data, strs[tag]...), 0)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(len(strs)))
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	return append(append(out, index...), data...)
}

func TestParseRpmHeader(t *testing.T) {
	blob := rpmBlob(map[int32]string{rpmTagName: "zsh", rpmTagVersion: "5.8", rpmTagRelease: "9.el9"})
	h, err := parseRpmHeader(blob)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := rpmPackage(h, distro{id: "rocky", versionID: "9.3", ecosystem: "Rocky Linux:9"})
	if !ok || p.name != "zsh" || p.version != "5.8-9.el9" || p.purl != "pkg:rpm/rocky/zsh@5.8-9.el9?distro=rocky-9.3" {
		t.Errorf("package = %+v", p)
	}
	for _, bad := range [][]byte{nil, blob[:7], blob[:len(blob)-1], {0, 0, 0, 0, 0, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}} {
		if _, err := parseRpmHeader(bad); err == nil {
			t.Errorf("malformed header %x accepted", bad)
		}
	}
}

// FuzzRpmHeader checks that no header blob makes the reader panic.
func FuzzRpmHeader(f *testing.F) {
	f.Add(rpmBlob(map[int32]string{rpmTagName: "a", rpmTagVersion: "1", rpmTagEpoch: "x"}))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 3, 0xe8, 0, 0, 0, 4, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, blob []byte) {
		h, err := parseRpmHeader(blob)
		if err != nil {
			return
		}
		rpmPackage(h, distro{})
		h.strings(rpmTagRequireName)
	})
}

// FuzzPackageDatabases checks that no dpkg or apk database makes the
// parsers panic.
func FuzzPackageDatabases(f *testing.F) {
	f.Add([]byte("Package: a\nVersion: 1\nDepends: b | c (>= 1), d:any\nSource: s (2)\n\nPackage: b\nVersion: 1:2\n"))
	f.Add([]byte("P:a\nV:1\nD:so:x !y z>=1\np:so:x=1\n\nP:b\nV:2\no:a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := distro{id: "debian", versionID: "12", ecosystem: "Debian:12"}
		for _, parse := range []func([]byte, distro) ([]pkg, error){parseDpkg, parseApk} {
			pkgs, err := parse(data, d)
			if err != nil {
				continue
			}
			for i, p := range pkgs {
				for _, j := range p.deps {
					if j < 0 || j >= len(pkgs) || j == i {
						t.Fatalf("package %d depends on %d of %d", i, j, len(pkgs))
					}
				}
			}
		}
	})
}
