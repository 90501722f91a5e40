package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluice-ci/sluice/internal/pipeline/plan"
	"github.com/sluice-ci/sluice/internal/store"
)

// saveArtifacts copies the files a succeeded job declared into the store and
// records them. A pattern that matches nothing fails the job: a build that
// did not produce what it promised must not look green.
func (x *execution) saveArtifacts(ctx context.Context, pj *plan.Job, j *store.Job) error {
	if len(pj.Spec.Artifacts) == 0 {
		return nil
	}
	root := x.run.Workdir
	dest := x.e.st.ArtifactDir(x.run.ID, j.ID)
	for _, pattern := range pj.Spec.Artifacts {
		if !localPath(pattern) {
			return fmt.Errorf("artifact %q: must be a path inside the workspace", pattern)
		}
		matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pattern)))
		if err != nil {
			return fmt.Errorf("artifact %q: %w", pattern, err)
		}
		if len(matches) == 0 {
			return fmt.Errorf("artifact %q matched no files", pattern)
		}
		for _, m := range matches {
			err := filepath.WalkDir(m, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.Type().IsRegular() {
					return nil
				}
				rel, err := filepath.Rel(root, path)
				if err != nil {
					return err
				}
				a, err := copyIn(path, filepath.Join(dest, rel))
				if err != nil {
					return err
				}
				a.RunID, a.JobID, a.Path = x.run.ID, j.ID, filepath.ToSlash(rel)
				return x.e.st.Artifacts().PutArtifact(ctx, a)
			})
			if err != nil {
				return fmt.Errorf("save artifact %q: %w", pattern, err)
			}
		}
	}
	return nil
}

// restoreArtifacts puts the artifacts of the jobs pj needs into the
// workspace when they are missing or differ, so a resumed run (or a fresh
// workspace) sees exactly what those jobs produced.
func (x *execution) restoreArtifacts(ctx context.Context, pj *plan.Job) error {
	for _, n := range pj.Needs {
		arts, err := x.e.st.Artifacts().ListArtifacts(ctx, x.run.ID, n)
		if err != nil {
			return fmt.Errorf("list artifacts of %s: %w", n, err)
		}
		for _, a := range arts {
			if !localPath(a.Path) {
				return fmt.Errorf("artifact %q of %s: not a workspace path", a.Path, n)
			}
			dst := filepath.Join(x.run.Workdir, filepath.FromSlash(a.Path))
			if sum, err := fileSHA256(dst); err == nil && sum == a.SHA256 {
				continue
			}
			if _, err := copyIn(a.StoredPath, dst); err != nil {
				return fmt.Errorf("restore artifact %s of %s: %w", a.Path, n, err)
			}
			if err := os.Chmod(dst, fs.FileMode(a.Mode).Perm()); err != nil {
				return fmt.Errorf("restore artifact %s of %s: %w", a.Path, n, err)
			}
		}
	}
	return nil
}

// localPath reports whether p is a relative path that stays inside its root.
func localPath(p string) bool {
	return p != "" && filepath.IsLocal(filepath.FromSlash(p))
}

// copyIn copies src to dst (creating folders), keeping the mode, and returns
// the size and digest of what it copied.
func copyIn(src, dst string) (*store.Artifact, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".sluice-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), in)
	if err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return nil, err
	}
	return &store.Artifact{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Mode: uint32(info.Mode().Perm()), StoredPath: dst}, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// safeName makes a job id usable as one path element.
func safeName(id string) string {
	r := strings.NewReplacer("/", "_", "\\", "_", "..", "_", "[", "_", "]", "_", ",", "_", "=", "-", " ", "_")
	return r.Replace(id)
}
