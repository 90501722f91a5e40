package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// CreateUser stores a new user; a name already taken is store.ErrConflict.
func (cs controlStore) CreateUser(ctx context.Context, u *store.User, audit *store.AuditRecord) error {
	stamp(&u.CreatedAt)
	grants, err := encodeJSON(u.Grants, "[]")
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Name, err)
	}
	err = cs.tx(ctx, audit, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (name, password_hash, grants, created_by, created_at, disabled_at, last_login_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, u.Name, u.PasswordHash, grants, u.CreatedBy, nanos(u.CreatedAt), nanos(u.DisabledAt), nanos(u.LastLoginAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Name, constraintErr(err, ""))
	}
	return nil
}

const userColumns = `name, password_hash, grants, created_by, created_at, disabled_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (*store.User, error) {
	var (
		u             store.User
		grants        string
		cat, dis, llg sql.NullInt64
	)
	if err := row.Scan(&u.Name, &u.PasswordHash, &grants, &u.CreatedBy, &cat, &dis, &llg); err != nil {
		return nil, err
	}
	var err error
	if u.Grants, err = decodeList(grants); err != nil {
		return nil, fmt.Errorf("user %s grants: %w", u.Name, err)
	}
	u.CreatedAt, u.DisabledAt, u.LastLoginAt = fromNanos(cat), fromNanos(dis), fromNanos(llg)
	return &u, nil
}

// GetUser finds a user by name.
func (cs controlStore) GetUser(ctx context.Context, name string) (*store.User, error) {
	u, err := scanUser(cs.s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", name, err)
	}
	return u, nil
}

// ListUsers returns every user by name.
func (cs controlStore) ListUsers(ctx context.Context) ([]*store.User, error) {
	rows, err := cs.s.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var list []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		list = append(list, u)
	}
	return list, rows.Err()
}

// revokeSessionsTx revokes the keys of name's login sessions.
func revokeSessionsTx(ctx context.Context, tx *sql.Tx, name string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL`, nanos(at.UTC()), name)
	return err
}

// UpdateUserPassword replaces an active user's password hash and revokes
// their login sessions.
func (cs controlStore) UpdateUserPassword(ctx context.Context, name, hash string, at time.Time, audit *store.AuditRecord) error {
	err := cs.tx(ctx, audit, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE name = ? AND disabled_at IS NULL`, hash, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return revokeSessionsTx(ctx, tx, name, at)
	})
	if err != nil {
		return fmt.Errorf("set the password of user %s: %w", name, err)
	}
	return nil
}

// DisableUser disables an active user and revokes their login sessions.
func (cs controlStore) DisableUser(ctx context.Context, name string, at time.Time, audit *store.AuditRecord) error {
	err := cs.tx(ctx, audit, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL`, nanos(at.UTC()), name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
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
	if _, err := cs.s.w.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE name = ?`, nanos(at.UTC()), name); err != nil {
		return fmt.Errorf("touch user %s: %w", name, err)
	}
	return nil
}
