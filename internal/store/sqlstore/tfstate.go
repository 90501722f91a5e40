package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// tfStateStore implements store.TFStateStore. Every change runs in a write
// transaction, which SQLite serialises (BEGIN IMMEDIATE) across
// connections and processes, so a check and the change it allows cannot be
// interleaved with another change.
type tfStateStore struct{ s *Store }

var _ store.TFStateStore = tfStateStore{}

// TFState returns the Terraform state store.
func (s *Store) TFState() store.TFStateStore { return tfStateStore{s} }

// tfName names a state in messages.
func tfName(project, name string) string {
	if project == "" {
		return name
	}
	return project + "/" + name
}

const tfStateSelect = `SELECT t.project, t.name, t.version, t.serial, t.lineage, t.sha256, t.size, t.updated_by, t.updated_at,
		l.lock_id, l.info, l.actor, l.created_at
	FROM tfstates t LEFT JOIN tfstate_locks l ON l.project = t.project AND l.name = t.name`

func scanTFState(row interface{ Scan(...any) error }) (*store.TFState, error) {
	var (
		x               store.TFState
		at, lat         sql.NullInt64
		lid, li, lactor sql.NullString
	)
	if err := row.Scan(&x.Project, &x.Name, &x.Version, &x.Serial, &x.Lineage, &x.SHA256, &x.Size, &x.UpdatedBy, &at,
		&lid, &li, &lactor, &lat); err != nil {
		return nil, err
	}
	x.UpdatedAt = fromNanos(at)
	if lid.Valid {
		x.Lock = &store.TFLock{Project: x.Project, Name: x.Name, ID: lid.String, Info: []byte(li.String), Actor: lactor.String, CreatedAt: fromNanos(lat)}
	}
	return &x, nil
}

