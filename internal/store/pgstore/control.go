package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-ci/sluice/internal/store"
)

// controlStore implements store.ControlStore.
type controlStore struct{ s *Store }

// Control returns the control plane's store.
func (s *Store) Control() store.ControlStore { return controlStore{s} }

// tx runs fn and, when audit is not nil, appends it, in one transaction.
func (cs controlStore) tx(ctx context.Context, audit *store.AuditRecord, fn func(tx pgx.Tx) error) error {
	return releaseStore(cs).withAudit(ctx, audit, fn)
}

// CreateKey stores a new key; an id already stored is store.ErrConflict.
func (cs controlStore) CreateKey(ctx context.Context, k *store.APIKey, audit *store.AuditRecord) error {
	stamp(&k.CreatedAt)
	grants, err := encodeJSON(k.Grants, "[]")
	if err != nil {
		return fmt.Errorf("create key %s: %w", k.ID, err)
	}
	err = cs.tx(ctx, audit, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (id, name, hash, grants, signing_key, created_by, created_at, expires_at, user_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			k.ID, k.Name, k.Hash, grants, k.SigningKey, k.CreatedBy, k.CreatedAt, ts(k.ExpiresAt), k.User)
		return err
	})
	if err != nil {
		return fmt.Errorf("create key %s: %w", k.ID, constraintErr(err, ""))
	}
	return nil
}

const keyColumns = `id, name, hash, grants, signing_key, created_by, created_at, expires_at, last_used_at, revoked_at, user_name`

// scanKey reads one row of keyColumns.
func scanKey(row pgx.CollectableRow) (*store.APIKey, error) {
	var (
		k                  store.APIKey
		grants             string
		cat, exp, used, rv pgtype.Timestamptz
	)
	if err := row.Scan(&k.ID, &k.Name, &k.Hash, &grants, &k.SigningKey, &k.CreatedBy, &cat, &exp, &used, &rv, &k.User); err != nil {
		return nil, err
	}
	var err error
	if k.Grants, err = decodeList(grants); err != nil {
		return nil, fmt.Errorf("key %s grants: %w", k.ID, err)
	}
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt = fromTS(cat), fromTS(exp), fromTS(used), fromTS(rv)
	return &k, nil
}

// listKeys reads the keys the query tail selects.
func (cs controlStore) listKeys(ctx context.Context, tail string, args ...any) ([]*store.APIKey, error) {
	var list []*store.APIKey
	err := cs.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+keyColumns+` FROM api_keys `+tail, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanKey)
		return err
	})
	return list, err
}

// GetKey finds a key by id, or store.ErrNotFound.
func (cs controlStore) GetKey(ctx context.Context, id string) (*store.APIKey, error) {
	if !storable(id) {
		return nil, fmt.Errorf("key %q: %w", id, store.ErrNotFound)
	}
	list, err := cs.listKeys(ctx, `WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("get key %s: %w", id, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("key %s: %w", id, store.ErrNotFound)
	}
	return list[0], nil
}

// ListKeys returns every key, oldest first.
func (cs controlStore) ListKeys(ctx context.Context) ([]*store.APIKey, error) {
	list, err := cs.listKeys(ctx, `ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return list, nil
}

// TouchKey records a key's use; an unknown key is not an error.
func (cs controlStore) TouchKey(ctx context.Context, id string, at time.Time) error {
	err := cs.s.do(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, ts(at), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("touch key %s: %w", id, err)
	}
	return nil
}

// RevokeKey revokes a key; an unknown or already revoked key is
// store.ErrNotFound.
func (cs controlStore) RevokeKey(ctx context.Context, id string, at time.Time, audit *store.AuditRecord) error {
	err := cs.tx(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, ts(at), id)
		if err != nil {
			return err
		}
		return mustAffect(tag.RowsAffected())
	})
	if err != nil {
		return fmt.Errorf("revoke key %s: %w", id, err)
	}
	return nil
}

// PutProject creates or replaces a project; a replaced project keeps its
// creation time.
func (cs controlStore) PutProject(ctx context.Context, p *store.Project, audit *store.AuditRecord) error {
	stamp(&p.CreatedAt)
	err := cs.tx(ctx, audit, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO projects (name, repo, pipeline, webhook_secret, created_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (name) DO UPDATE SET repo = excluded.repo, pipeline = excluded.pipeline,
				webhook_secret = excluded.webhook_secret`,
			p.Name, p.Repo, p.Pipeline, p.WebhookSecret, p.CreatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("put project %s: %w", p.Name, err)
	}
	return nil
}

// listProjects reads the projects the query tail selects.
func (cs controlStore) listProjects(ctx context.Context, tail string, args ...any) ([]*store.Project, error) {
	var list []*store.Project
	err := cs.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT name, repo, pipeline, webhook_secret, created_at FROM projects `+tail, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Project, error) {
			var (
				p  store.Project
				at pgtype.Timestamptz
			)
			if err := row.Scan(&p.Name, &p.Repo, &p.Pipeline, &p.WebhookSecret, &at); err != nil {
				return nil, err
			}
			p.CreatedAt = fromTS(at)
			return &p, nil
		})
		return err
	})
	return list, err
}

// GetProject finds a project, or store.ErrNotFound.
func (cs controlStore) GetProject(ctx context.Context, name string) (*store.Project, error) {
	if !storable(name) {
		return nil, fmt.Errorf("project %q: %w", name, store.ErrNotFound)
	}
	list, err := cs.listProjects(ctx, `WHERE name = $1`, name)
	if err != nil {
		return nil, fmt.Errorf("get project %s: %w", name, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("project %s: %w", name, store.ErrNotFound)
	}
	return list[0], nil
}

// ListProjects returns every project by name.
func (cs controlStore) ListProjects(ctx context.Context) ([]*store.Project, error) {
	list, err := cs.listProjects(ctx, `ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return list, nil
}

// RecordDelivery stores a webhook delivery id; one seen before is
// store.ErrConflict (a replay).
func (cs controlStore) RecordDelivery(ctx context.Context, provider, id string, at time.Time) error {
	// In a transaction: a plain INSERT retried after a lost reply would
	// report its own first attempt as a replay.
	err := cs.s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO deliveries (provider, id, at) VALUES ($1, $2, $3)`, provider, id, at)
		return err
	})
	if err != nil {
		return fmt.Errorf("delivery %s %s: %w", provider, id, constraintErr(err, ""))
	}
	return nil
}

// AcquireLease takes or renews a lease: the row is locked for the check,
// so two control planes cannot both take it.
func (cs controlStore) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	got := false
	err := cs.s.inTx(ctx, func(tx pgx.Tx) error {
		got = false
		if _, err := tx.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, '', 'epoch') ON CONFLICT (name) DO NOTHING`, name); err != nil {
			return err
		}
		var (
			cur string
			exp pgtype.Timestamptz
		)
		if err := tx.QueryRow(ctx, `SELECT holder, expires_at FROM leases WHERE name = $1 FOR UPDATE`, name).Scan(&cur, &exp); err != nil {
			return err
		}
		if cur != holder && cur != "" && fromTS(exp).After(now) {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE leases SET holder = $2, expires_at = $3 WHERE name = $1`, name, holder, now.Add(ttl).UTC()); err != nil {
			return err
		}
		got = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return got, nil
}

// UpdateSigningKey replaces a key's sealed signing key.
func (cs controlStore) UpdateSigningKey(ctx context.Context, id string, sealed []byte) error {
	err := cs.s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_keys SET signing_key = $2 WHERE id = $1`, id, sealed)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update signing key of %s: %w", id, err)
	}
	return nil
}
