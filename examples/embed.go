// Package examples embeds the example projects that sluice's demo and
// end-to-end tests run: today goodbooks, a small Go REST API.
//
// The examples live inside the main module (a folder holding its own go.mod
// cannot be embedded), so whoever copies one out to build it standalone writes
// the go.mod that GoModFile returns beside it.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Goodbooks holds examples/goodbooks as it is in the source tree, under the
// prefix "goodbooks/". Prefer GoodbooksFS, which drops build outputs.
//
//go:embed all:goodbooks
var Goodbooks embed.FS

// GoodbooksModule is the module path of the goodbooks example.
const GoodbooksModule = "github.com/sluice-ci/sluice/examples/goodbooks"

// GoModFile returns the go.mod the demo writes into its copy of goodbooks.
// goodbooks uses only the standard library, so no go.sum is needed.
func GoModFile() []byte {
	return []byte("module " + GoodbooksModule + "\n\ngo 1.26\n")
}

// GoodbooksFS returns the goodbooks project rooted at its own folder (paths
// like "cmd/goodbooks/main.go"), without the outputs its pipeline leaves
// behind when run in place (see buildOutput).
func GoodbooksFS() (fs.FS, error) {
	sub, err := fs.Sub(Goodbooks, "goodbooks")
	if err != nil {
		return nil, fmt.Errorf("open embedded goodbooks: %w", err)
	}
	return filtered{sub}, nil
}

// buildOutput reports whether name (slash-separated, relative to the project)
// was written by a pipeline run rather than being part of the project.
func buildOutput(name string) bool {
	first, rest, _ := strings.Cut(name, "/")
	switch first {
	case "dist":
		return true
	case ".sluice": // the data folder, but for the team's suppressions
		return name != ".sluice" && rest != "ignore.yaml"
	}
	ext := path.Ext(name)
	return !strings.Contains(name, "/") && (ext == ".out" || ext == ".log")
}

// filtered hides build outputs from an fs.FS.
type filtered struct{ fsys fs.FS }

var (
	_ fs.ReadDirFS  = filtered{}
	_ fs.ReadFileFS = filtered{}
)

// Open opens name unless it is a build output.
func (f filtered) Open(name string) (fs.File, error) {
	if buildOutput(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f.fsys.Open(name)
}

// ReadFile reads name unless it is a build output.
func (f filtered) ReadFile(name string) ([]byte, error) {
	if buildOutput(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return fs.ReadFile(f.fsys, name)
}

// ReadDir lists dir without build outputs.
func (f filtered) ReadDir(dir string) ([]fs.DirEntry, error) {
	if buildOutput(dir) {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
	}
	entries, err := fs.ReadDir(f.fsys, dir)
	if err != nil {
		return nil, err
	}
	kept := entries[:0]
	for _, e := range entries {
		if !buildOutput(path.Join(dir, e.Name())) {
			kept = append(kept, e)
		}
	}
	return kept, nil
}
