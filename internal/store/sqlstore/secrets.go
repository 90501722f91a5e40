package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sluice-ci/sluice/internal/store"
)

// secretStore implements store.SecretStore.
type secretStore struct{ s *Store }

// Secrets returns the secret store.
func (s *Store) Secrets() store.SecretStore { return secretStore{s} }

func (ss secretStore) tx(ctx context.Context, audit *store.AuditRecord, fn func(tx *sql.Tx) error) error {
	return ss.s.inTx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if audit != nil {
			return appendAuditTx(ctx, tx, audit)
		}
		return nil
	})
}

// PutSecret creates or replaces a secret.
func (ss secretStore) PutSecret(ctx context.Context, s *store.Secret, audit *store.AuditRecord) error {
	stamp(&s.UpdatedAt)
	err := ss.tx(ctx, audit, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO secrets (project, env, name, sealed, key_id, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (project, env, name) DO UPDATE SET sealed = excluded.sealed, key_id = excluded.key_id,
				updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			s.Project, s.Env, s.Name, s.Sealed, s.KeyID, s.UpdatedBy, nanos(s.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("put secret %s: %w", s.Name, err)
	}
	return nil
}

// GetSecret returns one secret.
func (ss secretStore) GetSecret(ctx context.Context, project, env, name string) (*store.Secret, error) {
	var (
		s  store.Secret
		at sql.NullInt64
	)
	err := ss.s.r.QueryRowContext(ctx, `SELECT project, env, name, sealed, key_id, updated_by, updated_at FROM secrets
		WHERE project = ? AND env = ? AND name = ?`, project, env, name).Scan(&s.Project, &s.Env, &s.Name, &s.Sealed, &s.KeyID, &s.UpdatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("secret %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get secret %s: %w", name, err)
	}
	s.UpdatedAt = fromNanos(at)
	return &s, nil
}

// ListSecrets returns every secret.
func (ss secretStore) ListSecrets(ctx context.Context) ([]*store.Secret, error) {
	rows, err := ss.s.r.QueryContext(ctx, `SELECT project, env, name, sealed, key_id, updated_by, updated_at FROM secrets ORDER BY project, env, name`)
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	defer rows.Close()
	var list []*store.Secret
	for rows.Next() {
		var (
			s  store.Secret
			at sql.NullInt64
		)
		if err := rows.Scan(&s.Project, &s.Env, &s.Name, &s.Sealed, &s.KeyID, &s.UpdatedBy, &at); err != nil {
			return nil, fmt.Errorf("list secrets: %w", err)
		}
		s.UpdatedAt = fromNanos(at)
		list = append(list, &s)
	}
	return list, rows.Err()
}

// DeleteSecret removes a secret.
func (ss secretStore) DeleteSecret(ctx context.Context, project, env, name string, audit *store.AuditRecord) error {
	err := ss.tx(ctx, audit, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM secrets WHERE project = ? AND env = ? AND name = ?`, project, env, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete secret %s: %w", name, err)
	}
	return nil
}
