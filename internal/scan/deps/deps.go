// Package deps is sluice's dependency scanner: it reads lockfiles and
// manifests (go.mod, requirements.txt, package-lock.json, Cargo.lock,
// pom.xml …) and matches every pinned package against the offline OSV
// database with each ecosystem's version ordering.
package deps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/osv"
	"github.com/sluice-ci/sluice/internal/scan"
)

// Options configure the scanner.
type Options struct {
	// DB, when set, is used instead of opening each Target's VulnDB; the
	// scanner does not close it.
	DB *osv.DB
	// MaxFileSize bounds a lockfile; larger ones are reported, not read.
	// Zero means 64 MiB.
	MaxFileSize int64
}

// Reasons given when the scanner does not apply.
const (
	ReasonNoDB        = "no vulnerability database: run 'sluice db update' or give --vuln-db"
	ReasonNoLockfiles = "no lockfiles or manifests found"
)

// New returns the dependency scanner.
func New(opts Options) scan.Scanner {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = 64 << 20
	}
	return &scanner{opts: opts, found: map[*scan.Target][]string{}}
}

type scanner struct {
	opts Options
	mu   sync.Mutex
	// found caches the lockfiles Applies found, for Scan of the same target.
	found map[*scan.Target][]string
}

var _ scan.Scanner = (*scanner)(nil)

func (s *scanner) Name() string                { return "deps" }
func (s *scanner) Category() findings.Category { return findings.Deps }

// Applies says whether t has lockfiles and a vulnerability database.
func (s *scanner) Applies(ctx context.Context, t *scan.Target) (bool, string) {
	files, err := lockfiles(ctx, t)
	if err != nil {
		return false, err.Error()
	}
	if len(files) == 0 {
		return false, ReasonNoLockfiles
	}
	if s.opts.DB == nil {
		if t.VulnDB == "" {
			return false, ReasonNoDB
		}
		if _, err := os.Stat(t.VulnDB); errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Sprintf("no vulnerability database at %s: run 'sluice db update' or give --vuln-db", t.VulnDB)
		}
	}
	s.mu.Lock()
	s.found[t] = files
	s.mu.Unlock()
	return true, ""
}

// Scan parses every lockfile and reports each advisory that affects a
// declared package version.
func (s *scanner) Scan(ctx context.Context, t *scan.Target, report func(findings.Finding)) (scan.Health, error) {
	s.mu.Lock()
	files, ok := s.found[t]
	delete(s.found, t)
	s.mu.Unlock()
	if !ok {
		var err error
		if files, err = lockfiles(ctx, t); err != nil {
			return scan.Health{}, err
		}
	}
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
	r := &run{root: t.Root, db: db, report: report, maxSize: s.opts.MaxFileSize,
		cache: map[query][]osv.Vuln{}, queued: map[query]bool{}, ecosystems: map[string]bool{}, start: time.Now()}
	var parsed []lockfile
	for _, rel := range files {
		if err := ctx.Err(); err != nil {
			return r.health, err
		}
		parsed = append(parsed, lockfile{rel, r.file(rel)})
	}
	r.queryAll(ctx, parsed)
	if err := ctx.Err(); err != nil {
		return r.health, err
	}
	r.reportAll(parsed)
	r.finish()
	return r.health, nil
}
