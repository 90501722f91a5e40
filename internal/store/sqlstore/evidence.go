package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// evidenceStore implements store.EvidenceStore.
type evidenceStore struct{ s *Store }

// PutEvidence stores e, replacing the evidence of the same (RunID, JobID,
// Kind).
func (es evidenceStore) PutEvidence(ctx context.Context, e *store.Evidence) error {
	sum := sha256.Sum256(e.Body)
	e.Digest = "sha256:" + hex.EncodeToString(sum[:])
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	}
	body := e.Body
	if body == nil {
		body = []byte{}
	}
	_, err := es.s.w.ExecContext(ctx, `INSERT INTO evidence (run_id, job_id, kind, digest, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id, job_id, kind) DO UPDATE SET
			digest = excluded.digest, body = excluded.body, created_at = excluded.created_at`,
		e.RunID, e.JobID, e.Kind, e.Digest, body, nanos(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("put evidence %s of %s/%s: %w", e.Kind, e.RunID, e.JobID, constraintErr(err, "run "+e.RunID))
	}
	return nil
}

// ListEvidence returns a run's evidence ordered by job and kind.
func (es evidenceStore) ListEvidence(ctx context.Context, runID string) ([]*store.Evidence, error) {
	rows, err := es.s.r.QueryContext(ctx, `SELECT run_id, job_id, kind, digest, body, created_at
		FROM evidence WHERE run_id = ? ORDER BY job_id, kind`, runID)
	if err != nil {
		return nil, fmt.Errorf("list evidence of %s: %w", runID, err)
	}
	defer rows.Close()
	var list []*store.Evidence
	for rows.Next() {
		var (
			e  store.Evidence
			at sql.NullInt64
		)
		if err := rows.Scan(&e.RunID, &e.JobID, &e.Kind, &e.Digest, &e.Body, &at); err != nil {
			return nil, fmt.Errorf("list evidence of %s: %w", runID, err)
		}
		e.CreatedAt = fromNanos(at)
		list = append(list, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list evidence of %s: %w", runID, err)
	}
	return list, nil
}

// decisionStore implements store.DecisionStore.
type decisionStore struct{ s *Store }

// PutDecision appends d and sets its ID.
func (ds decisionStore) PutDecision(ctx context.Context, d *store.Decision) error {
	if d.CreatedAt.IsZero() {
		d.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	}
	digests, err := encodeJSON(d.Digests, "{}")
	if err != nil {
		return fmt.Errorf("put decision of %s: %w", d.RunID, err)
	}
	body := d.Body
	if body == nil {
		body = []byte{}
	}
	err = ds.s.w.QueryRowContext(ctx, `INSERT INTO decisions (run_id, job_id, env, outcome, actor, digests, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		d.RunID, d.JobID, d.Env, d.Outcome, d.Actor, digests, body, nanos(d.CreatedAt)).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("put decision of %s for %s: %w", d.RunID, d.Env, constraintErr(err, "run "+d.RunID))
	}
	return nil
}

// ListDecisions returns a run's decisions, oldest first.
func (ds decisionStore) ListDecisions(ctx context.Context, runID string) ([]*store.Decision, error) {
	rows, err := ds.s.r.QueryContext(ctx, `SELECT id, run_id, job_id, env, outcome, actor, digests, body, created_at
		FROM decisions WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("list decisions of %s: %w", runID, err)
	}
	defer rows.Close()
	var list []*store.Decision
	for rows.Next() {
		var (
			d       store.Decision
			digests string
			at      sql.NullInt64
		)
		if err := rows.Scan(&d.ID, &d.RunID, &d.JobID, &d.Env, &d.Outcome, &d.Actor, &digests, &d.Body, &at); err != nil {
			return nil, fmt.Errorf("list decisions of %s: %w", runID, err)
		}
		if d.Digests, err = decodeMap(digests); err != nil {
			return nil, fmt.Errorf("list decisions of %s: %w", runID, err)
		}
		d.CreatedAt = fromNanos(at)
		list = append(list, &d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list decisions of %s: %w", runID, err)
	}
	return list, nil
}

// auditStore implements store.AuditStore.
type auditStore struct{ s *Store }

// AppendAudit appends r after the last record. The write transaction
// (BEGIN IMMEDIATE) holds SQLite's write lock from its start, so two
// processes appending at once are serialised and each sees the other's
// record as its predecessor.
func (as auditStore) AppendAudit(ctx context.Context, r *store.AuditRecord) error {
	return as.s.inTx(ctx, func(tx *sql.Tx) error { return appendAuditTx(ctx, tx, r) })
}

// appendAuditTx appends r inside tx, so a state change and its audit
// record commit together.
func appendAuditTx(ctx context.Context, tx *sql.Tx, r *store.AuditRecord) error {
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
	var (
		seq  int64
		prev string
	)
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("append audit record %s: %w", r.Action, err)
	}
	r.Seq, r.PrevHash = seq+1, prev
	r.Hash = store.AuditHash(prev, r)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit (seq, time, actor, action, subject, data, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, nanos(r.Time), r.Actor, r.Action, r.Subject, data, r.PrevHash, r.Hash)
	if err != nil {
		return fmt.Errorf("append audit record %s: %w", r.Action, err)
	}
	return nil
}

// ListAudit returns the records q selects, by Seq.
func (as auditStore) ListAudit(ctx context.Context, q store.AuditQuery) ([]*store.AuditRecord, error) {
	sqlq := `SELECT seq, time, actor, action, subject, data, prev_hash, hash FROM audit WHERE seq > ?`
	args := []any{q.AfterSeq}
	if q.SubjectPrefix != "" {
		sqlq += ` AND subject >= ?`
		args = append(args, q.SubjectPrefix)
		if end := prefixEnd(q.SubjectPrefix); end != "" {
			sqlq += ` AND subject < ?`
			args = append(args, end)
		}
	}
	sqlq += ` ORDER BY seq`
	if q.Limit > 0 {
		sqlq += fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	rows, err := as.s.r.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit records: %w", err)
	}
	defer rows.Close()
	var list []*store.AuditRecord
	for rows.Next() {
		var (
			r    store.AuditRecord
			at   sql.NullInt64
			data string
		)
		if err := rows.Scan(&r.Seq, &at, &r.Actor, &r.Action, &r.Subject, &data, &r.PrevHash, &r.Hash); err != nil {
			return nil, fmt.Errorf("list audit records: %w", err)
		}
		r.Time = fromNanos(at)
		if r.Data, err = decodeMap(data); err != nil {
			return nil, fmt.Errorf("list audit record %d: %w", r.Seq, err)
		}
		list = append(list, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit records: %w", err)
	}
	return list, nil
}
