package image

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/osv"
	"github.com/sluice-ci/sluice/internal/scan"
	"github.com/sluice-ci/sluice/internal/scan/deps"
)

const debianOSRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
ID=debian
`

const dpkgBase = `Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u3

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u1
Depends: libc6 (>= 2.34)
Description: Secure Sockets Layer toolkit
 multi-line description,
 continued.

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib (1:1.2.13.dfsg-1)
Version: 1:1.2.13.dfsg-1
Depends: libc6 (>= 2.14)

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
`

// debianImage has three layers: a base with a dpkg database, a
// distroless-style status.d file and a Python package; a layer that
// rewrites the dpkg database, deletes the status.d file and adds a Go
// program; a layer that hides the Python folder (opaque), adds another
// Python package, an npm package, a lockfile, a Go program, and replaces
// the first Go program with a script.
func debianImage(t *testing.T) (v1.Image, []string) {
	bin := testProgram(t)
	a := layerOf(t,
		dir("etc"), symlink("etc/os-release", "../usr/lib/os-release"),
		reg("usr/lib/os-release", debianOSRelease),
		reg("var/lib/dpkg/status", dpkgBase),
		reg("var/lib/dpkg/status.d/removedpkg", "Package: removedpkg\nVersion: 1.0-1\nArchitecture: amd64\n"),
		reg("usr/lib/python3/dist-packages/foo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n"),
	)
	b := layerOf(t,
		reg("var/lib/dpkg/status", dpkgBase+"\nPackage: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u5\nDepends: libc6, libssl3 | libssl1.1\n"),
		whiteout("var/lib/dpkg/status.d/removedpkg"),
		exe("usr/local/bin/old", bin),
	)
	c := layerOf(t,
		opaque("usr/lib/python3/dist-packages"),
		reg("usr/lib/python3/dist-packages/bar-2.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: bar\nVersion: 2.0\nLicense: MIT\n\nlong description\n"),
		reg("app/node_modules/lodash/package.json", `{"name": "lodash", "version": "4.17.20", "license": "MIT"}`),
		reg("app/node_modules/@scope/ok/package.json", `{"name": "@scope/ok", "version": "1.0.0"}`),
		reg("app/requirements.txt", "flask==0.12\n"),
		exe("usr/local/bin/app", bin),
		exe("usr/local/bin/old", []byte("#!/bin/sh\necho replaced\n")),
	)
	return imageOf(t, a, b, c), []string{digestOf(t, a), digestOf(t, b), digestOf(t, c)}
}

// testLockfiles reads "name==version" requirement lines, standing in for
// the deps scanner's parsers.
func testLockfiles(o *Options) {
	o.IsLockfile = func(p string) bool { return path.Base(p) == "requirements.txt" }
	o.ParseLockfile = func(_ string, data []byte) ([]deps.Package, error) {
		var out []deps.Package
		for i, line := range strings.Split(string(data), "\n") {
			if n, v, ok := strings.Cut(strings.TrimSpace(line), "=="); ok {
				out = append(out, deps.Package{Name: n, Version: v, Ecosystem: osv.PyPI, Line: i + 1})
			}
		}
		return out, nil
	}
}

func openDB(t *testing.T) *osv.DB {
	t.Helper()
	db, err := osv.Open(filepath.Join("testdata", "osv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if errs := db.Errors(); len(errs) > 0 {
		t.Fatalf("test database errors: %v", errs)
	}
	return db
}

// run scans with opts and returns findings by "rule package layer path".
func run(t *testing.T, opts Options) (map[string]findings.Finding, scan.Health) {
	t.Helper()
	if opts.DB == nil {
		opts.DB = openDB(t)
	}
	s := New(opts)
	target := &scan.Target{Root: t.TempDir()}
	if ok, why := s.Applies(context.Background(), target); !ok {
		t.Fatalf("scanner does not apply: %s", why)
	}
	got := map[string]findings.Finding{}
	h, err := s.Scan(context.Background(), target, func(f findings.Finding) {
		key := fmt.Sprintf("%s %s %s %s", f.RuleID, f.Location.Package, short(f.Location.Layer), f.Location.Path)
		if _, dup := got[key]; dup {
			t.Errorf("reported twice: %s", key)
		}
		got[key] = f
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.Findings != len(got) {
		t.Errorf("health counts %d findings, %d reported", h.Findings, len(got))
	}
	return got, h
}

// short is a layer digest's first 12 hex digits, for readable keys.
func short(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	return d[:min(12, len(d))]
}

func wantDebianFindings(layers []string) map[string]string {
	a, b, c := short(layers[0]), short(layers[1]), short(layers[2])
	_ = a
	return map[string]string{
		"DEBIAN-CVE-2099-0001 libssl3 " + b + " /var/lib/dpkg/status":                             "3.0.11-1~deb12u2",
		"GO-2099-0020 github.com/google/go-cmp " + c + " /usr/local/bin/app":                      "0.99.0",
		"GO-2099-0021 stdlib " + c + " /usr/local/bin/app":                                        "1.99.0",
		"PYSEC-2099-0030 bar " + c + " /usr/lib/python3/dist-packages/bar-2.0.dist-info/METADATA": "2.1",
		"GHSA-test-0040 lodash " + c + " /app/node_modules/lodash/package.json":                   "4.17.21",
		"PYSEC-2099-0032 flask " + c + " /app/requirements.txt":                                   "1.0",
	}
}

func checkFindings(t *testing.T, got map[string]findings.Finding, want map[string]string) {
	t.Helper()
	for key, fixed := range want {
		f, ok := got[key]
		if !ok {
			t.Errorf("missing finding %s", key)
			continue
		}
		if f.FixedVersion != fixed {
			t.Errorf("%s: fixed version %q, want %q", key, f.FixedVersion, fixed)
		}
		if f.Category != findings.Container || f.Scanner != "image" || f.Location.Image == "" {
			t.Errorf("%s: %+v", key, f)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected finding %s", key)
		}
	}
}

func TestScanDockerArchive(t *testing.T) {
	img, layers := debianImage(t)
	archive := filepath.Join(t.TempDir(), "app.tar")
	tag, _ := name.NewTag("acme/app:1.0")
	if err := tarball.WriteToFile(archive, tag, img); err != nil {
		t.Fatal(err)
	}
	opts := Options{Archive: archive}
	testLockfiles(&opts)
	got, h := run(t, opts)
	checkFindings(t, got, wantDebianFindings(layers))

	ssl := got["DEBIAN-CVE-2099-0001 libssl3 "+short(layers[1])+" /var/lib/dpkg/status"]
	if ssl.Location.Image != "acme/app:1.0" || ssl.Location.Version != "3.0.11-1~deb12u1" || ssl.Location.Ecosystem != "Debian:12" ||
		ssl.Severity != findings.High || ssl.Properties["source_package"] != "openssl" || !slices.Contains(ssl.Aliases, "CVE-2099-0001") {
		t.Errorf("libssl3 finding = %+v", ssl)
	}
	flask := got["PYSEC-2099-0032 flask "+short(layers[2])+" /app/requirements.txt"]
	if flask.Location.StartLine != 1 {
		t.Errorf("flask line = %d", flask.Location.StartLine)
	}
	if h.Status != scan.Ran || h.Partial || h.Packages < 10 || h.Files != 6 || !strings.Contains(h.Reason, "3 layers") ||
		!strings.Contains(h.Reason, "Debian GNU/Linux 12") || h.DBUpdated.IsZero() {
		t.Errorf("health = %+v", h)
	}
}

func TestScanOCILayout(t *testing.T) {
	img, layers := debianImage(t)
	dir := filepath.Join(t.TempDir(), "app-oci")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{annotationRefName: "2.0"})); err != nil {
		t.Fatal(err)
	}
	opts := Options{Archive: dir}
	testLockfiles(&opts)
	got, h := run(t, opts)
	checkFindings(t, got, wantDebianFindings(layers))
	for _, f := range got {
		if f.Location.Image != "app-oci:2.0" {
			t.Errorf("image name %q, want app-oci:2.0", f.Location.Image)
			break
		}
	}
	d, _ := img.Digest()
	if !strings.Contains(h.Reason, d.String()) {
		t.Errorf("health reason %q lacks the digest %s", h.Reason, d)
	}

	// The same layout as a tar (docker buildx --output type=oci).
	tarPath := filepath.Join(t.TempDir(), "app-oci.tar")
	tarDir(t, dir, tarPath)
	got, _ = run(t, Options{Archive: tarPath})
	want := wantDebianFindings(layers)
	delete(want, "PYSEC-2099-0032 flask "+short(layers[2])+" /app/requirements.txt") // no lockfile parser this time
	checkFindings(t, got, want)
}

func TestScanRegistry(t *testing.T) {
	img, layers := debianImage(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tagRef, err := name.ParseReference(host+"/acme/app:1.0", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tagRef, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	want := wantDebianFindings(layers)
	delete(want, "PYSEC-2099-0032 flask "+short(layers[2])+" /app/requirements.txt")

	got, h := run(t, Options{Ref: host + "/acme/app:1.0", Insecure: true})
	mt, ok := got[RuleMutableTag+"   "]
	if !ok {
		t.Fatalf("no mutable-tag finding for a tag reference: %v", keys(got))
	}
	delete(got, RuleMutableTag+"   ")
	checkFindings(t, got, want)
	if mt.Severity != findings.Medium || mt.Location.Image != host+"/acme/app:1.0" ||
		!strings.Contains(mt.Fix, host+"/acme/app@"+d.String()) || mt.Properties["image_digest"] != d.String() {
		t.Errorf("mutable-tag finding = %+v", mt)
	}
	if !strings.Contains(h.Reason, d.String()) {
		t.Errorf("health reason %q lacks the digest", h.Reason)
	}

	got, _ = run(t, Options{Ref: host + "/acme/app@" + d.String(), Insecure: true})
	if _, ok := got[RuleMutableTag+"   "]; ok {
		t.Error("mutable-tag finding for a digest reference")
	}
	checkFindings(t, got, want)

	s := New(Options{Ref: host + "/acme/missing:1.0", Insecure: true, DB: openDB(t)})
	if _, err := s.Scan(context.Background(), &scan.Target{}, func(findings.Finding) {}); err == nil ||
		!strings.Contains(err.Error(), "acme/missing") {
		t.Errorf("missing image: %v", err)
	}
}

func keys(m map[string]findings.Finding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestScanAlpine(t *testing.T) {
	installed := `C:Q1abc=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
