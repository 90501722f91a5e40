package image

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sluice-ci/sluice/internal/osv"
	"github.com/sluice-ci/sluice/internal/sbom"
	"github.com/sluice-ci/sluice/internal/scan"
)

// result is what was found in an image.
type result struct {
	name, digest, platformDigest string
	// mutableTag is the tag the image was referenced by, "" when it was
	// referenced by digest or read from an archive.
	mutableTag string
	// repository is the reference's repository ("registry/acme/app").
	repository string
	distro     distro
	pkgs       []pkg
	layers     int
	// files counts the package databases, manifests, lockfiles and
	// programs read.
	files int
	errs  []scan.InputError
}

// analyze opens the image opts name, reads its layers and lists its
// packages.
func analyze(ctx context.Context, opts Options) (*result, error) {
	plat, err := v1.ParsePlatform(opts.platform())
	if err != nil {
		return nil, fmt.Errorf("platform %q: %w", opts.Platform, err)
	}
	src, err := open(ctx, opts, *plat)
	if err != nil {
		return nil, err
	}
	defer src.cleanup()
	sel := &selector{isLockfile: opts.IsLockfile, maxSize: opts.maxSize()}
	files, n, err := readLayers(ctx, src.img, sel)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", src.name, err)
	}
	r := &result{name: src.name, digest: src.digest, platformDigest: src.platformDigest, layers: n}
	if src.ref != nil {
		r.repository = src.ref.Context().Name()
		if t, ok := src.ref.(name.Tag); ok {
			r.mutableTag = t.TagStr()
		}
	}
	byPath := map[string]*file{}
	for _, f := range files {
		byPath[f.path] = f
	}
	osr := lookup(byPath, "/etc/os-release")
	if osr == nil || osr.data == nil {
		osr = lookup(byPath, "/usr/lib/os-release")
	}
	var osFields map[string]string
	if osr != nil && osr.data != nil {
		osFields = parseOSRelease(osr.data)
	}
	r.distro = newDistro(osFields)
	sqliteDirs := map[string]bool{}
	for _, f := range files {
		if f.kind == kindRpmSQLite {
			sqliteDirs[path.Dir(f.path)] = true
		}
	}
	osPkgs := 0
	for _, f := range files {
		if f.kind == kindRpmOther && sqliteDirs[path.Dir(f.path)] {
			continue // a leftover of a database converted to sqlite
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		before := len(r.pkgs)
		r.read(ctx, f, opts)
		if f.kind == kindDpkg || f.kind == kindApk || f.kind == kindRpmSQLite {
			osPkgs += len(r.pkgs) - before
		}
	}
	if osPkgs > 0 && r.distro.note != "" {
		r.inputError("/etc/os-release", "%s", r.distro.note)
	}
	if osPkgs > 0 || r.distro.id != "" {
		r.pkgs = append([]pkg{r.osPackage()}, r.pkgs...)
		for i := range r.pkgs[1:] {
			for j := range r.pkgs[i+1].deps {
				r.pkgs[i+1].deps[j]++
			}
		}
	}
	return r, nil
}

func (r *result) inputError(p, format string, args ...any) {
	r.errs = append(r.errs, scan.InputError{Path: p, Err: fmt.Sprintf(format, args...)})
}

// read parses one kept file and adds its packages.
func (r *result) read(ctx context.Context, f *file, opts Options) {
	if f.kind == kindOSRelease {
		return
	}
	if f.symlink != "" {
		r.inputError(f.path, "symbolic link to %s not followed: the package database was not read", f.symlink)
		return
	}
	if f.err != nil {
		r.inputError(f.path, "%v", f.err)
		return
	}
	var pkgs []pkg
	var err error
	switch f.kind {
	case kindDpkg:
		pkgs, err = parseDpkg(f.data, r.distro)
	case kindApk:
		pkgs, err = parseApk(f.data, r.distro)
	case kindRpmSQLite:
		pkgs, err = parseRpmSQLite(ctx, f.data, r.distro)
	case kindRpmOther:
		err = errRpmNotSQLite
	case kindPython:
		var p pkg
		p, err = parsePythonMetadata(f.data)
		pkgs = []pkg{p}
	case kindNpm:
		var p pkg
		p, err = parseNpmManifest(f.data)
		pkgs = []pkg{p}
	case kindLockfile:
		pkgs, err = parseLockfile(opts, f)
	case kindBinary:
		pkgs = goPackages(f.path, f.bin)
	}
	if err != nil {
		r.inputError(f.path, "%v", err)
		return
	}
	r.files++
	off := len(r.pkgs)
	for _, p := range pkgs {
		p.path, p.layer = f.path, f.layer
		for j := range p.deps {
			p.deps[j] += off
		}
		r.pkgs = append(r.pkgs, p)
	}
}

// parseLockfile reads a lockfile with the parser the options give,
// turning a panic in it into an error for this file.
func parseLockfile(opts Options, f *file) (pkgs []pkg, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("lockfile parser failed: %v", p)
		}
	}()
	found, err := opts.ParseLockfile(f.path, f.data)
	if err != nil {
		return nil, fmt.Errorf("malformed lockfile: %w", err)
	}
	for _, d := range found {
		pkgs = append(pkgs, pkg{name: d.Name, version: d.Version, ecosystem: d.Ecosystem, line: d.Line,
			typ: sbom.Library, purl: sbom.PURLFor(d.Ecosystem, d.Name, d.Version)})
	}
	return pkgs, nil
}

// osPackage is the operating system itself, for the SBOM; it is never
// matched against advisories.
func (r *result) osPackage() pkg {
	d := r.distro
	name := d.id
	if name == "" {
		name = "unknown"
	}
	p := pkg{name: name, version: d.versionID, typ: sbom.OperatingSystem, path: "/etc/os-release"}
	if d.prettyName != "" {
		p.props = map[string]string{"pretty_name": d.prettyName}
	}
	return p
}

// matchable says whether advisories can be looked up for a package.
func (p *pkg) matchable() bool {
	return p.ecosystem != "" && p.typ != sbom.OperatingSystem && strings.TrimSpace(p.queryVersion()) != ""
}

// baseEcosystem drops a release suffix: "Debian:12" → "Debian".
func baseEcosystem(eco string) string {
	b, _, _ := strings.Cut(osv.CanonicalEcosystem(eco), ":")
	return b
}
