package image

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entry is one member of a test layer.
type entry struct {
	name string
	body []byte
	mode int64
	typ  byte
	link string
}

func reg(name, body string) entry {
	return entry{name: name, body: []byte(body), mode: 0o644, typ: tar.TypeReg}
}
func exe(name string, body []byte) entry {
	return entry{name: name, body: body, mode: 0o755, typ: tar.TypeReg}
}
func dir(name string) entry { return entry{name: name, mode: 0o755, typ: tar.TypeDir} }
func symlink(name, target string) entry {
	return entry{name: name, link: target, mode: 0o777, typ: tar.TypeSymlink}
}

// whiteout deletes name from lower layers; opaque hides a folder's lower
// content.
func whiteout(name string) entry {
	return reg(filepath.Join(filepath.Dir(name), ".wh."+filepath.Base(name)), "")
}
func opaque(dir string) entry { return reg(dir+"/.wh..wh..opq", "") }

// layerOf builds a gzip-compressed layer from entries, as docker does.
func layerOf(t *testing.T, entries ...entry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, Typeflag: e.typ, Linkname: e.link, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil && hdr.Size > 0 {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func imageOf(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digestOf(t *testing.T, l v1.Layer) string {
	t.Helper()
	d, err := l.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

var (
	goBinOnce sync.Once
	goBin     []byte
	goBinErr  error
)

// testProgram builds (once) a tiny Go program that links
// github.com/google/go-cmp, from the module cache, offline.
func testProgram(t *testing.T) []byte {
	t.Helper()
	goBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sluice-gobin-*")
		if err != nil {
			goBinErr = err
			return
		}
		defer os.RemoveAll(dir)
		files := map[string]string{
			"go.mod": "module example.com/planted\n\ngo 1.22\n\nrequire github.com/google/go-cmp v0.7.0\n",
			"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/google/go-cmp/cmp\"\n)\n\n" +
				"func main() { fmt.Println(cmp.Equal(1, 1)) }\n",
		}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				goBinErr = err
				return
			}
		}
		out := filepath.Join(dir, "planted")
		goTool, err := exec.LookPath("go")
		if err != nil {
			goBinErr = err
			return
		}
		cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off",
			"CGO_ENABLED=0", "GOOS=linux", "GOTOOLCHAIN=local")
		if msg, err := cmd.CombinedOutput(); err != nil {
			goBinErr = &buildError{err: err, out: string(msg)}
			return
		}
		goBin, goBinErr = os.ReadFile(out)
	})
	if goBinErr != nil {
		t.Fatalf("build the test program: %v", goBinErr)
	}
	return goBin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// tarOf builds a tar archive of regular files.
func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range slices.Sorted(maps.Keys(files)) {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tarDir writes a tar of a folder's files, named relative to it.
func tarDir(t *testing.T, dir, out string) {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, tarOf(t, files), 0o644); err != nil {
		t.Fatal(err)
	}
}
