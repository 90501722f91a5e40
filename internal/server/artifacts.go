package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
)

// artifactCSP forbids everything to a downloaded artifact opened in place
// anyway: it is the build's bytes, never a page of this site.
const artifactCSP = "default-src 'none'; sandbox"

// artifactJSON is an artifact as the API lists it.
type artifactJSON struct {
	Job    string `json:"job"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// listArtifacts lists the files the run's jobs saved, in job order, then
// by path.
func (s *Server) listArtifacts(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	run := s.run(w, r)
	if run == nil {
		return
	}
	arts, err := s.o.Store.Artifacts().ListArtifacts(r.Context(), run.ID, "")
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	out := []artifactJSON{}
	for _, a := range arts {
		out = append(out, artifactJSON{Job: a.JobID, Path: a.Path, Size: a.Size, SHA256: a.SHA256})
	}
	writeJSON(w, http.StatusOK, map[string]any{"run": run.ID, "artifacts": out})
}

// downloadArtifact sends the stored copy of one artifact as an attachment.
// The file is found through its record only: the job and path asked for
// must name a record exactly, and the record's stored path is opened
// inside the job's artifact folder (os.OpenInRoot), so neither a crafted
// request nor a tampered record reads anything outside it. The copy is
// checked against its record (size and SHA-256) before the first byte is
// sent, so a damaged copy is a clear error rather than a bad download.
func (s *Server) downloadArtifact(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	run := s.run(w, r)
	if run == nil {
		return
	}
	job, p := r.PathValue("job"), r.PathValue("path")
	if job == "" || !artifactPath(p) {
		writeError(w, http.StatusBadRequest, "artifact_path", fmt.Sprintf("%q is not an artifact path: want a path relative to the workspace, with forward slashes and no empty, \".\" or \"..\" element", p))
		return
	}
	arts, err := s.o.Store.Artifacts().ListArtifacts(r.Context(), run.ID, job)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	var a *store.Artifact
	for _, x := range arts {
		if x.Path == p {
			a = x
			break
		}
	}
	if a == nil {
		writeError(w, http.StatusNotFound, "artifact", fmt.Sprintf("run #%d has no artifact %s of job %s", run.Number, p, job))
		return
	}
	f, status, err := s.openArtifact(a)
	if err != nil {
		s.o.Logger.Error("artifact", "run", run.ID, "job", a.JobID, "path", a.Path, "err", err)
		code := "artifact_damaged"
		if status == http.StatusGone {
			code = "artifact_gone"
		}
		writeError(w, status, code, err.Error())
		return
	}
	defer f.Close()
	sum, _ := hex.DecodeString(a.SHA256)
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(a.Path)}))
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	h.Set("Content-Security-Policy", artifactCSP)
	h.Set("ETag", `"`+a.SHA256+`"`)
	h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	// A large file outlives the server's read timeout, whose expiry would
	// cancel the request (the in-process UI lifts its own).
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, io.LimitReader(f, a.Size)); err != nil {
		s.o.Logger.Warn("artifact: download cut short", "run", run.ID, "job", a.JobID, "path", a.Path, "err", err)
	}
}

// openArtifact opens a's stored copy and checks it against the record,
// returning it positioned at its start; on failure the status says
// whether the copy is gone (410) or wrong or unreadable (500).
func (s *Server) openArtifact(a *store.Artifact) (*os.File, int, error) {
	what := fmt.Sprintf("the stored copy of artifact %s of job %s", a.Path, a.JobID)
	root := s.o.Store.ArtifactDir(a.RunID, a.JobID)
	rel, err := filepath.Rel(root, a.StoredPath)
	if err != nil || !filepath.IsLocal(rel) {
		return nil, http.StatusInternalServerError, fmt.Errorf("%s is recorded outside the job's artifact folder", what)
	}
	f, err := os.OpenInRoot(root, rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, http.StatusGone, fmt.Errorf("%s is missing from the data folder", what)
	}
	if err != nil {
		return nil, http.StatusInternalServerError, fmt.Errorf("open %s: %w", what, err)
	}
	bad := func(status int, err error) (*os.File, int, error) {
		_ = f.Close()
		return nil, status, err
	}
	info, err := f.Stat()
	if err != nil {
		return bad(http.StatusInternalServerError, fmt.Errorf("stat %s: %w", what, err))
	}
	if !info.Mode().IsRegular() {
		return bad(http.StatusInternalServerError, fmt.Errorf("%s is not a regular file", what))
	}
	if info.Size() != a.Size {
		return bad(http.StatusInternalServerError, fmt.Errorf("%s is %d bytes, its record says %d: it was changed after the job saved it", what, info.Size(), a.Size))
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return bad(http.StatusInternalServerError, fmt.Errorf("read %s: %w", what, err))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != a.SHA256 {
		return bad(http.StatusInternalServerError, fmt.Errorf("%s has SHA-256 %s, its record says %s: it was changed after the job saved it", what, got, a.SHA256))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return bad(http.StatusInternalServerError, fmt.Errorf("rewind %s: %w", what, err))
	}
	return f, http.StatusOK, nil
}

// artifactPath reports whether p can be an artifact's recorded path: a
// relative path with forward slashes, no empty, "." or ".." element, no
// backslash and no control character.
func artifactPath(p string) bool {
	if !fs.ValidPath(p) || p == "." || strings.Contains(p, `\`) {
		return false
	}
	return !strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// downloadName is the file name a browser saves an artifact as: its base
// name, with characters other than letters, digits and "._-+" made "_".
func downloadName(p string) string {
	name := []byte(path.Base(p))
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._-+", c) >= 0) {
			name[i] = '_'
		}
	}
	if n := strings.Trim(string(name), "."); n != "" {
		return string(name)
	}
	return "artifact"
}