L:MIT
o:musl
p:so:libc.musl-x86_64.so.1=1

P:busybox
V:1.36.1-r15
A:x86_64
o:busybox
D:so:libc.musl-x86_64.so.1

P:libcrypto3
V:3.1.4-r5
A:x86_64
L:Apache-2.0
o:openssl
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3
`
	l := layerOf(t,
		reg("etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n"),
		reg("lib/apk/db/installed", installed))
	archive := filepath.Join(t.TempDir(), "alpine.tar")
	if err := tarball.WriteToFile(archive, nil, imageOf(t, l)); err != nil {
		t.Fatal(err)
	}
	got, h := run(t, Options{Archive: archive})
	checkFindings(t, got, map[string]string{
		"ALPINE-CVE-2099-0010 libcrypto3 " + short(digestOf(t, l)) + " /lib/apk/db/installed": "3.1.4-r6",
	})
	for _, f := range got {
		if f.Location.Ecosystem != "Alpine:v3.19" || f.Location.Image != "alpine.tar" {
			t.Errorf("location = %+v", f.Location)
		}
	}
	if h.Packages != 3 {
		t.Errorf("packages = %d, want 3", h.Packages)
	}
}

func TestScanUnsupportedRpmDatabase(t *testing.T) {
	l := layerOf(t,
		reg("etc/os-release", "ID=\"centos\"\nVERSION_ID=\"7\"\n"),
		reg("var/lib/rpm/Packages", "\x00\x06\x15\x61 berkeley db"))
	archive := filepath.Join(t.TempDir(), "centos.tar")
	if err := tarball.WriteToFile(archive, nil, imageOf(t, l)); err != nil {
		t.Fatal(err)
	}
	_, h := run(t, Options{Archive: archive})
	if !h.Partial || len(h.Errors) != 1 || h.Errors[0].Path != "/var/lib/rpm/Packages" ||
		!strings.Contains(h.Errors[0].Err, "rpm database not supported (Berkeley DB") {
		t.Errorf("health = %+v", h)
	}
}

func TestScanMalformedArchives(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	img, _ := debianImage(t)
	good := filepath.Join(dir, "good.tar")
	if err := tarball.WriteToFile(good, nil, img); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	cases := map[string]string{
		"garbage":   write("garbage.tar", []byte("this is not a tar archive at all, not even close")),
		"truncated": write("truncated.tar", data[:len(data)/2]),
		"gzip":      write("gzip.tar.gz", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}),
		"empty":     write("empty.tar", nil),
		"no image":  write("manifest.tar", tarOf(t, map[string]string{"manifest.json": "[]"})),
		"bad json":  write("badjson.tar", tarOf(t, map[string]string{"manifest.json": "{"})),
		"bad layer": write("badlayer.tar", tarOf(t, map[string]string{
			"manifest.json": `[{"Config":"c.json","RepoTags":["x:1"],"Layers":["l.tar"]}]`,
			"c.json":        `{"rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}`,
			"l.tar":         "not a layer"})),
		"missing":   filepath.Join(dir, "missing.tar"),
		"empty dir": t.TempDir(),
	}
	db := openDB(t)
	for name, archive := range cases {
		t.Run(name, func(t *testing.T) {
			s := New(Options{Archive: archive, DB: db})
			_, err := s.Scan(context.Background(), &scan.Target{}, func(findings.Finding) { t.Error("finding from a malformed archive") })
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
		})
	}
}

