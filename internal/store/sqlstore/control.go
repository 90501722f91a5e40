package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// controlStore implements store.ControlStore.
type controlStore struct{ s *Store }

// Control returns the control plane's store.
func (s *Store) Control() store.ControlStore { return controlStore{s} }

func (cs controlStore) tx(ctx context.Context, audit *store.AuditRecord, fn func(tx *sql.Tx) error) error {
	return cs.s.inTx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if audit != nil {
			return appendAuditTx(ctx, tx, audit)
		}
		return nil
	})
}

// CreateKey stores a new key.
func (cs controlStore) CreateKey(ctx context.Context, k *store.APIKey, audit *store.AuditRecord) error {
	stamp(&k.CreatedAt)
	grants, err := encodeJSON(k.Grants, "[]")
	if err != nil {
		return err
	}
	err = cs.tx(ctx, audit, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, hash, grants, signing_key, created_by, created_at, expires_at, user_name)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, k.ID, k.Name, k.Hash, grants, k.SigningKey, k.CreatedBy, nanos(k.CreatedAt), nanos(k.ExpiresAt), k.User)
		return err
	})
	if err != nil {
		return fmt.Errorf("create key %s: %w", k.ID, constraintErr(err, ""))
	}
	return nil
}

const keyColumns = `id, name, hash, grants, signing_key, created_by, created_at, expires_at, last_used_at, revoked_at, user_name`

func scanKey(row interface{ Scan(...any) error }) (*store.APIKey, error) {
	var (
		k                  store.APIKey
		grants             string
		cat, exp, used, rv sql.NullInt64
	)
	if err := row.Scan(&k.ID, &k.Name, &k.Hash, &grants, &k.SigningKey, &k.CreatedBy, &cat, &exp, &used, &rv, &k.User); err != nil {
		return nil, err
	}
	var err error
	if k.Grants, err = decodeList(grants); err != nil {
		return nil, err
	}
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt = fromNanos(cat), fromNanos(exp), fromNanos(used), fromNanos(rv)
	return &k, nil
}

// GetKey finds a key by id.
func (cs controlStore) GetKey(ctx context.Context, id string) (*store.APIKey, error) {
	k, err := scanKey(cs.s.r.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("key %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get key %s: %w", id, err)
	}
	return k, nil
}

// ListKeys returns every key, oldest first.
func (cs controlStore) ListKeys(ctx context.Context) ([]*store.APIKey, error) {
	rows, err := cs.s.r.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	var list []*store.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		list = append(list, k)
	}
	return list, rows.Err()
}

// TouchKey records a key's use.
func (cs controlStore) TouchKey(ctx context.Context, id string, at time.Time) error {
	_, err := cs.s.w.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, nanos(at.UTC()), id)
	return err
}

// RevokeKey revokes a key.
func (cs controlStore) RevokeKey(ctx context.Context, id string, at time.Time, audit *store.AuditRecord) error {
	err := cs.tx(ctx, audit, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, nanos(at.UTC()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke key %s: %w", id, err)
	}
	return nil
}

// PutProject creates or replaces a project.
func (cs controlStore) PutProject(ctx context.Context, p *store.Project, audit *store.AuditRecord) error {
	stamp(&p.CreatedAt)
	err := cs.tx(ctx, audit, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO projects (name, repo, pipeline, webhook_secret, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET repo = excluded.repo, pipeline = excluded.pipeline, webhook_secret = excluded.webhook_secret`,
			p.Name, p.Repo, p.Pipeline, p.WebhookSecret, nanos(p.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("put project %s: %w", p.Name, err)
	}
	return nil
}

// GetProject finds a project.
func (cs controlStore) GetProject(ctx context.Context, name string) (*store.Project, error) {
	var (
		p  store.Project
		at sql.NullInt64
	)
	err := cs.s.r.QueryRowContext(ctx, `SELECT name, repo, pipeline, webhook_secret, created_at FROM projects WHERE name = ?`, name).
		Scan(&p.Name, &p.Repo, &p.Pipeline, &p.WebhookSecret, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("project %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get project %s: %w", name, err)
	}
	p.CreatedAt = fromNanos(at)
	return &p, nil
}

// ListProjects returns every project by name.
func (cs controlStore) ListProjects(ctx context.Context) ([]*store.Project, error) {
	rows, err := cs.s.r.QueryContext(ctx, `SELECT name, repo, pipeline, webhook_secret, created_at FROM projects ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	defer rows.Close()
	var list []*store.Project
	for rows.Next() {
		var (
			p  store.Project
			at sql.NullInt64
		)
		if err := rows.Scan(&p.Name, &p.Repo, &p.Pipeline, &p.WebhookSecret, &at); err != nil {
			return nil, err
		}
		p.CreatedAt = fromNanos(at)
		list = append(list, &p)
	}
	return list, rows.Err()
}

// RecordDelivery stores a delivery id; ErrConflict for a replay.
func (cs controlStore) RecordDelivery(ctx context.Context, provider, id string, at time.Time) error {
	_, err := cs.s.w.ExecContext(ctx, `INSERT INTO deliveries (provider, id, at) VALUES (?, ?, ?)`, provider, id, nanos(at.UTC()))
	if err != nil {
		return fmt.Errorf("delivery %s %s: %w", provider, id, constraintErr(err, ""))
	}
	return nil
}

// AcquireLease takes or renews a lease.
func (cs controlStore) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	got := false
	err := cs.s.inTx(ctx, func(tx *sql.Tx) error {
		var (
			cur string
			exp int64
		)
		err := tx.QueryRowContext(ctx, `SELECT holder, expires_at FROM leases WHERE name = ?`, name).Scan(&cur, &exp)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && cur != holder && exp > now.UnixNano() {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`,
			name, holder, now.Add(ttl).UnixNano())
		got = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return got, nil
}

// UpdateSigningKey replaces a key's sealed signing key.
func (cs controlStore) UpdateSigningKey(ctx context.Context, id string, sealed []byte) error {
	res, err := cs.s.w.ExecContext(ctx, `UPDATE api_keys SET signing_key = ? WHERE id = ?`, sealed, id)
	if err != nil {
		return fmt.Errorf("update signing key of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("key %s: %w", id, store.ErrNotFound)
	}
	return nil
}
