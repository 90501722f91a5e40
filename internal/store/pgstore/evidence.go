package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-ci/sluice/internal/store"
)

// evidenceStore implements store.EvidenceStore.
type evidenceStore struct{ s *Store }

// PutEvidence stores e, replacing the evidence of the same (RunID, JobID,
// Kind).
func (es evidenceStore) PutEvidence(ctx context.Context, e *store.Evidence) error {
	sum := sha256.Sum256(e.Body)
	e.Digest = "sha256:" + hex.EncodeToString(sum[:])
	// Like the other records whose time the store owns, the caller's copy
	// gets the microseconds PostgreSQL keeps.
	stamp(&e.CreatedAt)
	body := e.Body
	if body == nil {
		body = []byte{}
	}
	err := es.s.do(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `INSERT INTO evidence (run_id, job_id, kind, digest, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (run_id, job_id, kind) DO UPDATE SET
				digest = excluded.digest, body = excluded.body, created_at = excluded.created_at`,
			e.RunID, e.JobID, e.Kind, e.Digest, body, e.CreatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("put evidence %s of %s/%s: %w", e.Kind, e.RunID, e.JobID, constraintErr(err, "run "+e.RunID))
	}
	return nil
}

// ListEvidence returns a run's evidence ordered by job and kind.
func (es evidenceStore) ListEvidence(ctx context.Context, runID string) ([]*store.Evidence, error) {
	var list []*store.Evidence
	err := es.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT run_id, job_id, kind, digest, body, created_at
			FROM evidence WHERE run_id = $1 ORDER BY job_id, kind`, runID)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Evidence, error) {
			var (
				e  store.Evidence
				at pgtype.Timestamptz
			)
			if err := row.Scan(&e.RunID, &e.JobID, &e.Kind, &e.Digest, &e.Body, &at); err != nil {
				return nil, err
			}
			e.CreatedAt = fromTS(at)
			return &e, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list evidence of %s: %w", runID, err)
	}
	return list, nil
}

// decisionStore implements store.DecisionStore.
type decisionStore struct{ s *Store }

// PutDecision appends d and sets its ID. It runs in a transaction: an
// INSERT is not idempotent, and only a transaction whose COMMIT was not
// sent can safely be tried again on a new connection.
func (ds decisionStore) PutDecision(ctx context.Context, d *store.Decision) error {
	stamp(&d.CreatedAt)
	digests, err := encodeJSON(d.Digests, "{}")
	if err != nil {
		return fmt.Errorf("put decision of %s: %w", d.RunID, err)
	}
	body := d.Body
	if body == nil {
		body = []byte{}
	}
	var id int64
	err = ds.s.inTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO decisions (run_id, job_id, env, outcome, actor, digests, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			d.RunID, d.JobID, d.Env, d.Outcome, d.Actor, digests, body, d.CreatedAt).Scan(&id)
	})
	if err != nil {
		return fmt.Errorf("put decision of %s for %s: %w", d.RunID, d.Env, constraintErr(err, "run "+d.RunID))
	}
	d.ID = id
	return nil
}

// ListDecisions returns a run's decisions, oldest first.
func (ds decisionStore) ListDecisions(ctx context.Context, runID string) ([]*store.Decision, error) {
	var list []*store.Decision
	err := ds.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT id, run_id, job_id, env, outcome, actor, digests, body, created_at
			FROM decisions WHERE run_id = $1 ORDER BY id`, runID)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Decision, error) {
			var (
				d       store.Decision
				digests string
				at      pgtype.Timestamptz
			)
			if err := row.Scan(&d.ID, &d.RunID, &d.JobID, &d.Env, &d.Outcome, &d.Actor, &digests, &d.Body, &at); err != nil {
				return nil, err
			}
			var err error
			if d.Digests, err = decodeMap(digests); err != nil {
				return nil, fmt.Errorf("decision %d: %w", d.ID, err)
			}
			d.CreatedAt = fromTS(at)
			return &d, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list decisions of %s: %w", runID, err)
	}
	return list, nil
}

// auditStore implements store.AuditStore.
type auditStore struct{ s *Store }

// AppendAudit appends r after the last record, in a transaction of its own.
func (as auditStore) AppendAudit(ctx context.Context, r *store.AuditRecord) error {
	if r.Action == "" {
		return errors.New("append audit record: empty action")
	}
	return as.s.inTx(ctx, func(tx pgx.Tx) error { return appendAuditTx(ctx, tx, r) })
}

// appendAuditTx appends r inside tx, so a state change and its audit
// record commit together. It locks the 'audit' row of store_locks for the
// rest of tx before reading the last record, so appends from every
// connection and process are serialised and the chain never forks.
func appendAuditTx(ctx context.Context, tx pgx.Tx, r *store.AuditRecord) error {
	if r.Action == "" {
		return errors.New("append audit record: empty action")
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	// Microseconds: what every store keeps, so the hash verifies everywhere.
	r.Time = r.Time.UTC().Truncate(time.Microsecond)
	data, err := encodeJSON(r.Data, "{}")
	if err != nil {
		return fmt.Errorf("append audit record %s: %w", r.Action, err)
	}
	if err := lockRow(ctx, tx, "audit"); err != nil {
		return fmt.Errorf("append audit record %s: %w", r.Action, err)
	}
	var (
		seq  int64
		prev string
	)
	err = tx.QueryRow(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("append audit record %s: %w", r.Action, err)
	}
	r.Seq, r.PrevHash = seq+1, prev
	r.Hash = store.AuditHash(prev, r)
	_, err = tx.Exec(ctx, `INSERT INTO audit (seq, time, actor, action, subject, data, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.Seq, r.Time, r.Actor, r.Action, r.Subject, data, r.PrevHash, r.Hash)
	if err != nil {
		return fmt.Errorf("append audit record %s: %w", r.Action, err)
	}
	return nil
}

// ListAudit returns the records q selects, by Seq.
func (as auditStore) ListAudit(ctx context.Context, q store.AuditQuery) ([]*store.AuditRecord, error) {
	sql := `SELECT seq, time, actor, action, subject, data, prev_hash, hash FROM audit WHERE seq > $1`
	args := []any{q.AfterSeq}
	if q.SubjectPrefix != "" {
		if !storable(q.SubjectPrefix) {
			return nil, nil // no stored subject starts with it
		}
		// subject has the "C" collation: the range is exactly the prefix.
		sql += ` AND subject >= $2`
		args = append(args, q.SubjectPrefix)
		if end := prefixEnd(q.SubjectPrefix); end != "" {
			sql += ` AND subject < $3`
			args = append(args, end)
		}
	}
	sql += fmt.Sprintf(` ORDER BY seq LIMIT $%d`, len(args)+1)
	args = append(args, limitArg(q.Limit))
	var list []*store.AuditRecord
	err := as.s.do(ctx, func(qr querier) error {
		rows, err := qr.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.AuditRecord, error) {
			var (
				r    store.AuditRecord
				at   pgtype.Timestamptz
				data string
			)
			if err := row.Scan(&r.Seq, &at, &r.Actor, &r.Action, &r.Subject, &data, &r.PrevHash, &r.Hash); err != nil {
				return nil, err
			}
			r.Time = fromTS(at)
			var err error
			if r.Data, err = decodeMap(data); err != nil {
				return nil, fmt.Errorf("audit record %d: %w", r.Seq, err)
			}
			return &r, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit records: %w", err)
	}
	return list, nil
}