func TestApplies(t *testing.T) {
	ctx := context.Background()
	if ok, why := New(Options{}).Applies(ctx, &scan.Target{VulnDB: "testdata/osv"}); ok || why != ReasonNoImage {
		t.Errorf("no image: %v %q", ok, why)
	}
	if ok, why := New(Options{Ref: "alpine:3.19"}).Applies(ctx, &scan.Target{}); ok || why != ReasonNoDB {
		t.Errorf("no database: %v %q", ok, why)
	}
	if ok, why := New(Options{Ref: "alpine:3.19"}).Applies(ctx, &scan.Target{VulnDB: "testdata/nothing"}); ok || !strings.Contains(why, "testdata/nothing") {
		t.Errorf("missing database: %v %q", ok, why)
	}
	if ok, _ := New(Options{Archive: "x.tar"}).Applies(ctx, &scan.Target{VulnDB: "testdata/osv"}); !ok {
		t.Error("archive and database given: does not apply")
	}
}

func TestScanOpensTargetDatabase(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "a.tar")
	if err := tarball.WriteToFile(archive, nil, alpineImage(t)); err != nil {
		t.Fatal(err)
	}
	n := 0
	h, err := New(Options{Archive: archive}).Scan(context.Background(), &scan.Target{VulnDB: filepath.Join("testdata", "osv")},
		func(findings.Finding) { n++ })
	if err != nil || n != 1 || h.Findings != 1 {
		t.Errorf("scan with the target's database: %d findings, health %+v, %v", n, h, err)
	}
}

