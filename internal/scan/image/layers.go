package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Layers are read one tar stream each, concurrently; only the files the
// scanner wants are kept (see want.go), and of binaries only what was
// parsed from them. Squashing then applies each layer over the ones below
// it, as a container runtime would, to find which kept files the final
// file system still has and which layer last wrote each.

// whiteoutPrefix marks a deleted file in a layer; opaqueMarker, as a file
// name, hides everything lower layers put in its folder.
const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// maxLayerJobs bounds how many layers are read at once.
var maxLayerJobs = min(4, max(2, runtime.GOMAXPROCS(0)))

// file is a kept file of the final file system view.
type file struct {
	// path is absolute inside the image, cleaned.
	path  string
	kind  kind
	layer string
	// data is the file's content, for package databases and manifests.
	data []byte
	// symlink is the cleaned absolute target of a symbolic link.
	symlink string
	// bin is what was parsed from an executable.
	bin *goBinary
	// err says why the file was not read (too large, unreadable).
	err error
}

// layerView is what one layer holds.
type layerView struct {
	digest string
	// entries maps every path the layer writes to whether it is a folder.
	entries map[string]bool
	// whiteouts are paths the layer deletes; opaque are folders whose
	// lower content it hides.
	whiteouts map[string]bool
	opaque    map[string]bool
	kept      map[string]*file
}

// readLayers reads the image's layers and returns the kept files of the
// final file system, sorted by path, and how many layers were read.
func readLayers(ctx context.Context, img v1.Image, sel *selector) ([]*file, int, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, 0, fmt.Errorf("list layers: %w", err)
	}
	views := make([]*layerView, len(layers))
	errs := make([]error, len(layers))
	sem := make(chan struct{}, maxLayerJobs)
	var wg sync.WaitGroup
	for i, l := range layers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			views[i], errs[i] = readLayer(ctx, l, sel)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, 0, err
		}
	}
	return squash(views), len(layers), nil
}

// readLayer streams one layer.
func readLayer(ctx context.Context, l v1.Layer, sel *selector) (_ *layerView, err error) {
	d, err := l.Digest()
	if err != nil {
		return nil, fmt.Errorf("layer digest: %w", err)
	}
	v := &layerView{digest: d.String(), entries: map[string]bool{}, whiteouts: map[string]bool{},
		opaque: map[string]bool{}, kept: map[string]*file{}}
	defer func() {
		// A library under a corrupt layer may panic; the scan reports it.
		if p := recover(); p != nil {
			err = fmt.Errorf("read layer %s: %v", v.digest, p)
		}
	}()
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("read layer %s: %w", v.digest, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return v, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read layer %s: corrupt or truncated layer: %w", v.digest, err)
		}
		p := cleanPath(hdr.Name)
		if p == "/" {
			continue
		}
		dir, base := path.Split(p)
		dir = path.Clean(dir)
		if base == opaqueMarker {
			v.opaque[dir] = true
			continue
		}
		if strings.HasPrefix(base, whiteoutPrefix) {
			v.whiteouts[path.Join(dir, base[len(whiteoutPrefix):])] = true
			continue
		}
		v.entries[p] = hdr.Typeflag == tar.TypeDir
		k := sel.want(p, hdr)
		if k == kindNone {
			continue
		}
		f := &file{path: p, kind: k, layer: v.digest}
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			f.symlink = resolveLink(dir, hdr.Linkname)
		case tar.TypeLink:
			target := cleanPath(hdr.Linkname)
			src, ok := v.kept[target]
			if !ok || src.kind != k {
				f.err = fmt.Errorf("hard link to %s, which was not read", target)
			} else {
				f.data, f.bin, f.err = src.data, src.bin, src.err
			}
		default:
			sel.read(f, hdr, tr)
			if f.kind == kindNone {
				continue // not what it seemed (an executable that is not ELF)
			}
		}
		v.kept[p] = f
	}
}

// squash applies the layers bottom to top and returns the kept files of
// the result, sorted by path.
func squash(views []*layerView) []*file {
	state := map[string]*file{}
	for _, v := range views {
		for p := range state {
			if v.hides(p) {
				delete(state, p)
			}
		}
		for p, f := range v.kept {
			state[p] = f
		}
	}
	out := make([]*file, 0, len(state))
	for _, f := range state {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// hides says whether the layer removes or replaces path p of lower
// layers: a whiteout of p or a folder above it, an opaque folder above
// it, a new entry at p, or a non-folder replacing a folder above it.
func (v *layerView) hides(p string) bool {
	if v.whiteouts[p] {
		return true
	}
	if _, ok := v.entries[p]; ok {
		return true
	}
	for dir := path.Dir(p); ; dir = path.Dir(dir) {
		if v.whiteouts[dir] || v.opaque[dir] {
			return true
		}
		if isDir, ok := v.entries[dir]; ok && !isDir {
			return true
		}
		if dir == "/" {
			return false
		}
	}
}

// cleanPath makes a tar member name absolute and clean: "./usr/bin/" →
// "/usr/bin".
func cleanPath(name string) string {
	return path.Clean("/" + strings.TrimPrefix(name, "./"))
}

// resolveLink returns the absolute target of a symlink in dir.
func resolveLink(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return path.Clean(target)
	}
	return path.Clean(path.Join(dir, target))
}

// lookup finds the kept file at p, following symbolic links between kept
// files.
func lookup(files map[string]*file, p string) *file {
	for range 8 {
		f := files[p]
		if f == nil || f.symlink == "" {
			return f
		}
		p = f.symlink
	}
	return nil
}
