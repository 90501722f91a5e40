// Package image is sluice's container image scanner: it reads an image
// from a registry, a docker save archive or an OCI layout, squashes its
// layers into the final file system view of the files it needs (package
// databases, language package manifests, lockfiles, Go programs), lists
// the OS and language packages with the layer that installed each, and
// matches them against the offline OSV database. It also flags images
// referenced by a mutable tag and produces the inventory sluice's SBOMs
// are written from.
package image

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/osv"
	"github.com/sluice-ci/sluice/internal/scan"
	"github.com/sluice-ci/sluice/internal/scan/deps"
)

// Options say which image to scan and how.
type Options struct {
	// Ref is a registry reference ("registry.example/acme/app:1.4", "…@sha256:…").
	Ref string
	// Archive is a docker save tarball, an OCI layout folder or a tar of
	// an OCI layout; used when Ref is empty.
	Archive string
	// DB, when set, is used instead of opening each Target's VulnDB; the
	// scanner does not close it.
	DB *osv.DB
	// Insecure allows plain-HTTP registries.
	Insecure bool
	// Platform chooses the image of a multi-platform index, "os/arch" or
	// "os/arch/variant"; "" means linux/amd64.
	Platform string
	// MaxFileSize bounds a binary, lockfile or rpm database read from the
	// image; larger ones are reported, not read. Zero means 256 MiB.
	MaxFileSize int64
	// IsLockfile and ParseLockfile, when both set, read the lockfiles and
	// manifests the image holds (outside node_modules, site-packages,
	// module caches and the Go toolchain): IsLockfile says from a path in
	// the image whether it is one, ParseLockfile reads it.
	// scan/builtin passes deps.IsLockfile and deps.ParseLockfile.
	IsLockfile    func(path string) bool
	ParseLockfile func(path string, data []byte) ([]deps.Package, error)
}

func (o Options) platform() string {
	if o.Platform == "" {
		return "linux/amd64"
	}
	return o.Platform
}

func (o Options) maxSize() int64 {
	if o.MaxFileSize <= 0 {
		return defaultMaxSize
	}
	return o.MaxFileSize
}

// Reasons given when the scanner does not apply.
const (
	ReasonNoImage = "no image given: use --image or --image-archive"
	ReasonNoDB    = deps.ReasonNoDB
)

// Rule ids of the scanner's own findings (advisory findings use the
// advisory's id).
const RuleMutableTag = "image-mutable-tag"

// New returns the image scanner.
func New(opts Options) scan.Scanner {
	if opts.IsLockfile == nil || opts.ParseLockfile == nil {
		opts.IsLockfile, opts.ParseLockfile = nil, nil
	}
	return &scanner{opts: opts}
}

type scanner struct {
	opts Options
}

var _ scan.Scanner = (*scanner)(nil)

func (s *scanner) Name() string                { return "image" }
func (s *scanner) Category() findings.Category { return findings.Container }

// Applies says whether an image was given and a vulnerability database
// is there to match it against.
func (s *scanner) Applies(_ context.Context, t *scan.Target) (bool, string) {
	if s.opts.Ref == "" && s.opts.Archive == "" {
		return false, ReasonNoImage
	}
	if s.opts.DB == nil {
		if t.VulnDB == "" {
			return false, ReasonNoDB
		}
		if _, err := os.Stat(t.VulnDB); errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Sprintf("no vulnerability database at %s: run 'sluice db update' or give --vuln-db", t.VulnDB)
		}
	}
	return true, ""
}

// Scan reads the image, reports each advisory affecting one of its
// packages, and a finding when a registry reference names a tag rather
// than a digest.
func (s *scanner) Scan(ctx context.Context, t *scan.Target, report func(findings.Finding)) (scan.Health, error) {
	db := s.opts.DB
	if db == nil {
		if t.VulnDB == "" {
			return scan.Health{}, errors.New(ReasonNoDB)
		}
		var err error
		if db, err = osv.Open(t.VulnDB); err != nil {
			return scan.Health{}, err
		}
		defer db.Close()
	}
	if db.Empty() {
		return scan.Health{}, fmt.Errorf("vulnerability database %s holds no records: run 'sluice db update' or 'sluice db import'", db.Dir())
	}
	m := newMatcher(db)
	r, err := analyze(ctx, s.opts)
	if err != nil {
		return scan.Health{}, err
	}
	h := m.match(ctx, r, report)
	if err := ctx.Err(); err != nil {
		return h, err
	}
	if r.mutableTag != "" {
		h.Findings++
		report(mutableTagFinding(r))
	}
	return h, nil
}
