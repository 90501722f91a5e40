package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
)

// NewKey makes an API key: the plaintext (shown once) and the record to
// store (the secret's hash, the HMAC signing key sealed with sealKey).
func NewKey(now time.Time, name string, grants []string, ttl time.Duration, createdBy string, sealKey []byte) (string, *store.APIKey, error) {
	if len(grants) == 0 {
		return "", nil, errors.New("a key needs at least one grant, like developer or approver@web/production")
	}
	for _, g := range grants {
		if _, err := auth.ParseGrant(g); err != nil {
			return "", nil, err
		}
	}
	plain, id, hash, err := auth.NewKey()
	if err != nil {
		return "", nil, err
	}
	_, secret, err := auth.ParseKey(plain)
	if err != nil {
		return "", nil, err
	}
	sealed, err := auth.SealSigningKey(sealKey, id, auth.DeriveSigningKey(secret))
	if err != nil {
		return "", nil, err
	}
	k := &store.APIKey{ID: id, Name: name, Hash: hash, Grants: grants, SigningKey: sealed, CreatedBy: createdBy, CreatedAt: now}
	if k.Name == "" {
		k.Name = "key-" + id
	}
	if ttl > 0 {
		k.ExpiresAt = now.Add(ttl)
	}
	return plain, k, nil
}

var projectName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// NewProject checks and builds a project, sealing its webhook secret.
func NewProject(name, repo, pipeline, webhookSecret string, sealKey []byte) (*store.Project, error) {
	if !projectName.MatchString(name) {
		return nil, fmt.Errorf("project name %q: lowercase letters, digits, '.', '_' and '-', at most 63", name)
	}
	if repo == "" {
		return nil, errors.New("repo: a git URL (https://…) or a local path to a repository")
	}
	if strings.HasPrefix(repo, "-") || strings.ContainsAny(repo, "\n\r\x00") {
		return nil, fmt.Errorf("repo %q is not a repository location", repo)
	}
	if pipeline == "" {
		pipeline = "sluice.yaml"
	}
	if filepath.IsAbs(pipeline) || strings.Contains(filepath.ToSlash(pipeline), "..") {
		return nil, fmt.Errorf("pipeline %q: a path inside the repository", pipeline)
	}
	p := &store.Project{Name: name, Repo: repo, Pipeline: pipeline}
	if webhookSecret != "" {
		if len(webhookSecret) < 16 {
			return nil, errors.New("webhook_secret: at least 16 characters (use a random string)")
		}
		sealed, err := auth.SealSigningKey(sealKey, "project/"+name, []byte(webhookSecret))
		if err != nil {
			return nil, err
		}
		p.WebhookSecret = sealed
	}
	return p, nil
}

// OpenSecret returns a project's webhook secret.
func OpenSecret(sealKey []byte, p *store.Project) (string, error) {
	if len(p.WebhookSecret) == 0 {
		return "", nil
	}
	b, err := auth.OpenSigningKey(sealKey, "project/"+p.Name, p.WebhookSecret)
	return string(b), err
}

// LoadSealKey reads the server's 32-byte sealing key: from the environment
// variable SLUICE_SECRET_KEY (64 hex characters), else from file, which is
// created (mode 0600, random) when missing.
func LoadSealKey(file string) ([]byte, error) {
	if v := strings.TrimSpace(os.Getenv("SLUICE_SECRET_KEY")); v != "" {
		k, err := hex.DecodeString(v)
		if err != nil || len(k) != auth.MasterKeyLen {
			return nil, errors.New("SLUICE_SECRET_KEY: want 64 hex characters (32 bytes)")
		}
		return k, nil
	}
	data, err := os.ReadFile(file)
	if err == nil {
		k, err := hex.DecodeString(strings.TrimSpace(string(data)))
		if err != nil || len(k) != auth.MasterKeyLen {
			return nil, fmt.Errorf("%s: want 64 hex characters (32 bytes)", file)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := make([]byte, auth.MasterKeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return k, f.Close()
}