// GetTFState returns a state's record with its lock.
func (ts tfStateStore) GetTFState(ctx context.Context, project, name string) (*store.TFState, error) {
	x, err := scanTFState(ts.s.r.QueryRowContext(ctx, tfStateSelect+` WHERE t.project = ? AND t.name = ?`, project, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("terraform state %s: %w", tfName(project, name), store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get terraform state %s: %w", tfName(project, name), err)
	}
	return x, nil
}

// ListTFStates returns every state by project and name.
func (ts tfStateStore) ListTFStates(ctx context.Context) ([]*store.TFState, error) {
	rows, err := ts.s.r.QueryContext(ctx, tfStateSelect+` ORDER BY t.project, t.name`)
	if err != nil {
		return nil, fmt.Errorf("list terraform states: %w", err)
	}
	defer rows.Close()
	var list []*store.TFState
	for rows.Next() {
		x, err := scanTFState(rows)
		if err != nil {
			return nil, fmt.Errorf("list terraform states: %w", err)
		}
		list = append(list, x)
	}
	return list, rows.Err()
}

const tfVersionColumns = `v.project, v.name, v.version, v.serial, v.lineage, v.sha256, v.size, v.actor, v.restored_from, v.created_at`

func scanTFVersion(row interface{ Scan(...any) error }, sealed *[]byte) (*store.TFStateVersion, error) {
	var (
		v  store.TFStateVersion
		at sql.NullInt64
	)
	dest := []any{&v.Project, &v.Name, &v.Version, &v.Serial, &v.Lineage, &v.SHA256, &v.Size, &v.Actor, &v.RestoredFrom, &at}
	if sealed != nil {
		dest = append(dest, sealed)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	v.CreatedAt = fromNanos(at)
	if sealed != nil {
		v.Sealed = *sealed
	}
	return &v, nil
}

// GetTFStateVersion returns one version with its sealed content (0: the
// current one).
func (ts tfStateStore) GetTFStateVersion(ctx context.Context, project, name string, version int64) (*store.TFStateVersion, error) {
	q := `SELECT ` + tfVersionColumns + `, v.sealed FROM tfstate_versions v WHERE v.project = ? AND v.name = ? AND v.version = ?`
	args := []any{project, name, version}
	if version == 0 {
		q = `SELECT ` + tfVersionColumns + `, v.sealed FROM tfstate_versions v
			JOIN tfstates t ON t.project = v.project AND t.name = v.name AND t.version = v.version
			WHERE v.project = ? AND v.name = ?`
		args = args[:2]
	}
	var sealed []byte
	v, err := scanTFVersion(ts.s.r.QueryRowContext(ctx, q, args...), &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("terraform state %s version %s: %w", tfName(project, name), versionText(version), store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get terraform state %s version %s: %w", tfName(project, name), versionText(version), err)
	}
	return v, nil
}

func versionText(v int64) string {
	if v == 0 {
		return "current"
	}
	return strconv.FormatInt(v, 10)
}

// ListTFStateVersions returns a state's versions, oldest first, without
// their content.
func (ts tfStateStore) ListTFStateVersions(ctx context.Context, project, name string) ([]*store.TFStateVersion, error) {
	rows, err := ts.s.r.QueryContext(ctx, `SELECT `+tfVersionColumns+` FROM tfstate_versions v
		WHERE v.project = ? AND v.name = ? ORDER BY v.version`, project, name)
	if err != nil {
		return nil, fmt.Errorf("list versions of terraform state %s: %w", tfName(project, name), err)
	}
	defer rows.Close()
	var list []*store.TFStateVersion
	for rows.Next() {
		v, err := scanTFVersion(rows, nil)
		if err != nil {
			return nil, fmt.Errorf("list versions of terraform state %s: %w", tfName(project, name), err)
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// lockTx returns the lock held on a state, nil when none.
func lockTx(ctx context.Context, tx *sql.Tx, project, name string) (*store.TFLock, error) {
	l := store.TFLock{Project: project, Name: name}
	var (
		info string
		at   sql.NullInt64
	)
	err := tx.QueryRowContext(ctx, `SELECT lock_id, info, actor, created_at FROM tfstate_locks WHERE project = ? AND name = ?`,
		project, name).Scan(&l.ID, &info, &l.Actor, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	l.Info, l.CreatedAt = []byte(info), fromNanos(at)
	return &l, nil
}

// checkLockTx refuses a change the state's lock forbids: lockID must be
// the id of the lock held, or "" when none is.
func checkLockTx(ctx context.Context, tx *sql.Tx, project, name, lockID string) error {
	held, err := lockTx(ctx, tx, project, name)
	switch {
	case err != nil:
		return err
	case held == nil && lockID != "":
		return &store.TFLockError{Given: lockID}
	case held != nil && held.ID != lockID:
		return &store.TFLockError{Held: held, Given: lockID}
	}
	return nil
}

// PutTFStateVersion stores v as the state's next version.
func (ts tfStateStore) PutTFStateVersion(ctx context.Context, v *store.TFStateVersion, lockID string, audit *store.AuditRecord) (bool, error) {
	stamp(&v.CreatedAt)
	stored := false
	err := ts.s.inTx(ctx, func(tx *sql.Tx) error {
		stored = false
		if err := checkLockTx(ctx, tx, v.Project, v.Name, lockID); err != nil {
			return err
		}
		var sealed []byte
		cur, err := scanTFVersion(tx.QueryRowContext(ctx, `SELECT `+tfVersionColumns+`, v.sealed FROM tfstate_versions v
			JOIN tfstates t ON t.project = v.project AND t.name = v.name AND t.version = v.version
			WHERE v.project = ? AND v.name = ?`, v.Project, v.Name), &sealed)
		if errors.Is(err, sql.ErrNoRows) {
			cur = nil
		} else if err != nil {
			return err
		}
		ok, err := store.CheckTFWrite(cur, v)
		if err != nil {
			return err
		}
		if !ok {
			v.Version = cur.Version
			return nil
		}
		var next int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM tfstate_versions WHERE project = ? AND name = ?`,
			v.Project, v.Name).Scan(&next); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tfstate_versions (project, name, version, serial, lineage, sha256, size, sealed,
				actor, restored_from, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.Project, v.Name, next, v.Serial, v.Lineage, v.SHA256, v.Size, v.Sealed, v.Actor, v.RestoredFrom, nanos(v.CreatedAt)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tfstates (project, name, version, serial, lineage, sha256, size, updated_by, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (project, name) DO UPDATE SET version = excluded.version, serial = excluded.serial, lineage = excluded.lineage,
					sha256 = excluded.sha256, size = excluded.size, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			v.Project, v.Name, next, v.Serial, v.Lineage, v.SHA256, v.Size, v.Actor, nanos(v.CreatedAt)); err != nil {
			return err
		}
		v.Version, stored = next, true
		if audit == nil {
			return nil
		}
		if audit.Data == nil {
			audit.Data = map[string]string{}
		}
		audit.Data["version"] = strconv.FormatInt(next, 10)
		return appendAuditTx(ctx, tx, audit)
	})
	if err != nil {
		return false, fmt.Errorf("write terraform state %s: %w", tfName(v.Project, v.Name), err)
	}
	return stored, nil
}

// DeleteTFState drops the state's current version; its versions stay.
func (ts tfStateStore) DeleteTFState(ctx context.Context, project, name string, audit *store.AuditRecord) error {
	actor, at := "", time.Time{}
	if audit != nil {
		actor, at = audit.Actor, audit.Time
	}
	stamp(&at)
	err := releaseStore(ts).withAudit(ctx, audit, func(tx *sql.Tx) error {
		if err := checkLockTx(ctx, tx, project, name, ""); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE tfstates SET version = 0, serial = 0, lineage = '', sha256 = '', size = 0,
			updated_by = ?, updated_at = ? WHERE project = ? AND name = ? AND version > 0`, actor, nanos(at), project, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete terraform state %s: %w", tfName(project, name), err)
	}
	return nil
}

// LockTFState takes the state's lock.
func (ts tfStateStore) LockTFState(ctx context.Context, l *store.TFLock, audit *store.AuditRecord) error {
	if l.ID == "" {
		return fmt.Errorf("lock terraform state %s: empty lock id", tfName(l.Project, l.Name))
	}
	stamp(&l.CreatedAt)
	err := ts.s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tfstates (project, name) VALUES (?, ?) ON CONFLICT (project, name) DO NOTHING`,
			l.Project, l.Name); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO tfstate_locks (project, name, lock_id, info, actor, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project, name) DO NOTHING`,
			l.Project, l.Name, l.ID, string(l.Info), l.Actor, nanos(l.CreatedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			held, err := lockTx(ctx, tx, l.Project, l.Name)
			if err != nil {
				return err
			}
			if held != nil && held.ID == l.ID {
				return nil
			}
			return &store.TFLockError{Held: held, Given: l.ID}
		}
		if audit != nil {
			return appendAuditTx(ctx, tx, audit)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("lock terraform state %s: %w", tfName(l.Project, l.Name), err)
	}
	return nil
}

// UnlockTFState releases the state's lock.
func (ts tfStateStore) UnlockTFState(ctx context.Context, project, name, id string, audit *store.AuditRecord) (*store.TFLock, error) {
	var held *store.TFLock
	err := releaseStore(ts).withAudit(ctx, audit, func(tx *sql.Tx) error {
		var err error
		if held, err = lockTx(ctx, tx, project, name); err != nil {
			return err
		}
		if held == nil {
			return store.ErrNotFound
		}
		if id != "" && held.ID != id {
			return &store.TFLockError{Held: held, Given: id}
		}
		if audit != nil {
			if audit.Data == nil {
				audit.Data = map[string]string{}
			}
			audit.Data["lock"] = held.ID
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tfstate_locks WHERE project = ? AND name = ?`, project, name); err != nil {
			return err
		}
		// A state locked but never written leaves nothing behind.
		_, err = tx.ExecContext(ctx, `DELETE FROM tfstates WHERE project = ? AND name = ? AND version = 0
			AND NOT EXISTS (SELECT 1 FROM tfstate_versions v WHERE v.project = ? AND v.name = ?)`, project, name, project, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("unlock terraform state %s: %w", tfName(project, name), err)
	}
	return held, nil
}

// ResealTFStateVersion replaces a version's sealed content.
func (ts tfStateStore) ResealTFStateVersion(ctx context.Context, project, name string, version int64, sealed []byte) error {
	err := ts.s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tfstate_versions SET sealed = ? WHERE project = ? AND name = ? AND version = ?`,
			sealed, project, name, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reseal terraform state %s version %d: %w", tfName(project, name), version, err)
	}
	return nil
}