func TestScanRpmSQLite(t *testing.T) {
	db := gunzip(t, filepath.Join("testdata", "rpm", "rpmdb.sqlite.gz"))
	l := layerOf(t,
		reg("etc/os-release", "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nVERSION_ID=\"9.3\"\n"),
		symlink("var/lib/rpm", "../../usr/lib/sysimage/rpm"),
		entry{name: "usr/lib/sysimage/rpm/rpmdb.sqlite", body: db, mode: 0o644, typ: tar.TypeReg})
	archive := filepath.Join(t.TempDir(), "rocky.tar")
	if err := tarball.WriteToFile(archive, nil, imageOf(t, l)); err != nil {
		t.Fatal(err)
	}
	got, h := run(t, Options{Archive: archive})
	checkFindings(t, got, map[string]string{
		"RLSA-2099-0050 openssl " + short(digestOf(t, l)) + " /usr/lib/sysimage/rpm/rpmdb.sqlite": "1:3.0.7-25.el9",
	})
	for _, f := range got {
		if f.Location.Version != "1:3.0.7-24.el9" || f.Location.Ecosystem != "Rocky Linux:9" {
			t.Errorf("location = %+v", f.Location)
		}
	}
	if h.Packages != 3 || h.Partial {
		t.Errorf("health = %+v", h)
	}
}

func gunzip(t *testing.T, p string) []byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// alpineImage has one layer with an Alpine package database holding a
// vulnerable libcrypto3.
func alpineImage(t *testing.T) v1.Image {
	return imageOf(t, layerOf(t,
		reg("etc/os-release", "ID=alpine\nVERSION_ID=3.19.0\n"),
		reg("lib/apk/db/installed", "P:libcrypto3\nV:3.1.4-r1\no:openssl\n")))
}

