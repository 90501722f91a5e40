package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-ci/sluice/internal/store"
)

// approvalStore implements store.ApprovalStore.
type approvalStore struct{ s *Store }

// Approvals returns the approval store.
func (s *Store) Approvals() store.ApprovalStore { return approvalStore{s} }

// tx runs fn and, when audit is not nil, appends it, in one transaction.
func (as approvalStore) tx(ctx context.Context, audit *store.AuditRecord, fn func(tx pgx.Tx) error) error {
	return releaseStore(as).withAudit(ctx, audit, fn)
}

// RequestApproval creates or replaces the request of (RunID, Env); the
// verdicts given on an earlier request are dropped.
func (as approvalStore) RequestApproval(ctx context.Context, r *store.ApprovalRequest, audit *store.AuditRecord) error {
	stamp(&r.CreatedAt)
	roles, err := encodeJSON(r.Roles, "[]")
	if err != nil {
		return fmt.Errorf("request approval of %s for %s: %w", r.RunID, r.Env, err)
	}
	err = as.tx(ctx, audit, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM approvals WHERE run_id = $1 AND env = $2`, r.RunID, r.Env); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO approval_requests (`+requestColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (run_id, env) DO UPDATE SET job_id = excluded.job_id, min = excluded.min,
				roles = excluded.roles, not_author = excluded.not_author, author = excluded.author,
				deadline = excluded.deadline, state = excluded.state, created_at = excluded.created_at,
				decided_at = excluded.decided_at`,
			r.RunID, r.Env, r.JobID, r.Min, roles, r.NotAuthor, r.Author, ts(r.Deadline), r.State,
			r.CreatedAt, ts(r.DecidedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("request approval of %s for %s: %w", r.RunID, r.Env, constraintErr(err, "run "+r.RunID))
	}
	return nil
}

const requestColumns = `run_id, env, job_id, min, roles, not_author, author, deadline, state, created_at, decided_at`

// scanRequest reads one row of requestColumns.
func scanRequest(row pgx.CollectableRow) (*store.ApprovalRequest, error) {
	var (
		r            store.ApprovalRequest
		roles        string
		dl, cat, dat pgtype.Timestamptz
	)
	if err := row.Scan(&r.RunID, &r.Env, &r.JobID, &r.Min, &roles, &r.NotAuthor, &r.Author, &dl, &r.State,
		&cat, &dat); err != nil {
		return nil, err
	}
	var err error
	if r.Roles, err = decodeList(roles); err != nil {
		return nil, fmt.Errorf("approval request of %s for %s: roles: %w", r.RunID, r.Env, err)
	}
	r.Deadline, r.CreatedAt, r.DecidedAt = fromTS(dl), fromTS(cat), fromTS(dat)
	return &r, nil
}

// listRequests reads the requests the query tail selects.
func (as approvalStore) listRequests(ctx context.Context, tail string, args ...any) ([]*store.ApprovalRequest, error) {
	var list []*store.ApprovalRequest
	err := as.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+requestColumns+` FROM approval_requests `+tail, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanRequest)
		return err
	})
	return list, err
}

// GetApprovalRequest finds the request of (runID, env).
func (as approvalStore) GetApprovalRequest(ctx context.Context, runID, env string) (*store.ApprovalRequest, error) {
	if !storable(runID) || !storable(env) {
		return nil, fmt.Errorf("approval request of run %q for %q: %w", runID, env, store.ErrNotFound)
	}
	list, err := as.listRequests(ctx, `WHERE run_id = $1 AND env = $2`, runID, env)
	if err != nil {
		return nil, fmt.Errorf("get approval request of run %s for %s: %w", runID, env, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("approval request of run %s for %s: %w", runID, env, store.ErrNotFound)
	}
	return list[0], nil
}

// ListApprovalRequests returns requests in state (all when ""), newest first.
func (as approvalStore) ListApprovalRequests(ctx context.Context, state string) ([]*store.ApprovalRequest, error) {
	tail, args := `ORDER BY created_at DESC`, []any{}
	if state != "" {
		tail, args = `WHERE state = $1 `+tail, append(args, state)
	}
	list, err := as.listRequests(ctx, tail, args...)
	if err != nil {
		return nil, fmt.Errorf("list approval requests: %w", err)
	}
	return list, nil
}

// PutApproval records a verdict; a second verdict of the same approver on
// a request is store.ErrConflict, a verdict without a request
// store.ErrNotFound.
func (as approvalStore) PutApproval(ctx context.Context, a *store.Approval, audit *store.AuditRecord) error {
	stamp(&a.CreatedAt)
	err := as.tx(ctx, audit, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO approvals (run_id, env, approver, role, verdict, comment, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.RunID, a.Env, a.Approver, a.Role, a.Verdict, a.Comment, a.CreatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("record %s of %s for run %s in %s: %w", a.Verdict, a.Approver, a.RunID, a.Env,
			constraintErr(err, "approval request of run "+a.RunID+" for "+a.Env))
	}
	return nil
}

// ListApprovals returns a run's verdicts (of env, or all when ""), oldest
// first.
func (as approvalStore) ListApprovals(ctx context.Context, runID, env string) ([]*store.Approval, error) {
	q, args := `SELECT run_id, env, approver, role, verdict, comment, created_at FROM approvals WHERE run_id = $1`, []any{runID}
	if env != "" {
		q += ` AND env = $2`
		args = append(args, env)
	}
	var list []*store.Approval
	err := as.s.do(ctx, func(qr querier) error {
		rows, err := qr.Query(ctx, q+` ORDER BY created_at, approver`, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Approval, error) {
			var (
				a  store.Approval
				at pgtype.Timestamptz
			)
			if err := row.Scan(&a.RunID, &a.Env, &a.Approver, &a.Role, &a.Verdict, &a.Comment, &at); err != nil {
				return nil, err
			}
			a.CreatedAt = fromTS(at)
			return &a, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list approvals of %s: %w", runID, err)
	}
	return list, nil
}

// SetApprovalState ends a request (approved, rejected, expired); an
// unknown request is store.ErrNotFound.
func (as approvalStore) SetApprovalState(ctx context.Context, runID, env, state string, audit *store.AuditRecord) error {
	err := as.tx(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE approval_requests SET state = $1, decided_at = $2 WHERE run_id = $3 AND env = $4`,
			state, now(), runID, env)
		if err != nil {
			return err
		}
		return mustAffect(tag.RowsAffected())
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("set approval of %s for %s to %s: approval request: %w", runID, env, state, err)
	}
	if err != nil {
		return fmt.Errorf("set approval of %s for %s to %s: %w", runID, env, state, err)
	}
	return nil
}
