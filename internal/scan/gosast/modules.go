package gosast

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sluice-ci/sluice/internal/scan"
)

// module is one Go module to load.
type module struct {
	// dir is the folder the go command runs in and loads "./..." from:
	// the module's root, or the target's root when the module holds it.
	dir string
	// rel is dir relative to the target's root ("." for the root).
	rel string
}

// goFiles lists the Go files of t: from t.Files when set, else by walking
// t.Root. errs are entries the walk could not read.
func goFiles(ctx context.Context, t *scan.Target) (files []string, errs []scan.InputError, err error) {
	all := t.Files
	if len(all) == 0 {
		all, errs, err = scan.Walk(ctx, t.Root, scan.WalkOptions{})
		if err != nil {
			return nil, errs, err
		}
	}
	for _, f := range all {
		if strings.HasSuffix(f, ".go") {
			files = append(files, f)
		}
	}
	return files, errs, nil
}

// findModules returns the modules that hold files (paths relative to
// root), sorted, and an input error for each folder of Go files that no
// go.mod at or above it claims.
func findModules(root string, files []string) ([]module, []scan.InputError) {
	byDir := map[string]module{}
	var orphans []scan.InputError
	seen := map[string]bool{}
	cache := map[string]string{}
	for _, f := range files {
		dir := path.Dir(f)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		modDir := moduleRoot(filepath.Join(root, filepath.FromSlash(dir)), cache)
		if modDir == "" {
			orphans = append(orphans, scan.InputError{Path: dir,
				Err: "no go.mod at or above this folder: its Go files are not analysed"})
			continue
		}
		m := module{dir: root, rel: "."}
		if rel, err := filepath.Rel(root, modDir); err == nil && rel != "." && !escapes(rel) {
			m = module{dir: modDir, rel: filepath.ToSlash(rel)}
		}
		byDir[m.dir] = m
	}
	mods := make([]module, 0, len(byDir))
	for _, m := range byDir {
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].rel < mods[j].rel })
	sort.Slice(orphans, func(i, j int) bool { return orphans[i].Path < orphans[j].Path })
	return mods, orphans
}

// moduleRoot returns the nearest folder at or above dir holding a go.mod,
// or "" when there is none. cache maps folders already looked at to their
// answer.
func moduleRoot(dir string, cache map[string]string) string {
	var visited []string
	found := ""
	for d := dir; ; {
		if r, ok := cache[d]; ok {
			found = r
			break
		}
		visited = append(visited, d)
		if info, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && info.Mode().IsRegular() {
			found = d
			break
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	for _, d := range visited {
		cache[d] = found
	}
	return found
}

// escapes reports whether a relative path leads outside its base.
func escapes(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
