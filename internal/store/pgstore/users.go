package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-ci/sluice/internal/store"
)

// CreateUser stores a new user; a name already taken is store.ErrConflict.
func (cs controlStore) CreateUser(ctx context.Context, u *store.User, audit *store.AuditRecord) error {
	stamp(&u.CreatedAt)
	grants, err := encodeJSON(u.Grants, "[]")
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Name, err)
	}
	err = cs.tx(ctx, audit, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (name, password_hash, grants, created_by, created_at, disabled_at, last_login_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			u.Name, u.PasswordHash, grants, u.CreatedBy, u.CreatedAt, ts(u.DisabledAt), ts(u.LastLoginAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Name, constraintErr(err, ""))
	}
	return nil
}

const userColumns = `name, password_hash, grants, created_by, created_at, disabled_at, last_login_at`

// scanUser reads one row of userColumns.
func scanUser(row pgx.CollectableRow) (*store.User, error) {
	var (
		u             store.User
		grants        string
		cat, dis, llg pgtype.Timestamptz
	)
	if err := row.Scan(&u.Name, &u.PasswordHash, &grants, &u.CreatedBy, &cat, &dis, &llg); err != nil {
		return nil, err
	}
	var err error
	if u.Grants, err = decodeList(grants); err != nil {
		return nil, fmt.Errorf("user %s grants: %w", u.Name, err)
	}
	u.CreatedAt, u.DisabledAt, u.LastLoginAt = fromTS(cat), fromTS(dis), fromTS(llg)
	return &u, nil
}

// listUsers reads the users the query tail selects.
func (cs controlStore) listUsers(ctx context.Context, tail string, args ...any) ([]*store.User, error) {
	var list []*store.User
	err := cs.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+userColumns+` FROM users `+tail, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanUser)
		return err
	})
	return list, err
}

// GetUser finds a user by name, or store.ErrNotFound.
func (cs controlStore) GetUser(ctx context.Context, name string) (*store.User, error) {
	if !storable(name) {
		return nil, fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	list, err := cs.listUsers(ctx, `WHERE name = $1`, name)
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", name, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("user %s: %w", name, store.ErrNotFound)
	}
	return list[0], nil
}

// ListUsers returns every user by name.
func (cs controlStore) ListUsers(ctx context.Context) ([]*store.User, error) {
	list, err := cs.listUsers(ctx, `ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return list, nil
}

// revokeSessionsTx revokes the keys of name's login sessions.
func revokeSessionsTx(ctx context.Context, tx pgx.Tx, name string, at time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE user_name = $2 AND revoked_at IS NULL`, ts(at), name)
	return err
}

// UpdateUserPassword replaces an active user's password hash and revokes
// their login sessions; an unknown or disabled user is store.ErrNotFound.
func (cs controlStore) UpdateUserPassword(ctx context.Context, name, hash string, at time.Time, audit *store.AuditRecord) error {
	if !storable(name) {
		return fmt.Errorf("set the password of user %q: %w", name, store.ErrNotFound)
	}
	err := cs.tx(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE name = $2 AND disabled_at IS NULL`, hash, name)
		if err != nil {
			return err
		}
		if err := mustAffect(tag.RowsAffected()); err != nil {
			return err
		}
		return revokeSessionsTx(ctx, tx, name, at)
	})
	if err != nil {
		return fmt.Errorf("set the password of user %s: %w", name, err)
	}
	return nil
}

// DisableUser disables an active user and revokes their login sessions;
// an unknown or already disabled user is store.ErrNotFound.
func (cs controlStore) DisableUser(ctx context.Context, name string, at time.Time, audit *store.AuditRecord) error {
	if !storable(name) {
		return fmt.Errorf("disable user %q: %w", name, store.ErrNotFound)
	}
	err := cs.tx(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET disabled_at = $1 WHERE name = $2 AND disabled_at IS NULL`, ts(at), name)
		if err != nil {
			return err
		}
		if err := mustAffect(tag.RowsAffected()); err != nil {
			return err
		}
		return revokeSessionsTx(ctx, tx, name, at)
	})
	if err != nil {
		return fmt.Errorf("disable user %s: %w", name, err)
	}
	return nil
}

// TouchUser records a user's login; an unknown user is not an error.
func (cs controlStore) TouchUser(ctx context.Context, name string, at time.Time) error {
	err := cs.s.do(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `UPDATE users SET last_login_at = $1 WHERE name = $2`, ts(at), name)
		return err
	})
	if err != nil {
		return fmt.Errorf("touch user %s: %w", name, err)
	}
	return nil
}
