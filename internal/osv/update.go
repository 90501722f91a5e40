package osv

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultBaseURL is where OSV publishes its per-ecosystem archives.
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// Update downloads "<baseURL>/<ecosystem>/all.zip" for each ecosystem into
// "<dir>/<ecosystem>/all.zip", replacing the old archive only once the new
// one is complete and readable, and records the time in sluice-db.json.
// An archive that has not changed since the last download (ETag or
// Last-Modified) is not downloaded again. One ecosystem failing does not
// stop the others; the errors are joined.
func Update(ctx context.Context, baseURL, dir string, ecosystems []string) error {
	if len(ecosystems) == 0 {
		return errors.New("update vulnerability database: no ecosystems given")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("update vulnerability database: %w", err)
	}
	old, _ := readMetadata(dir)
	entries := map[string]ecoMeta{}
	var errs []error
	for _, e := range ecosystems {
		eco := CanonicalEcosystem(e)
		m, err := download(ctx, strings.TrimRight(baseURL, "/"), dir, eco, old.Ecosystems[eco])
		if err != nil {
			errs = append(errs, fmt.Errorf("update %s: %w", eco, err))
			continue
		}
		entries[eco] = m
	}
	if err := updateMetadata(dir, entries); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// download fetches one ecosystem's archive; prev is what the last download
// recorded.
func download(ctx context.Context, baseURL, dir, eco string, prev ecoMeta) (ecoMeta, error) {
	src := baseURL + "/" + url.PathEscape(eco) + "/all.zip"
	dest := filepath.Join(dir, eco, "all.zip")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return ecoMeta{}, err
	}
	if _, err := os.Stat(dest); err == nil {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ecoMeta{}, err
	}
	defer resp.Body.Close()
	now := time.Now().UTC()
	switch resp.StatusCode {
	case http.StatusNotModified:
		prev.Updated = now
		return prev, nil
	case http.StatusOK:
	default:
		return ecoMeta{}, fmt.Errorf("GET %s: %s", src, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return ecoMeta{}, err
	}
	sum, err := saveZip(resp.Body, dest)
	if err != nil {
		return ecoMeta{}, fmt.Errorf("GET %s: %w", src, err)
	}
	indexArchive(dest)
	return ecoMeta{
		Updated:      now,
		Source:       src,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		SHA256:       sum,
	}, nil
}

// saveZip copies r to a hidden temporary file beside dest, checks that it
// is a readable zip, and renames it over dest. It returns the SHA-256.
func saveZip(r io.Reader, dest string) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+"-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	zr, err := zip.OpenReader(tmp.Name())
	if err != nil {
		return "", fmt.Errorf("not a zip archive: %w", err)
	}
	zr.Close()
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
