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

// releaseStore implements store.ReleaseStore.
type releaseStore struct{ s *Store }

// stamp sets *t to now when zero, and truncates it to microseconds.
func stamp(t *time.Time) {
	if t.IsZero() {
		*t = time.Now()
	}
	*t = t.UTC().Truncate(time.Microsecond)
}

// withAudit runs fn and, when audit is not nil, appends it, in one
// transaction.
func (rs releaseStore) withAudit(ctx context.Context, audit *store.AuditRecord, fn func(tx pgx.Tx) error) error {
	if audit != nil && audit.Action == "" {
		return errors.New("append audit record: empty action")
	}
	return rs.s.inTx(ctx, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if audit != nil {
			return appendAuditTx(ctx, tx, audit)
		}
		return nil
	})
}

// mustAffect turns "no row changed" into store.ErrNotFound.
func mustAffect(n int64) error {
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// CreateRelease stores r and its audit record.
func (rs releaseStore) CreateRelease(ctx context.Context, r *store.Release, audit *store.AuditRecord) error {
	if r.ID == "" {
		return errors.New("create release: empty id")
	}
	stamp(&r.CreatedAt)
	r.UpdatedAt = r.CreatedAt
	err := rs.withAudit(ctx, audit, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO releases (id, env, version, artifact, digest, run_id, strategy, config,
				state, step, weight, message, request, actor, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			r.ID, r.Env, r.Version, r.Artifact, r.Digest, r.RunID, r.Strategy, r.Config,
			r.State, r.Step, r.Weight, r.Message, r.Request, r.Actor, r.CreatedAt, r.UpdatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("create release %s: %w", r.ID, constraintErr(err, ""))
	}
	return nil
}

const releaseColumns = `id, env, version, artifact, digest, run_id, strategy, config, state, step, weight,
	message, request, actor, created_at, updated_at`

// scanRelease reads one row of releaseColumns.
func scanRelease(row pgx.CollectableRow) (*store.Release, error) {
	var (
		r        store.Release
		cat, uat pgtype.Timestamptz
	)
	if err := row.Scan(&r.ID, &r.Env, &r.Version, &r.Artifact, &r.Digest, &r.RunID, &r.Strategy, &r.Config,
		&r.State, &r.Step, &r.Weight, &r.Message, &r.Request, &r.Actor, &cat, &uat); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromTS(cat), fromTS(uat)
	return &r, nil
}

// listReleases reads the releases the query tail selects.
func (rs releaseStore) listReleases(ctx context.Context, tail string, args ...any) ([]*store.Release, error) {
	var list []*store.Release
	err := rs.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+releaseColumns+` FROM releases `+tail, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanRelease)
		return err
	})
	return list, err
}

// GetRelease finds a release by id.
func (rs releaseStore) GetRelease(ctx context.Context, id string) (*store.Release, error) {
	if !storable(id) {
		return nil, fmt.Errorf("release %q: %w", id, store.ErrNotFound)
	}
	list, err := rs.listReleases(ctx, `WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("get release %s: %w", id, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("release %s: %w", id, store.ErrNotFound)
	}
	return list[0], nil
}

// UpdateRelease writes r's mutable fields and its audit record.
func (rs releaseStore) UpdateRelease(ctx context.Context, r *store.Release, audit *store.AuditRecord) error {
	r.UpdatedAt = time.Time{}
	stamp(&r.UpdatedAt)
	err := rs.withAudit(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE releases SET version = $1, artifact = $2, digest = $3, strategy = $4,
				config = $5, state = $6, step = $7, weight = $8, message = $9, request = $10, updated_at = $11
			WHERE id = $12`,
			r.Version, r.Artifact, r.Digest, r.Strategy, r.Config, r.State, r.Step, r.Weight, r.Message, r.Request,
			r.UpdatedAt, r.ID)
		if err != nil {
			return err
		}
		return mustAffect(tag.RowsAffected())
	})
	if err != nil {
		return fmt.Errorf("update release %s: %w", r.ID, err)
	}
	return nil
}

