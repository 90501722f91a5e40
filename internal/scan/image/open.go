package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// source is an opened image.
type source struct {
	img v1.Image
	// name is what findings call the image: the reference as given, the
	// archive's tag, or the archive's file name.
	name string
	// digest is the digest a user would pin: for a registry reference,
	// the manifest or index the reference points at; for an archive, the
	// image manifest's.
	digest string
	// platformDigest is the chosen platform's manifest digest when the
	// reference points at an index; "" otherwise.
	platformDigest string
	// ref is the parsed registry reference; nil for archives.
	ref name.Reference
	// cleanup removes temporary files; never nil.
	cleanup func()
}

// open opens the image opts name: a registry reference or an archive.
func open(ctx context.Context, opts Options, plat v1.Platform) (*source, error) {
	if opts.Ref != "" {
		return openRemote(ctx, opts, plat)
	}
	return openArchive(opts.Archive, plat)
}

func openRemote(ctx context.Context, opts Options, plat v1.Platform) (*source, error) {
	var nopts []name.Option
	if opts.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	ref, err := name.ParseReference(opts.Ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", opts.Ref, err)
	}
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithPlatform(plat),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithUserAgent("sluice"),
	}
	desc, err := remote.Get(ref, ropts...)
	if err != nil {
		return nil, fmt.Errorf("fetch image %s: %w", opts.Ref, err)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("fetch image %s: %w", opts.Ref, err)
	}
	src := &source{img: img, name: opts.Ref, digest: desc.Digest.String(), ref: ref, cleanup: func() {}}
	if desc.MediaType.IsIndex() {
		d, err := img.Digest()
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", opts.Ref, err)
		}
		src.platformDigest = d.String()
	}
	return src, nil
}

// openArchive opens a docker save tarball, an OCI layout folder or a tar
// of an OCI layout.
func openArchive(archive string, plat v1.Platform) (*source, error) {
	info, err := os.Stat(archive)
	if err != nil {
		return nil, fmt.Errorf("open image archive: %w", err)
	}
	if info.IsDir() {
		return openLayout(archive, filepath.Base(archive), plat, func() {})
	}
	kind, tags, err := sniffArchive(archive)
	if err != nil {
		return nil, fmt.Errorf("open image archive %s: %w", archive, err)
	}
	if kind == "oci" {
		dir, err := extractLayout(archive)
		if err != nil {
			return nil, fmt.Errorf("open image archive %s: %w", archive, err)
		}
		return openLayout(dir, filepath.Base(archive), plat, func() { os.RemoveAll(dir) })
	}
	if len(tags) > 1 {
		return nil, fmt.Errorf("open image archive %s: it holds %d images; save one image per archive", archive, len(tags))
	}
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		return nil, fmt.Errorf("open image archive %s: %w", archive, err)
	}
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("open image archive %s: %w", archive, err)
	}
	src := &source{img: img, name: filepath.Base(archive), digest: d.String(), cleanup: func() {}}
	if len(tags) == 1 && len(tags[0]) > 0 {
		src.name = tags[0][0]
	}
	return src, nil
}

// sniffArchive reads a tar archive's member names: "docker" when it has a
// manifest.json (docker save, whose RepoTags per image are returned),
// "oci" when it only has an OCI layout's index.json.
func sniffArchive(archive string) (kind string, tags [][]string, err error) {
	f, err := os.Open(archive)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	var magic [2]byte
	if n, _ := io.ReadFull(f, magic[:]); n == 2 && magic == [2]byte{0x1f, 0x8b} {
		return "", nil, errors.New("the archive is gzip-compressed: decompress it first (gunzip)")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", nil, err
	}
	tr := tar.NewReader(f)
	hasIndex := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("not a docker save archive or OCI layout tar: %w", err)
		}
		switch path.Clean(strings.TrimPrefix(hdr.Name, "./")) {
		case "manifest.json":
			var m []struct{ RepoTags []string }
			data, err := io.ReadAll(io.LimitReader(tr, 16<<20))
			if err != nil {
				return "", nil, fmt.Errorf("read manifest.json: %w", err)
			}
			if err := json.Unmarshal(data, &m); err != nil {
				return "", nil, fmt.Errorf("read manifest.json: %w", err)
			}
			if len(m) == 0 {
				return "", nil, errors.New("manifest.json lists no image")
			}
			for _, e := range m {
				tags = append(tags, e.RepoTags)
			}
			return "docker", tags, nil
		case "index.json":
			hasIndex = true
		}
	}
	if hasIndex {
		return "oci", nil, nil
	}
	return "", nil, errors.New("not a docker save archive or OCI layout tar: no manifest.json or index.json")
}

