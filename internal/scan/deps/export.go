package deps

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/sluice-ci/sluice/internal/scan"
)

// IsLockfile reports whether the file at rel (by its name) is a lockfile or
// manifest this package reads.
func IsLockfile(rel string) bool {
	_, ok := parserFor(rel)
	return ok
}

// ParseLockfile reads the packages a lockfile or manifest declares; rel
// names the file (its base name picks the parser).
func ParseLockfile(rel string, data []byte) ([]Package, error) {
	parse, ok := parserFor(rel)
	if !ok {
		return nil, fmt.Errorf("%s: not a lockfile or manifest sluice reads", rel)
	}
	res, err := safeParse(parse, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	return res.pkgs, nil
}

// Packages finds the lockfiles and manifests of t and parses them, without
// a vulnerability database: the inventory an SBOM is made of. Files that
// cannot be read or parsed are input errors; the others are still read.
func Packages(ctx context.Context, t *scan.Target) (map[string][]Package, []scan.InputError, error) {
	files, err := lockfiles(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]Package{}
	var errs []scan.InputError
	for _, rel := range files {
		if err := ctx.Err(); err != nil {
			return out, errs, err
		}
		data, _, err := scan.ReadText(filepath.Join(t.Root, filepath.FromSlash(rel)), 64<<20)
		if err != nil {
			errs = append(errs, scan.NewInputError(rel, err))
			continue
		}
		pkgs, err := ParseLockfile(rel, data)
		if err != nil {
			errs = append(errs, scan.NewInputError(rel, err))
			continue
		}
		out[rel] = pkgs
	}
	return out, errs, nil
}
