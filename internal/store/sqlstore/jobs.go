package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sluice-ci/sluice/internal/store"
)

// jobStore implements store.JobStore.
type jobStore struct{ s *Store }

const jobColumns = `run_id, id, name, needs, matrix, status, reason, exit_code, outputs,
	attempt, started_at, finished_at`

// PutJobs inserts jobs, or replaces those already stored, in one
// transaction. All jobs must belong to one stored run (else
// store.ErrNotFound). A new job is ordered after the run's existing jobs; a
// replaced job keeps its place.
func (js jobStore) PutJobs(ctx context.Context, jobs []*store.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	runID := jobs[0].RunID
	for _, j := range jobs {
		if j.RunID != runID {
			return fmt.Errorf("put jobs of run %s: job %s belongs to run %s", runID, j.ID, j.RunID)
		}
	}
	err := js.s.inTx(ctx, func(tx *sql.Tx) error {
		var next int64
		if err := tx.QueryRowContext(ctx,
			`SELECT COALESCE(MAX(ordinal), 0) + 1 FROM jobs WHERE run_id = ?`, runID).Scan(&next); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO jobs (ordinal, `+jobColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (run_id, id) DO UPDATE SET
				name = excluded.name, needs = excluded.needs, matrix = excluded.matrix,
				status = excluded.status, reason = excluded.reason,
				exit_code = excluded.exit_code, outputs = excluded.outputs,
				attempt = excluded.attempt, started_at = excluded.started_at,
				finished_at = excluded.finished_at`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, j := range jobs {
			vals, err := jobValues(j)
			if err != nil {
				return fmt.Errorf("job %s: %w", j.ID, err)
			}
			args := append([]any{next, j.RunID, j.ID}, vals...)
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("job %s: %w", j.ID, constraintErr(err, "run "+runID))
			}
			next++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put jobs of run %s: %w", runID, err)
	}
	return nil
}

// jobValues returns j's columns after run_id and id, in jobColumns order.
func jobValues(j *store.Job) ([]any, error) {
	needs, err := encodeJSON(j.Needs, "[]")
	if err != nil {
		return nil, err
	}
	matrix, err := encodeJSON(j.Matrix, "{}")
	if err != nil {
		return nil, err
	}
	outputs, err := encodeJSON(j.Outputs, "{}")
	if err != nil {
		return nil, err
	}
	return []any{j.Name, needs, matrix, string(j.Status), j.Reason, j.ExitCode, outputs,
		j.Attempt, nanos(j.StartedAt), nanos(j.FinishedAt)}, nil
}

// UpdateJob writes every field of a stored job; an unknown job gives
// store.ErrNotFound.
func (js jobStore) UpdateJob(ctx context.Context, j *store.Job) error {
	vals, err := jobValues(j)
	if err != nil {
		return fmt.Errorf("update job %s/%s: %w", j.RunID, j.ID, err)
	}
	res, err := js.s.w.ExecContext(ctx, `UPDATE jobs SET
		name = ?, needs = ?, matrix = ?, status = ?, reason = ?, exit_code = ?, outputs = ?,
		attempt = ?, started_at = ?, finished_at = ?
		WHERE run_id = ? AND id = ?`, append(vals, j.RunID, j.ID)...)
	if err != nil {
		return fmt.Errorf("update job %s/%s: %w", j.RunID, j.ID, err)
	}
	return mustAffect(res, "update job "+j.RunID+"/"+j.ID)
}

// GetJob returns one job of a run, or store.ErrNotFound.
func (js jobStore) GetJob(ctx context.Context, runID, jobID string) (*store.Job, error) {
	jobs, err := js.list(ctx, `WHERE run_id = ? AND id = ?`, runID, jobID)
	if err != nil {
		return nil, fmt.Errorf("get job %s/%s: %w", runID, jobID, err)
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("get job %s/%s: %w", runID, jobID, store.ErrNotFound)
	}
	return jobs[0], nil
}

// ListJobs returns a run's jobs in the order they were first put; an
// unknown run has no jobs.
func (js jobStore) ListJobs(ctx context.Context, runID string) ([]*store.Job, error) {
	jobs, err := js.list(ctx, `WHERE run_id = ? ORDER BY ordinal`, runID)
	if err != nil {
		return nil, fmt.Errorf("list jobs of run %s: %w", runID, err)
	}
	return jobs, nil
}

// list reads the jobs selected by the query tail.
func (js jobStore) list(ctx context.Context, tail string, args ...any) ([]*store.Job, error) {
	rows, err := js.s.r.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var jobs []*store.Job
	for rows.Next() {
		var (
			j                      store.Job
			status                 string
			needs, matrix, outputs string
			started, finished      sql.NullInt64
		)
		if err := rows.Scan(&j.RunID, &j.ID, &j.Name, &needs, &matrix, &status, &j.Reason,
			&j.ExitCode, &outputs, &j.Attempt, &started, &finished); err != nil {
			return nil, fmt.Errorf("scan job: %w", err)
		}
		j.Status = store.Status(status)
		j.StartedAt, j.FinishedAt = fromNanos(started), fromNanos(finished)
		if j.Needs, err = decodeList(needs); err != nil {
			return nil, fmt.Errorf("job %s needs: %w", j.ID, err)
		}
		if j.Matrix, err = decodeMap(matrix); err != nil {
			return nil, fmt.Errorf("job %s matrix: %w", j.ID, err)
		}
		if j.Outputs, err = decodeMap(outputs); err != nil {
			return nil, fmt.Errorf("job %s outputs: %w", j.ID, err)
		}
		jobs = append(jobs, &j)
	}
	return jobs, rows.Err()
}
