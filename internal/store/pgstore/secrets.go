package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-ci/sluice/internal/store"
)

// secretStore implements store.SecretStore.
type secretStore struct{ s *Store }

// Secrets returns the secret store.
func (s *Store) Secrets() store.SecretStore { return secretStore{s} }

// PutSecret creates or replaces a secret, with its audit record.
func (ss secretStore) PutSecret(ctx context.Context, s *store.Secret, audit *store.AuditRecord) error {
	stamp(&s.UpdatedAt)
	err := releaseStore(ss).withAudit(ctx, audit, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO secrets (project, env, name, sealed, key_id, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (project, env, name) DO UPDATE SET sealed = excluded.sealed, key_id = excluded.key_id,
				updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			s.Project, s.Env, s.Name, s.Sealed, s.KeyID, s.UpdatedBy, s.UpdatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("put secret %s: %w", s.Name, err)
	}
	return nil
}

func scanSecret(row pgx.CollectableRow) (*store.Secret, error) {
	var (
		s  store.Secret
		at pgtype.Timestamptz
	)
	if err := row.Scan(&s.Project, &s.Env, &s.Name, &s.Sealed, &s.KeyID, &s.UpdatedBy, &at); err != nil {
		return nil, err
	}
	s.UpdatedAt = fromTS(at)
	return &s, nil
}

const secretColumns = `project, env, name, sealed, key_id, updated_by, updated_at`

// GetSecret returns one secret, or store.ErrNotFound.
func (ss secretStore) GetSecret(ctx context.Context, project, env, name string) (*store.Secret, error) {
	var list []*store.Secret
	err := ss.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+secretColumns+` FROM secrets WHERE project = $1 AND env = $2 AND name = $3`, project, env, name)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanSecret)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get secret %s: %w", name, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("secret %s: %w", name, store.ErrNotFound)
	}
	return list[0], nil
}

// ListSecrets returns every secret, by project, env and name.
func (ss secretStore) ListSecrets(ctx context.Context) ([]*store.Secret, error) {
	var list []*store.Secret
	err := ss.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+secretColumns+` FROM secrets ORDER BY project, env, name`)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanSecret)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	return list, nil
}

// DeleteSecret removes a secret (store.ErrNotFound when there is none).
func (ss secretStore) DeleteSecret(ctx context.Context, project, env, name string, audit *store.AuditRecord) error {
	err := releaseStore(ss).withAudit(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM secrets WHERE project = $1 AND env = $2 AND name = $3`, project, env, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete secret %s: %w", name, err)
	}
	return nil
}
