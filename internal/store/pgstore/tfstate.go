package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-ci/sluice/internal/store"
)

// tfStateStore implements store.TFStateStore. Every change first makes
// sure the state's tfstates row exists and locks it (SELECT ... FOR
// UPDATE) for the rest of its transaction, so changes to one state take
// turns across connections and processes: a check (the lock, the serial)
// and the change it allows are never interleaved with another change.
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

func versionText(v int64) string {
	if v == 0 {
		return "current"
	}
	return strconv.FormatInt(v, 10)
}

const tfStateSelect = `SELECT t.project, t.name, t.version, t.serial, t.lineage, t.sha256, t.size, t.updated_by, t.updated_at,
		l.lock_id, l.info, l.actor, l.created_at
	FROM tfstates t LEFT JOIN tfstate_locks l ON l.project = t.project AND l.name = t.name`

func scanTFState(row pgx.CollectableRow) (*store.TFState, error) {
	var (
		x               store.TFState
		at, lat         pgtype.Timestamptz
		lid, li, lactor pgtype.Text
	)
	if err := row.Scan(&x.Project, &x.Name, &x.Version, &x.Serial, &x.Lineage, &x.SHA256, &x.Size, &x.UpdatedBy, &at,
		&lid, &li, &lactor, &lat); err != nil {
		return nil, err
	}
	x.UpdatedAt = fromTS(at)
	if lid.Valid {
		x.Lock = &store.TFLock{Project: x.Project, Name: x.Name, ID: lid.String, Info: []byte(li.String), Actor: lactor.String, CreatedAt: fromTS(lat)}
	}
	return &x, nil
}

// listTFStates reads the states the query tail selects.
func (ts tfStateStore) listTFStates(ctx context.Context, tail string, args ...any) ([]*store.TFState, error) {
	var list []*store.TFState
	err := ts.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, tfStateSelect+tail, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanTFState)
		return err
	})
	return list, err
}

// GetTFState returns a state's record with its lock.
func (ts tfStateStore) GetTFState(ctx context.Context, project, name string) (*store.TFState, error) {
	if !storable(project) || !storable(name) {
		return nil, fmt.Errorf("terraform state %s: %w", tfName(project, name), store.ErrNotFound)
	}
	list, err := ts.listTFStates(ctx, ` WHERE t.project = $1 AND t.name = $2`, project, name)
	if err != nil {
		return nil, fmt.Errorf("get terraform state %s: %w", tfName(project, name), err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("terraform state %s: %w", tfName(project, name), store.ErrNotFound)
	}
	return list[0], nil
}

// ListTFStates returns every state by project and name.
func (ts tfStateStore) ListTFStates(ctx context.Context) ([]*store.TFState, error) {
	list, err := ts.listTFStates(ctx, ` ORDER BY t.project, t.name`)
	if err != nil {
		return nil, fmt.Errorf("list terraform states: %w", err)
	}
	return list, nil
}

const tfVersionColumns = `v.project, v.name, v.version, v.serial, v.lineage, v.sha256, v.size, v.actor, v.restored_from, v.created_at`

func scanTFVersion(row pgx.CollectableRow) (*store.TFStateVersion, error) {
	var (
		v  store.TFStateVersion
		at pgtype.Timestamptz
	)
	if err := row.Scan(&v.Project, &v.Name, &v.Version, &v.Serial, &v.Lineage, &v.SHA256, &v.Size, &v.Actor, &v.RestoredFrom, &at); err != nil {
		return nil, err
	}
	v.CreatedAt = fromTS(at)
	return &v, nil
}

func scanTFVersionSealed(row pgx.CollectableRow) (*store.TFStateVersion, error) {
	var (
		v  store.TFStateVersion
		at pgtype.Timestamptz
	)
	if err := row.Scan(&v.Project, &v.Name, &v.Version, &v.Serial, &v.Lineage, &v.SHA256, &v.Size, &v.Actor, &v.RestoredFrom, &at, &v.Sealed); err != nil {
		return nil, err
	}
	v.CreatedAt = fromTS(at)
	return &v, nil
}

// currentVersionQuery selects a state's current version with its content.
const currentVersionQuery = `SELECT ` + tfVersionColumns + `, v.sealed FROM tfstate_versions v
	JOIN tfstates t ON t.project = v.project AND t.name = v.name AND t.version = v.version
	WHERE v.project = $1 AND v.name = $2`

// GetTFStateVersion returns one version with its sealed content (0: the
// current one).
func (ts tfStateStore) GetTFStateVersion(ctx context.Context, project, name string, version int64) (*store.TFStateVersion, error) {
	if !storable(project) || !storable(name) {
		return nil, fmt.Errorf("terraform state %s version %s: %w", tfName(project, name), versionText(version), store.ErrNotFound)
	}
	q := `SELECT ` + tfVersionColumns + `, v.sealed FROM tfstate_versions v WHERE v.project = $1 AND v.name = $2 AND v.version = $3`
	args := []any{project, name, version}
	if version == 0 {
		q, args = currentVersionQuery, args[:2]
	}
	var list []*store.TFStateVersion
	err := ts.s.do(ctx, func(qr querier) error {
		rows, err := qr.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanTFVersionSealed)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get terraform state %s version %s: %w", tfName(project, name), versionText(version), err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("terraform state %s version %s: %w", tfName(project, name), versionText(version), store.ErrNotFound)
	}
	return list[0], nil
}

// ListTFStateVersions returns a state's versions, oldest first, without
// their content.
func (ts tfStateStore) ListTFStateVersions(ctx context.Context, project, name string) ([]*store.TFStateVersion, error) {
	if !storable(project) || !storable(name) {
		return nil, nil
	}
	var list []*store.TFStateVersion
	err := ts.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+tfVersionColumns+` FROM tfstate_versions v WHERE v.project = $1 AND v.name = $2 ORDER BY v.version`,
			project, name)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanTFVersion)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list versions of terraform state %s: %w", tfName(project, name), err)
	}
	return list, nil
}