// extractLayout unpacks the OCI layout members of a tar (oci-layout,
// index.json, blobs/) into a temporary folder.
func extractLayout(archive string) (string, error) {
	f, err := os.Open(archive)
	if err != nil {
		return "", err
	}
	defer f.Close()
	dir, err := os.MkdirTemp("", "sluice-oci-*")
	if err != nil {
		return "", err
	}
	fail := func(err error) (string, error) {
		os.RemoveAll(dir)
		return "", err
	}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return dir, nil
		}
		if err != nil {
			return fail(fmt.Errorf("read OCI layout tar: %w", err))
		}
		rel := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		if hdr.Typeflag != tar.TypeReg || !(rel == "index.json" || rel == "oci-layout" || strings.HasPrefix(rel, "blobs/")) ||
			strings.Contains(rel, "..") {
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return fail(err)
		}
		out, err := os.Create(dst)
		if err != nil {
			return fail(err)
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fail(fmt.Errorf("extract %s: %w", rel, err))
		}
	}
}

// Annotations OCI layouts name their images with.
const (
	annotationContainerdName = "io.containerd.image.name"
	annotationRefName        = "org.opencontainers.image.ref.name"
)

// openLayout opens the image of an OCI layout: the one image it lists, or
// the one matching the platform among several (descending into nested
// indexes), else the first. The digest reported is the layout entry's (an
// index's for a multi-platform image, which is what one pins).
func openLayout(dir, display string, plat v1.Platform, cleanup func()) (*source, error) {
	fail := func(err error) (*source, error) {
		cleanup()
		return nil, fmt.Errorf("open OCI layout %s: %w", display, err)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return fail(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return fail(err)
	}
	entry, err := pickEntry(m.Manifests, plat)
	if err != nil {
		return fail(err)
	}
	img, err := entryImage(idx, entry, plat, 0)
	if err != nil {
		return fail(err)
	}
	src := &source{img: img, name: display, digest: entry.Digest.String(), cleanup: cleanup}
	if entry.MediaType.IsIndex() {
		d, err := img.Digest()
		if err != nil {
			return fail(err)
		}
		src.platformDigest = d.String()
	}
	if n := entry.Annotations[annotationContainerdName]; n != "" {
		src.name = n
	} else if n := entry.Annotations[annotationRefName]; n != "" {
		if strings.ContainsAny(n, "/:") {
			src.name = n
		} else {
			src.name = display + ":" + n
		}
	}
	return src, nil
}

// pickEntry chooses among an index's entries: an image for the platform,
// else the first image or index.
func pickEntry(ds []v1.Descriptor, plat v1.Platform) (v1.Descriptor, error) {
	var first *v1.Descriptor
	for i, d := range ds {
		if !d.MediaType.IsImage() && !d.MediaType.IsIndex() {
			continue
		}
		if d.MediaType.IsImage() && d.Platform != nil && d.Platform.Satisfies(plat) {
			return d, nil
		}
		if first == nil {
			first = &ds[i]
		}
	}
	if first == nil {
		return v1.Descriptor{}, errors.New("no image in the index")
	}
	return *first, nil
}

// entryImage opens the image an index entry names, descending into nested
// indexes.
func entryImage(idx v1.ImageIndex, d v1.Descriptor, plat v1.Platform, depth int) (v1.Image, error) {
	if d.MediaType.IsImage() {
		return idx.Image(d.Digest)
	}
	if depth > 4 {
		return nil, errors.New("indexes nested too deep")
	}
	child, err := idx.ImageIndex(d.Digest)
	if err != nil {
		return nil, err
	}
	m, err := child.IndexManifest()
	if err != nil {
		return nil, err
	}
	next, err := pickEntry(m.Manifests, plat)
	if err != nil {
		return nil, err
	}
	return entryImage(child, next, plat, depth+1)
}
