package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-ci/sluice/internal/store"
)

// suppressionStore implements store.SuppressionStore.
type suppressionStore struct{ s *Store }

// Suppressions returns the suppression store.
func (s *Store) Suppressions() store.SuppressionStore { return suppressionStore{s} }

// checkSuppression refuses what the store must never keep: a suppression
// without a reason, an owner or an expiry.
func checkSuppression(x *store.Suppression) error {
	switch {
	case x.Reason == "":
		return errors.New("no reason")
	case x.Owner == "":
		return errors.New("no owner")
	case x.Expires.IsZero():
		return errors.New("no expiry")
	}
	return nil
}

// CreateSuppression stores x and its audit record, and sets x.ID.
func (ss suppressionStore) CreateSuppression(ctx context.Context, x *store.Suppression, audit *store.AuditRecord) error {
	if err := checkSuppression(x); err != nil {
		return fmt.Errorf("create suppression: %w", err)
	}
	stamp(&x.CreatedAt)
	x.Expires = x.Expires.UTC().Truncate(time.Microsecond)
	var id int64
	err := ss.s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO suppressions (project, fingerprint, rule, path, advisory, package,
				reason, owner, expires_at, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			x.Project, x.Fingerprint, x.Rule, x.Path, x.Advisory, x.Package, x.Reason, x.Owner, x.Expires,
			x.CreatedBy, x.CreatedAt).Scan(&id)
		if err != nil || audit == nil {
			return err
		}
		audit.Subject = store.SuppressionSubject(id)
		return appendAuditTx(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("create suppression: %w", err)
	}
	x.ID = id
	return nil
}

const suppressionColumns = `id, project, fingerprint, rule, path, advisory, package, reason, owner, expires_at,
	created_by, created_at, revoked_at, revoked_by`

// scanSuppression reads one row of suppressionColumns.
func scanSuppression(row pgx.CollectableRow) (*store.Suppression, error) {
	var (
		x            store.Suppression
		exp, cat, ra pgtype.Timestamptz
	)
	if err := row.Scan(&x.ID, &x.Project, &x.Fingerprint, &x.Rule, &x.Path, &x.Advisory, &x.Package, &x.Reason, &x.Owner,
		&exp, &x.CreatedBy, &cat, &ra, &x.RevokedBy); err != nil {
		return nil, err
	}
	x.Expires, x.CreatedAt, x.RevokedAt = fromTS(exp), fromTS(cat), fromTS(ra)
	return &x, nil
}

// listSuppressions reads the suppressions the query tail selects.
func (ss suppressionStore) listSuppressions(ctx context.Context, tail string, args ...any) ([]*store.Suppression, error) {
	var list []*store.Suppression
	err := ss.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+suppressionColumns+` FROM suppressions `+tail, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanSuppression)
		return err
	})
	return list, err
}

// GetSuppression returns suppression id.
func (ss suppressionStore) GetSuppression(ctx context.Context, id int64) (*store.Suppression, error) {
	list, err := ss.listSuppressions(ctx, `WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("get suppression %d: %w", id, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("suppression %d: %w", id, store.ErrNotFound)
	}
	return list[0], nil
}

// ListSuppressions returns project's suppressions by ID.
func (ss suppressionStore) ListSuppressions(ctx context.Context, project string) ([]*store.Suppression, error) {
	if !storable(project) {
		return nil, nil
	}
	list, err := ss.listSuppressions(ctx, `WHERE project = $1 ORDER BY id`, project)
	if err != nil {
		return nil, fmt.Errorf("list suppressions of %q: %w", project, err)
	}
	return list, nil
}

// RevokeSuppression marks suppression id revoked.
func (ss suppressionStore) RevokeSuppression(ctx context.Context, id int64, by string, at time.Time, audit *store.AuditRecord) error {
	stamp(&at)
	err := releaseStore(ss).withAudit(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE suppressions SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL`,
			at, by, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("no standing suppression %d: %w", id, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke suppression %d: %w", id, err)
	}
	return nil
}
