// Package dockerfile is sluice's built-in Dockerfile scanner. It parses
// Dockerfiles with BuildKit's own parser and checks them against the rules
// teams know from hadolint (latest tags, unpinned packages, ADD of URLs,
// curl | sh, sudo, root as the last USER, secrets in ENV/ARG …), keeping
// each finding at its instruction's exact lines and naming the hadolint
// code (Properties["hadolint"]) of the same check.
//
// A comment line right above an instruction turns rules off for it:
// "# hadolint ignore=DL3007,DL3008" (hadolint's own syntax), or
// "# sluice:ignore DL3007 dockerfile-sudo" with hadolint codes or sluice
// rule ids, or a bare "# sluice:ignore" for every rule. A
// "# hadolint global ignore=…" line anywhere applies to the whole file.
// A finding turned off this way is still reported, marked InlineIgnored,
// so reports show it and the gate's policy decides whether it counts.
package dockerfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

const scannerName = "dockerfile"

// maxFileSize is the largest Dockerfile read; a bigger file is reported
// as an input error, not scanned.
const maxFileSize = 1 << 20

// skipDirs are folders a walk of Target.Root never enters.
var skipDirs = map[string]bool{".git": true, ".sluice": true, "node_modules": true}

// New returns the Dockerfile scanner.
func New() scan.Scanner { return scanner{} }

type scanner struct{}

var _ scan.Scanner = scanner{}

// Name returns "dockerfile".
func (scanner) Name() string { return scannerName }

// Category returns findings.IaC.
func (scanner) Category() findings.Category { return findings.IaC }

// Applies says whether t holds a Dockerfile.
func (scanner) Applies(ctx context.Context, t *scan.Target) (bool, string) {
	files, _, err := candidates(ctx, t)
	if err != nil {
		return true, "" // let Scan report why the target cannot be listed
	}
	if len(files) == 0 {
		return false, "no Dockerfile, *.Dockerfile, Dockerfile.* or Containerfile found"
	}
	return true, ""
}

// Scan checks every Dockerfile of t. A file that cannot be read or parsed
// is an input error; the others are still scanned.
func (scanner) Scan(ctx context.Context, t *scan.Target, report func(findings.Finding)) (scan.Health, error) {
	start := time.Now()
	files, errs, err := candidates(ctx, t)
	if err != nil {
		return scan.Health{}, fmt.Errorf("list Dockerfiles: %w", err)
	}
	h := scan.Health{Scanner: scannerName, Errors: errs}
	for _, rel := range files {
		if err := ctx.Err(); err != nil {
			return h, fmt.Errorf("scan Dockerfiles: %w", err)
		}
		h.Files++
		found, err := scanFile(t.Root, rel)
		if err != nil {
			h.Errors = append(h.Errors, scan.InputError{Path: rel, Err: err.Error()})
			continue
		}
		for _, f := range found {
			report(f)
		}
		h.Findings += len(found)
	}
	h.Status = scan.Ran
	h.Partial = len(h.Errors) > 0
	h.Duration = time.Since(start)
	return h, nil
}

// IsDockerfile reports whether a file name (without folders) is one the
// scanner reads: Dockerfile, Containerfile, *.Dockerfile and Dockerfile.*
// in any letter case — except a build-specific Dockerfile.dockerignore and
// source or documentation files that merely start with the word
// (dockerfile.go, dockerfile.md).
func IsDockerfile(name string) bool {
	n := strings.ToLower(name)
	for _, base := range []string{"dockerfile", "containerfile"} {
		if n == base || strings.HasSuffix(n, "."+base) {
			return true
		}
		if ext, ok := strings.CutPrefix(n, base+"."); ok {
			return !notDockerfileExt[ext[strings.LastIndexByte(ext, '.')+1:]]
		}
	}
	return false
}

// notDockerfileExt lists extensions that make Dockerfile.<ext> something
// else than a Dockerfile.
var notDockerfileExt = map[string]bool{
	"dockerignore": true, "go": true, "md": true, "rst": true, "html": true, "py": true, "js": true,
	"ts": true, "rb": true, "rs": true, "java": true, "sh": true, "json": true, "yaml": true, "yml": true,
	"toml": true, "mod": true, "sum": true, "orig": true, "rej": true, "swp": true,
}

// candidates lists the Dockerfiles of t: from t.Files when set, else by
// walking t.Root. errs are folders the walk could not read.
func candidates(ctx context.Context, t *scan.Target) (files []string, errs []scan.InputError, err error) {
	if len(t.Files) > 0 {
		for _, f := range t.Files {
			if IsDockerfile(path.Base(f)) {
				files = append(files, f)
			}
		}
		return files, nil, nil
	}
	err = filepath.WalkDir(t.Root, func(p string, d fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if p == t.Root {
			return err
		}
		rel, relErr := filepath.Rel(t.Root, p)
		if relErr != nil {
			return relErr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			errs = append(errs, scan.InputError{Path: rel, Err: errText(err)})
			return nil // WalkDir already skips a folder it cannot read
		}
		switch {
		case d.IsDir() && skipDirs[d.Name()]:
			return fs.SkipDir
		case d.Type().IsRegular() && IsDockerfile(d.Name()):
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return files, errs, fmt.Errorf("walk %s: %w", t.Root, err)
	}
	return files, errs, nil
}

// scanFile reads and checks one Dockerfile. It never panics: a panic in
// a rule becomes the file's error, so one odd file cannot stop the scan.
func scanFile(root, rel string) (found []findings.Finding, err error) {
	data, err := readFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			found, err = nil, fmt.Errorf("internal error checking this file: %v", r)
		}
	}()
	found, err = analyze(rel, data)
	if err != nil {
		return nil, fmt.Errorf("malformed Dockerfile: %w", err)
	}
	return found, nil
}

// readFile reads a regular text file of at most maxFileSize bytes. Its
// errors do not repeat the (absolute) path.
func readFile(name string) ([]byte, error) {
	info, err := os.Lstat(name)
	if err != nil {
		return nil, errors.New(errText(err))
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if info.Size() > maxFileSize {
		return nil, fmt.Errorf("file too large (%d bytes, limit %d)", info.Size(), maxFileSize)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, errors.New(errText(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, errors.New(errText(err))
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("file too large (over %d bytes)", maxFileSize)
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, errors.New("binary file, not a Dockerfile")
	}
	return data, nil
}

// errText is an error's text without the path of a *fs.PathError.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