// lockStateTx makes sure the state's row exists and locks it until the
// transaction ends.
func lockStateTx(ctx context.Context, tx pgx.Tx, project, name string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO tfstates (project, name) VALUES ($1, $2) ON CONFLICT (project, name) DO NOTHING`, project, name); err != nil {
		return err
	}
	var v int64
	return tx.QueryRow(ctx, `SELECT version FROM tfstates WHERE project = $1 AND name = $2 FOR UPDATE`, project, name).Scan(&v)
}

// heldLockTx returns the lock held on a state, nil when none.
func heldLockTx(ctx context.Context, tx pgx.Tx, project, name string) (*store.TFLock, error) {
	l := store.TFLock{Project: project, Name: name}
	var (
		info string
		at   pgtype.Timestamptz
	)
	err := tx.QueryRow(ctx, `SELECT lock_id, info, actor, created_at FROM tfstate_locks WHERE project = $1 AND name = $2`,
		project, name).Scan(&l.ID, &info, &l.Actor, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	l.Info, l.CreatedAt = []byte(info), fromTS(at)
	return &l, nil
}

// checkLockTx refuses a change the state's lock forbids: lockID must be
// the id of the lock held, or "" when none is.
func checkLockTx(ctx context.Context, tx pgx.Tx, project, name, lockID string) error {
	held, err := heldLockTx(ctx, tx, project, name)
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
	if audit != nil && audit.Action == "" {
		return false, errors.New("append audit record: empty action")
	}
	stamp(&v.CreatedAt)
	stored := false
	err := ts.s.inTx(ctx, func(tx pgx.Tx) error {
		stored = false
		if err := lockStateTx(ctx, tx, v.Project, v.Name); err != nil {
			return err
		}
		if err := checkLockTx(ctx, tx, v.Project, v.Name, lockID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, currentVersionQuery, v.Project, v.Name)
		if err != nil {
			return err
		}
		curs, err := pgx.CollectRows(rows, scanTFVersionSealed)
		if err != nil {
			return err
		}
		var cur *store.TFStateVersion
		if len(curs) > 0 {
			cur = curs[0]
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
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM tfstate_versions WHERE project = $1 AND name = $2`,
			v.Project, v.Name).Scan(&next); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tfstate_versions (project, name, version, serial, lineage, sha256, size, sealed,
				actor, restored_from, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			v.Project, v.Name, next, v.Serial, v.Lineage, v.SHA256, v.Size, v.Sealed, v.Actor, v.RestoredFrom, v.CreatedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tfstates SET version = $3, serial = $4, lineage = $5, sha256 = $6, size = $7,
				updated_by = $8, updated_at = $9 WHERE project = $1 AND name = $2`,
			v.Project, v.Name, next, v.Serial, v.Lineage, v.SHA256, v.Size, v.Actor, v.CreatedAt); err != nil {
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
	err := releaseStore(ts).withAudit(ctx, audit, func(tx pgx.Tx) error {
		if err := lockStateTx(ctx, tx, project, name); err != nil {
			return err
		}
		if err := checkLockTx(ctx, tx, project, name, ""); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE tfstates SET version = 0, serial = 0, lineage = '', sha256 = '', size = 0,
			updated_by = $3, updated_at = $4 WHERE project = $1 AND name = $2 AND version > 0`, project, name, actor, at)
		if err != nil {
			return err
		}
		return mustAffect(tag.RowsAffected())
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
	if audit != nil && audit.Action == "" {
		return errors.New("append audit record: empty action")
	}
	stamp(&l.CreatedAt)
	err := ts.s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockStateTx(ctx, tx, l.Project, l.Name); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO tfstate_locks (project, name, lock_id, info, actor, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project, name) DO NOTHING`,
			l.Project, l.Name, l.ID, string(l.Info), l.Actor, l.CreatedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			held, err := heldLockTx(ctx, tx, l.Project, l.Name)
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
	err := releaseStore(ts).withAudit(ctx, audit, func(tx pgx.Tx) error {
		if err := lockStateTx(ctx, tx, project, name); err != nil {
			return err
		}
		var err error
		if held, err = heldLockTx(ctx, tx, project, name); err != nil {
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
		if _, err := tx.Exec(ctx, `DELETE FROM tfstate_locks WHERE project = $1 AND name = $2`, project, name); err != nil {
			return err
		}
		// A state locked but never written leaves nothing behind.
		_, err = tx.Exec(ctx, `DELETE FROM tfstates t WHERE t.project = $1 AND t.name = $2 AND t.version = 0
			AND NOT EXISTS (SELECT 1 FROM tfstate_versions v WHERE v.project = t.project AND v.name = t.name)`, project, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("unlock terraform state %s: %w", tfName(project, name), err)
	}
	return held, nil
}

// ResealTFStateVersion replaces a version's sealed content.
func (ts tfStateStore) ResealTFStateVersion(ctx context.Context, project, name string, version int64, sealed []byte) error {
	err := ts.s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tfstate_versions SET sealed = $4 WHERE project = $1 AND name = $2 AND version = $3`,
			project, name, version, sealed)
		if err != nil {
			return err
		}
		return mustAffect(tag.RowsAffected())
	})
	if err != nil {
		return fmt.Errorf("reseal terraform state %s version %d: %w", tfName(project, name), version, err)
	}
	return nil
}
