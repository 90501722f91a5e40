package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// releaseStore implements store.ReleaseStore.
type releaseStore struct{ s *Store }

func stamp(t *time.Time) {
	if t.IsZero() {
		*t = time.Now()
	}
	*t = t.UTC().Truncate(time.Microsecond)
}

// withAudit runs fn and, when audit is not nil, appends it, in one
// transaction.
func (rs releaseStore) withAudit(ctx context.Context, audit *store.AuditRecord, fn func(tx *sql.Tx) error) error {
	return rs.s.inTx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if audit != nil {
			return appendAuditTx(ctx, tx, audit)
		}
		return nil
	})
}

// CreateRelease stores r and its audit record.
func (rs releaseStore) CreateRelease(ctx context.Context, r *store.Release, audit *store.AuditRecord) error {
	if r.ID == "" {
		return errors.New("create release: empty id")
	}
	stamp(&r.CreatedAt)
	r.UpdatedAt = r.CreatedAt
	err := rs.withAudit(ctx, audit, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO releases (id, env, version, artifact, digest, run_id, strategy, config,
				state, step, weight, message, request, actor, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Env, r.Version, r.Artifact, r.Digest, r.RunID, r.Strategy, r.Config,
			r.State, r.Step, r.Weight, r.Message, r.Request, r.Actor, nanos(r.CreatedAt), nanos(r.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create release %s: %w", r.ID, constraintErr(err, ""))
	}
	return nil
}

const releaseColumns = `id, env, version, artifact, digest, run_id, strategy, config, state, step, weight,
	message, request, actor, created_at, updated_at`

func scanRelease(row interface{ Scan(...any) error }) (*store.Release, error) {
	var (
		r        store.Release
		cat, uat sql.NullInt64
	)
	if err := row.Scan(&r.ID, &r.Env, &r.Version, &r.Artifact, &r.Digest, &r.RunID, &r.Strategy, &r.Config,
		&r.State, &r.Step, &r.Weight, &r.Message, &r.Request, &r.Actor, &cat, &uat); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromNanos(cat), fromNanos(uat)
	return &r, nil
}

// GetRelease finds a release by id.
func (rs releaseStore) GetRelease(ctx context.Context, id string) (*store.Release, error) {
	r, err := scanRelease(rs.s.r.QueryRowContext(ctx, `SELECT `+releaseColumns+` FROM releases WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("release %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get release %s: %w", id, err)
	}
	return r, nil
}

// UpdateRelease writes r's mutable fields and its audit record.
func (rs releaseStore) UpdateRelease(ctx context.Context, r *store.Release, audit *store.AuditRecord) error {
	r.UpdatedAt = time.Time{}
	stamp(&r.UpdatedAt)
	err := rs.withAudit(ctx, audit, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE releases SET version = ?, artifact = ?, digest = ?, strategy = ?, config = ?,
				state = ?, step = ?, weight = ?, message = ?, request = ?, updated_at = ? WHERE id = ?`,
			r.Version, r.Artifact, r.Digest, r.Strategy, r.Config, r.State, r.Step, r.Weight, r.Message, r.Request,
			nanos(r.UpdatedAt), r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update release %s: %w", r.ID, err)
	}
	return nil
}

// SetReleaseRequest records a person's request for the controller.
func (rs releaseStore) SetReleaseRequest(ctx context.Context, id, request string, audit *store.AuditRecord) error {
	err := rs.withAudit(ctx, audit, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE releases SET request = ?, updated_at = ? WHERE id = ?`,
			request, time.Now().UTC().UnixNano(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("request %s of release %s: %w", request, id, err)
	}
	return nil
}

// ListReleases returns env's releases, newest first.
func (rs releaseStore) ListReleases(ctx context.Context, env string, limit int) ([]*store.Release, error) {
	q := `SELECT ` + releaseColumns + ` FROM releases WHERE env = ? ORDER BY created_at DESC, rowid DESC`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := rs.s.r.QueryContext(ctx, q, env)
	if err != nil {
		return nil, fmt.Errorf("list releases of %s: %w", env, err)
	}
	defer rows.Close()
	var list []*store.Release
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, fmt.Errorf("list releases of %s: %w", env, err)
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

// PutInstance inserts or replaces an instance.
func (rs releaseStore) PutInstance(ctx context.Context, in *store.Instance) error {
	in.UpdatedAt = time.Time{}
	stamp(&in.UpdatedAt)
	_, err := rs.s.w.ExecContext(ctx, `INSERT INTO instances (release_id, replica, state, addr, data, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (release_id, replica) DO UPDATE SET state = excluded.state, addr = excluded.addr,
			data = excluded.data, updated_at = excluded.updated_at`,
		in.ReleaseID, in.Replica, in.State, in.Addr, in.Data, nanos(in.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put instance %d of release %s: %w", in.Replica, in.ReleaseID, constraintErr(err, "release "+in.ReleaseID))
	}
	return nil
}

// ListInstances returns a release's instances by replica.
func (rs releaseStore) ListInstances(ctx context.Context, releaseID string) ([]*store.Instance, error) {
	rows, err := rs.s.r.QueryContext(ctx, `SELECT release_id, replica, state, addr, data, updated_at
		FROM instances WHERE release_id = ? ORDER BY replica`, releaseID)
	if err != nil {
		return nil, fmt.Errorf("list instances of %s: %w", releaseID, err)
	}
	defer rows.Close()
	var list []*store.Instance
	for rows.Next() {
		var (
			in store.Instance
			at sql.NullInt64
		)
		if err := rows.Scan(&in.ReleaseID, &in.Replica, &in.State, &in.Addr, &in.Data, &at); err != nil {
			return nil, fmt.Errorf("list instances of %s: %w", releaseID, err)
		}
		in.UpdatedAt = fromNanos(at)
		list = append(list, &in)
	}
	return list, rows.Err()
}

// GetEnv returns env's state.
func (rs releaseStore) GetEnv(ctx context.Context, env string) (*store.EnvState, error) {
	var (
		e  store.EnvState
		at sql.NullInt64
	)
	err := rs.s.r.QueryRowContext(ctx, `SELECT env, live, previous, candidate, listen, updated_at FROM environments WHERE env = ?`, env).
		Scan(&e.Env, &e.Live, &e.Previous, &e.Candidate, &e.Listen, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("environment %s: %w", env, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get environment %s: %w", env, err)
	}
	e.UpdatedAt = fromNanos(at)
	return &e, nil
}

// ListEnvs returns every environment's state, by name.
func (rs releaseStore) ListEnvs(ctx context.Context) ([]*store.EnvState, error) {
	rows, err := rs.s.r.QueryContext(ctx, `SELECT env, live, previous, candidate, listen, updated_at FROM environments ORDER BY env`)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	defer rows.Close()
	var list []*store.EnvState
	for rows.Next() {
		var (
			e  store.EnvState
			at sql.NullInt64
		)
		if err := rows.Scan(&e.Env, &e.Live, &e.Previous, &e.Candidate, &e.Listen, &at); err != nil {
			return nil, fmt.Errorf("list environments: %w", err)
		}
		e.UpdatedAt = fromNanos(at)
		list = append(list, &e)
	}
	return list, rows.Err()
}

// PutEnv writes env's state and its audit record.
func (rs releaseStore) PutEnv(ctx context.Context, e *store.EnvState, audit *store.AuditRecord) error {
	e.UpdatedAt = time.Time{}
	stamp(&e.UpdatedAt)
	err := rs.withAudit(ctx, audit, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO environments (env, live, previous, candidate, listen, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (env) DO UPDATE SET live = excluded.live, previous = excluded.previous,
				candidate = excluded.candidate, listen = excluded.listen, updated_at = excluded.updated_at`,
			e.Env, e.Live, e.Previous, e.Candidate, e.Listen, nanos(e.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("put environment %s: %w", e.Env, err)
	}
	return nil
}

// PutQuarantine records (or replaces) a quarantined digest.
func (rs releaseStore) PutQuarantine(ctx context.Context, q *store.Quarantine) error {
	stamp(&q.CreatedAt)
	_, err := rs.s.w.ExecContext(ctx, `INSERT INTO quarantine (env, digest, release_id, reason, created_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (env, digest) DO UPDATE SET release_id = excluded.release_id, reason = excluded.reason,
			created_at = excluded.created_at`,
		q.Env, q.Digest, q.ReleaseID, q.Reason, nanos(q.CreatedAt))
	if err != nil {
		return fmt.Errorf("quarantine %s in %s: %w", q.Digest, q.Env, err)
	}
	return nil
}

// GetQuarantine returns the quarantine of digest in env.
func (rs releaseStore) GetQuarantine(ctx context.Context, env, digest string) (*store.Quarantine, error) {
	var (
		q  store.Quarantine
		at sql.NullInt64
	)
	err := rs.s.r.QueryRowContext(ctx, `SELECT env, digest, release_id, reason, created_at FROM quarantine WHERE env = ? AND digest = ?`,
		env, digest).Scan(&q.Env, &q.Digest, &q.ReleaseID, &q.Reason, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("quarantine of %s in %s: %w", digest, env, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get quarantine of %s in %s: %w", digest, env, err)
	}
	q.CreatedAt = fromNanos(at)
	return &q, nil
}