// SetReleaseRequest records a person's request for the controller.
func (rs releaseStore) SetReleaseRequest(ctx context.Context, id, request string, audit *store.AuditRecord) error {
	err := rs.withAudit(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE releases SET request = $1, updated_at = $2 WHERE id = $3`,
			request, now(), id)
		if err != nil {
			return err
		}
		return mustAffect(tag.RowsAffected())
	})
	if err != nil {
		return fmt.Errorf("request %s of release %s: %w", request, id, err)
	}
	return nil
}

// ListReleases returns env's releases, newest first; releases created at
// the same instant, the one created last first.
func (rs releaseStore) ListReleases(ctx context.Context, env string, limit int) ([]*store.Release, error) {
	list, err := rs.listReleases(ctx, `WHERE env = $1 ORDER BY created_at DESC, ordinal DESC LIMIT $2`,
		env, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list releases of %s: %w", env, err)
	}
	return list, nil
}

// PutInstance inserts or replaces an instance.
func (rs releaseStore) PutInstance(ctx context.Context, in *store.Instance) error {
	in.UpdatedAt = time.Time{}
	stamp(&in.UpdatedAt)
	err := rs.s.do(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `INSERT INTO instances (release_id, replica, state, addr, data, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (release_id, replica) DO UPDATE SET state = excluded.state, addr = excluded.addr,
				data = excluded.data, updated_at = excluded.updated_at`,
			in.ReleaseID, in.Replica, in.State, in.Addr, in.Data, in.UpdatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("put instance %d of release %s: %w", in.Replica, in.ReleaseID,
			constraintErr(err, "release "+in.ReleaseID))
	}
	return nil
}

// ListInstances returns a release's instances by replica.
func (rs releaseStore) ListInstances(ctx context.Context, releaseID string) ([]*store.Instance, error) {
	var list []*store.Instance
	err := rs.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT release_id, replica, state, addr, data, updated_at
			FROM instances WHERE release_id = $1 ORDER BY replica`, releaseID)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Instance, error) {
			var (
				in store.Instance
				at pgtype.Timestamptz
			)
			if err := row.Scan(&in.ReleaseID, &in.Replica, &in.State, &in.Addr, &in.Data, &at); err != nil {
				return nil, err
			}
			in.UpdatedAt = fromTS(at)
			return &in, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list instances of %s: %w", releaseID, err)
	}
	return list, nil
}

// GetEnv returns env's state.
// ListEnvs returns every environment's state, by name.
func (rs releaseStore) ListEnvs(ctx context.Context) ([]*store.EnvState, error) {
	var list []*store.EnvState
	err := rs.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT env, live, previous, candidate, listen, updated_at FROM environments ORDER BY env`)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.EnvState, error) {
			var (
				e  store.EnvState
				at pgtype.Timestamptz
			)
			if err := row.Scan(&e.Env, &e.Live, &e.Previous, &e.Candidate, &e.Listen, &at); err != nil {
				return nil, err
			}
			e.UpdatedAt = fromTS(at)
			return &e, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	return list, nil
}

func (rs releaseStore) GetEnv(ctx context.Context, env string) (*store.EnvState, error) {
	if !storable(env) {
		return nil, fmt.Errorf("environment %q: %w", env, store.ErrNotFound)
	}
	var (
		e     store.EnvState
		at    pgtype.Timestamptz
		found bool
	)
	err := rs.s.do(ctx, func(q querier) error {
		err := q.QueryRow(ctx, `SELECT env, live, previous, candidate, listen, updated_at
			FROM environments WHERE env = $1`, env).
			Scan(&e.Env, &e.Live, &e.Previous, &e.Candidate, &e.Listen, &at)
		found = err == nil
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get environment %s: %w", env, err)
	}
	if !found {
		return nil, fmt.Errorf("environment %s: %w", env, store.ErrNotFound)
	}
	e.UpdatedAt = fromTS(at)
	return &e, nil
}

// PutEnv writes env's state and its audit record.
func (rs releaseStore) PutEnv(ctx context.Context, e *store.EnvState, audit *store.AuditRecord) error {
	e.UpdatedAt = time.Time{}
	stamp(&e.UpdatedAt)
	err := rs.withAudit(ctx, audit, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO environments (env, live, previous, candidate, listen, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (env) DO UPDATE SET live = excluded.live, previous = excluded.previous,
				candidate = excluded.candidate, listen = excluded.listen, updated_at = excluded.updated_at`,
			e.Env, e.Live, e.Previous, e.Candidate, e.Listen, e.UpdatedAt)
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
	err := rs.s.do(ctx, func(qr querier) error {
		_, err := qr.Exec(ctx, `INSERT INTO quarantine (env, digest, release_id, reason, created_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (env, digest) DO UPDATE SET release_id = excluded.release_id, reason = excluded.reason,
				created_at = excluded.created_at`,
			q.Env, q.Digest, q.ReleaseID, q.Reason, q.CreatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("quarantine %s in %s: %w", q.Digest, q.Env, err)
	}
	return nil
}

// GetQuarantine returns the quarantine of digest in env.
func (rs releaseStore) GetQuarantine(ctx context.Context, env, digest string) (*store.Quarantine, error) {
	if !storable(env) || !storable(digest) {
		return nil, fmt.Errorf("quarantine of %q in %q: %w", digest, env, store.ErrNotFound)
	}
	var (
		q     store.Quarantine
		at    pgtype.Timestamptz
		found bool
	)
	err := rs.s.do(ctx, func(qr querier) error {
		err := qr.QueryRow(ctx, `SELECT env, digest, release_id, reason, created_at
			FROM quarantine WHERE env = $1 AND digest = $2`, env, digest).
			Scan(&q.Env, &q.Digest, &q.ReleaseID, &q.Reason, &at)
		found = err == nil
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get quarantine of %s in %s: %w", digest, env, err)
	}
	if !found {
		return nil, fmt.Errorf("quarantine of %s in %s: %w", digest, env, store.ErrNotFound)
	}
	q.CreatedAt = fromTS(at)
	return &q, nil
}
