package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	err := ss.s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO suppressions (project, fingerprint, rule, path, advisory, package,
				reason, owner, expires_at, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			x.Project, x.Fingerprint, x.Rule, x.Path, x.Advisory, x.Package, x.Reason, x.Owner, nanos(x.Expires),
			x.CreatedBy, nanos(x.CreatedAt)).Scan(&id)
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

func scanSuppression(row interface{ Scan(...any) error }) (*store.Suppression, error) {
	var (
		x            store.Suppression
		exp, cat, ra sql.NullInt64
	)
	if err := row.Scan(&x.ID, &x.Project, &x.Fingerprint, &x.Rule, &x.Path, &x.Advisory, &x.Package, &x.Reason, &x.Owner,
		&exp, &x.CreatedBy, &cat, &ra, &x.RevokedBy); err != nil {
		return nil, err
	}
	x.Expires, x.CreatedAt, x.RevokedAt = fromNanos(exp), fromNanos(cat), fromNanos(ra)
	return &x, nil
}

// GetSuppression returns suppression id.
func (ss suppressionStore) GetSuppression(ctx context.Context, id int64) (*store.Suppression, error) {
	x, err := scanSuppression(ss.s.r.QueryRowContext(ctx, `SELECT `+suppressionColumns+` FROM suppressions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("suppression %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get suppression %d: %w", id, err)
	}
	return x, nil
}

// ListSuppressions returns project's suppressions by ID.
func (ss suppressionStore) ListSuppressions(ctx context.Context, project string) ([]*store.Suppression, error) {
	rows, err := ss.s.r.QueryContext(ctx, `SELECT `+suppressionColumns+` FROM suppressions WHERE project = ? ORDER BY id`, project)
	if err != nil {
		return nil, fmt.Errorf("list suppressions of %q: %w", project, err)
	}
	defer rows.Close()
	var list []*store.Suppression
	for rows.Next() {
		x, err := scanSuppression(rows)
		if err != nil {
			return nil, fmt.Errorf("list suppressions of %q: %w", project, err)
		}
		list = append(list, x)
	}
	return list, rows.Err()
}

// RevokeSuppression marks suppression id revoked.
func (ss suppressionStore) RevokeSuppression(ctx context.Context, id int64, by string, at time.Time, audit *store.AuditRecord) error {
	stamp(&at)
	err := releaseStore(ss).withAudit(ctx, audit, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE suppressions SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL`,
			nanos(at), by, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no standing suppression %d: %w", id, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke suppression %d: %w", id, err)
	}
	return nil
}
