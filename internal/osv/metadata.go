package osv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// metadata is the content of sluice-db.json in a DB folder.
type metadata struct {
	Ecosystems map[string]ecoMeta `json:"ecosystems"`
}

// ecoMeta records where an ecosystem's data came from and how fresh it is.
type ecoMeta struct {
	// Updated is when the data was downloaded (Update), or the newest
	// record's modification time (Import): either way, how old the
	// database's view of the ecosystem is.
	Updated      time.Time `json:"updated"`
	Source       string    `json:"source,omitempty"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	SHA256       string    `json:"sha256,omitempty"`
}

func readMetadata(dir string) (metadata, error) {
	m := metadata{Ecosystems: map[string]ecoMeta{}}
	data, err := os.ReadFile(filepath.Join(dir, metadataFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("read database metadata: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return metadata{Ecosystems: map[string]ecoMeta{}}, fmt.Errorf("read database metadata: %w", err)
	}
	if m.Ecosystems == nil {
		m.Ecosystems = map[string]ecoMeta{}
	}
	return m, nil
}

// updateMetadata merges entries into dir's sluice-db.json and writes it
// atomically. A malformed existing file is replaced.
func updateMetadata(dir string, entries map[string]ecoMeta) error {
	if len(entries) == 0 {
		return nil
	}
	m, _ := readMetadata(dir)
	for eco, e := range entries {
		m.Ecosystems[eco] = e
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write database metadata: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, metadataFile), data)
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path, so readers see the old or the new content, never half.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
