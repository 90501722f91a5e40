package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sluice-ci/sluice/internal/store"
)

// stepStore implements store.StepStore.
type stepStore struct{ s *Store }

// PutStep inserts or replaces the step (RunID, JobID, Index). Its job must be
// stored, else store.ErrNotFound.
func (ss stepStore) PutStep(ctx context.Context, st *store.Step) error {
	_, err := ss.s.w.ExecContext(ctx, `INSERT INTO steps (run_id, job_id, idx, name, status,
			reason, exit_code, attempts, pgid, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id, job_id, idx) DO UPDATE SET
			name = excluded.name, status = excluded.status, reason = excluded.reason,
			exit_code = excluded.exit_code, attempts = excluded.attempts, pgid = excluded.pgid,
			started_at = excluded.started_at, finished_at = excluded.finished_at`,
		st.RunID, st.JobID, st.Index, st.Name, string(st.Status), st.Reason, st.ExitCode,
		st.Attempts, st.PGID, nanos(st.StartedAt), nanos(st.FinishedAt))
	if err != nil {
		return fmt.Errorf("put step %s/%s/%d: %w", st.RunID, st.JobID, st.Index,
			constraintErr(err, "job "+st.RunID+"/"+st.JobID))
	}
	return nil
}

// ListSteps returns a job's steps by index; with jobID empty, the run's steps
// in job order, then by index.
func (ss stepStore) ListSteps(ctx context.Context, runID, jobID string) ([]*store.Step, error) {
	q := `SELECT s.run_id, s.job_id, s.idx, s.name, s.status, s.reason, s.exit_code,
			s.attempts, s.pgid, s.started_at, s.finished_at
		FROM steps s JOIN jobs j ON j.run_id = s.run_id AND j.id = s.job_id
		WHERE s.run_id = ?`
	args := []any{runID}
	if jobID != "" {
		q += ` AND s.job_id = ?`
		args = append(args, jobID)
	}
	rows, err := ss.s.r.QueryContext(ctx, q+` ORDER BY j.ordinal, s.idx`, args...)
	if err != nil {
		return nil, fmt.Errorf("list steps of %s/%s: %w", runID, jobID, err)
	}
	defer rows.Close()
	var steps []*store.Step
	for rows.Next() {
		var (
			st                store.Step
			status            string
			started, finished sql.NullInt64
		)
		if err := rows.Scan(&st.RunID, &st.JobID, &st.Index, &st.Name, &status, &st.Reason,
			&st.ExitCode, &st.Attempts, &st.PGID, &started, &finished); err != nil {
			return nil, fmt.Errorf("list steps of %s/%s: %w", runID, jobID, err)
		}
		st.Status = store.Status(status)
		st.StartedAt, st.FinishedAt = fromNanos(started), fromNanos(finished)
		steps = append(steps, &st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list steps of %s/%s: %w", runID, jobID, err)
	}
	return steps, nil
}
