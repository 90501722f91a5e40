package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// approvalStore implements store.ApprovalStore.
type approvalStore struct{ s *Store }

// Approvals returns the approval store.
func (s *Store) Approvals() store.ApprovalStore { return approvalStore{s} }

func (as approvalStore) tx(ctx context.Context, audit *store.AuditRecord, fn func(tx *sql.Tx) error) error {
	return as.s.inTx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if audit != nil {
			return appendAuditTx(ctx, tx, audit)
		}
		return nil
	})
}

// RequestApproval creates or replaces the request of (RunID, Env).
func (as approvalStore) RequestApproval(ctx context.Context, r *store.ApprovalRequest, audit *store.AuditRecord) error {
	stamp(&r.CreatedAt)
	roles, err := encodeJSON(r.Roles, "[]")
	if err != nil {
		return err
	}
	err = as.tx(ctx, audit, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM approvals WHERE run_id = ? AND env = ?`, r.RunID, r.Env); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO approval_requests (run_id, env, job_id, min, roles, not_author, author, deadline, state, created_at, decided_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (run_id, env) DO UPDATE SET job_id = excluded.job_id, min = excluded.min, roles = excluded.roles,
				not_author = excluded.not_author, author = excluded.author, deadline = excluded.deadline, state = excluded.state,
				created_at = excluded.created_at, decided_at = excluded.decided_at`,
			r.RunID, r.Env, r.JobID, r.Min, roles, r.NotAuthor, r.Author, nanos(r.Deadline), r.State, nanos(r.CreatedAt), nanos(r.DecidedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("request approval of %s for %s: %w", r.RunID, r.Env, constraintErr(err, "run "+r.RunID))
	}
	return nil
}

const requestColumns = `run_id, env, job_id, min, roles, not_author, author, deadline, state, created_at, decided_at`

func scanRequest(row interface{ Scan(...any) error }) (*store.ApprovalRequest, error) {
	var (
		r            store.ApprovalRequest
		roles        string
		dl, cat, dat sql.NullInt64
	)
	if err := row.Scan(&r.RunID, &r.Env, &r.JobID, &r.Min, &roles, &r.NotAuthor, &r.Author, &dl, &r.State, &cat, &dat); err != nil {
		return nil, err
	}
	var err error
	if r.Roles, err = decodeList(roles); err != nil {
		return nil, err
	}
	r.Deadline, r.CreatedAt, r.DecidedAt = fromNanos(dl), fromNanos(cat), fromNanos(dat)
	return &r, nil
}

// GetApprovalRequest finds the request of (runID, env).
func (as approvalStore) GetApprovalRequest(ctx context.Context, runID, env string) (*store.ApprovalRequest, error) {
	r, err := scanRequest(as.s.r.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM approval_requests WHERE run_id = ? AND env = ?`, runID, env))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("approval request of run %s for %s: %w", runID, env, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get approval request: %w", err)
	}
	return r, nil
}

// ListApprovalRequests returns requests in state, newest first.
func (as approvalStore) ListApprovalRequests(ctx context.Context, state string) ([]*store.ApprovalRequest, error) {
	q, args := `SELECT `+requestColumns+` FROM approval_requests`, []any{}
	if state != "" {
		q += ` WHERE state = ?`
		args = append(args, state)
	}
	rows, err := as.s.r.QueryContext(ctx, q+` ORDER BY created_at DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("list approval requests: %w", err)
	}
	defer rows.Close()
	var list []*store.ApprovalRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("list approval requests: %w", err)
		}
		list = append(list, r)
	}
	return list, rows.Err()
}

// PutApproval records a verdict.
func (as approvalStore) PutApproval(ctx context.Context, a *store.Approval, audit *store.AuditRecord) error {
	stamp(&a.CreatedAt)
	err := as.tx(ctx, audit, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO approvals (run_id, env, approver, role, verdict, comment, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a.RunID, a.Env, a.Approver, a.Role, a.Verdict, a.Comment, nanos(a.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("record %s of %s for run %s in %s: %w", a.Verdict, a.Approver, a.RunID, a.Env,
			constraintErr(err, "approval request of run "+a.RunID+" for "+a.Env))
	}
	return nil
}

// ListApprovals returns a run's verdicts, oldest first.
func (as approvalStore) ListApprovals(ctx context.Context, runID, env string) ([]*store.Approval, error) {
	q, args := `SELECT run_id, env, approver, role, verdict, comment, created_at FROM approvals WHERE run_id = ?`, []any{runID}
	if env != "" {
		q += ` AND env = ?`
		args = append(args, env)
	}
	rows, err := as.s.r.QueryContext(ctx, q+` ORDER BY created_at, approver`, args...)
	if err != nil {
		return nil, fmt.Errorf("list approvals of %s: %w", runID, err)
	}
	defer rows.Close()
	var list []*store.Approval
	for rows.Next() {
		var (
			a  store.Approval
			at sql.NullInt64
		)
		if err := rows.Scan(&a.RunID, &a.Env, &a.Approver, &a.Role, &a.Verdict, &a.Comment, &at); err != nil {
			return nil, fmt.Errorf("list approvals of %s: %w", runID, err)
		}
		a.CreatedAt = fromNanos(at)
		list = append(list, &a)
	}
	return list, rows.Err()
}

// SetApprovalState ends a request.
func (as approvalStore) SetApprovalState(ctx context.Context, runID, env, state string, audit *store.AuditRecord) error {
	err := as.tx(ctx, audit, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE approval_requests SET state = ?, decided_at = ? WHERE run_id = ? AND env = ?`,
			state, time.Now().UTC().UnixNano(), runID, env)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set approval of %s for %s to %s: %w", runID, env, state, err)
	}
	return nil
}