func TestScanMultiPlatform(t *testing.T) {
	deb, _ := debianImage(t)
	alp := alpineImage(t)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: deb, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: alp, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}})
	idxDigest, _ := idx.Digest()
	alpDigest, _ := alp.Digest()

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/acme/multi:2"
	r, _ := name.ParseReference(ref, name.Insecure)
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "multi")
	if _, err := layout.Write(dir, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: idx})); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{Ref: ref, Insecure: true, Platform: "linux/arm64/v8"}, {Archive: dir, Platform: "linux/arm64"}} {
		got, h := run(t, opts)
		var rules []string
		for _, f := range got {
			rules = append(rules, f.RuleID)
		}
		slices.Sort(rules)
		want := []string{"ALPINE-CVE-2099-0010"}
		if opts.Ref != "" {
			want = append(want, RuleMutableTag)
		}
		if !slices.Equal(rules, want) {
			t.Errorf("%+v: findings %v, want %v", opts, rules, want)
		}
		if !strings.Contains(h.Reason, "digest "+idxDigest.String()) || !strings.Contains(h.Reason, "platform image "+alpDigest.String()) {
			t.Errorf("%+v: health reason %q", opts, h.Reason)
		}
	}
	_, err := New(Options{Ref: ref, Insecure: true, Platform: "linux/s390x", DB: openDB(t)}).Scan(context.Background(), &scan.Target{}, func(findings.Finding) {})
	if err == nil || !strings.Contains(err.Error(), "platform linux/s390x") {
		t.Errorf("platform missing from the index: %v", err)
	}
}

func TestScanReportsFileProblems(t *testing.T) {
	bin := testProgram(t)
	l := layerOf(t,
		reg("srv/meta", "Name: x\nVersion: 1\n"),
		entry{name: "usr/lib/python3/site-packages/x-1.dist-info/METADATA", typ: tar.TypeLink, link: "srv/meta", mode: 0o644},
		reg("usr/lib/python3/site-packages/y-1.dist-info/METADATA", "Name: y\n"),
		reg("app/node_modules/z/package.json", "{not json"),
		exe("usr/local/bin/big", bin))
	archive := filepath.Join(t.TempDir(), "problems.tar")
	if err := tarball.WriteToFile(archive, nil, imageOf(t, l)); err != nil {
		t.Fatal(err)
	}
	_, h := run(t, Options{Archive: archive, MaxFileSize: 1024})
	errs := map[string]string{}
	for _, e := range h.Errors {
		errs[e.Path] = e.Err
	}
	for p, want := range map[string]string{
		"/usr/lib/python3/site-packages/x-1.dist-info/METADATA": "hard link to /srv/meta",
		"/usr/lib/python3/site-packages/y-1.dist-info/METADATA": "no Name or Version",
		"/app/node_modules/z/package.json":                      "malformed package.json",
		"/usr/local/bin/big":                                    "1024-byte limit",
	} {
		if !strings.Contains(errs[p], want) {
			t.Errorf("%s: error %q, want it to say %q", p, errs[p], want)
		}
	}
	if !h.Partial || len(h.Errors) != 4 {
		t.Errorf("health = %+v", h)
	}
}

func TestScanCanceled(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "a.tar")
	if err := tarball.WriteToFile(archive, nil, alpineImage(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(Options{Archive: archive, DB: openDB(t)}).Scan(ctx, &scan.Target{}, func(findings.Finding) {}); err == nil {
		t.Error("canceled scan returned no error")
	}
}

func TestScanReportsMissingEcosystem(t *testing.T) {
	dbDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dbDir, "Go"), 0o755); err != nil {
		t.Fatal(err)
	}
	rec, err := os.ReadFile(filepath.Join("testdata", "osv", "Go", "GO-2099-0021.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dbDir, "Go", "GO-2099-0021.json"), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := osv.Open(dbDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	archive := filepath.Join(t.TempDir(), "a.tar")
	if err := tarball.WriteToFile(archive, nil, alpineImage(t)); err != nil {
		t.Fatal(err)
	}
	got, h := run(t, Options{Archive: archive, DB: db})
	if len(got) != 0 || !h.Partial || len(h.Errors) != 1 ||
		!strings.Contains(h.Errors[0].Err, "no advisories for ecosystem Alpine in the database: 1 packages were not checked") {
		t.Errorf("findings %v, health %+v", keys(got), h)
	}
}
