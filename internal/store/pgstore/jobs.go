package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-ci/sluice/internal/store"
)

// jobStore implements store.JobStore.
type jobStore struct{ s *Store }

const jobColumns = `run_id, id, name, needs, matrix, status, reason, exit_code, outputs,
	attempt, started_at, finished_at`

// PutJobs inserts jobs, or replaces those already stored, in one
// transaction. All jobs must belong to one stored run (else
// store.ErrNotFound). A new job is ordered after the run's existing jobs; a
// replaced job keeps its place. The run's row is locked meanwhile, so
// concurrent PutJobs of one run take turns at numbering.
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
	vals := make([][]any, len(jobs))
	for i, j := range jobs {
		v, err := jobValues(j)
		if err != nil {
			return fmt.Errorf("put jobs of run %s: job %s: %w", runID, j.ID, err)
		}
		vals[i] = v
	}
	err := js.s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM runs WHERE id = $1 FOR NO KEY UPDATE`, runID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("run %s: %w", runID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		var next int64
		if err := tx.QueryRow(ctx,
			`SELECT COALESCE(MAX(ordinal), 0) + 1 FROM jobs WHERE run_id = $1`, runID).Scan(&next); err != nil {
			return err
		}
		var b pgx.Batch
		for i, j := range jobs {
			args := append([]any{next + int64(i), j.RunID, j.ID}, vals[i]...)
			b.Queue(`INSERT INTO jobs (ordinal, `+jobColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
				ON CONFLICT (run_id, id) DO UPDATE SET
					name = excluded.name, needs = excluded.needs, matrix = excluded.matrix,
					status = excluded.status, reason = excluded.reason,
					exit_code = excluded.exit_code, outputs = excluded.outputs,
					attempt = excluded.attempt, started_at = excluded.started_at,
					finished_at = excluded.finished_at`, args...)
		}
		br := tx.SendBatch(ctx, &b)
		for _, j := range jobs {
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return fmt.Errorf("job %s: %w", j.ID, constraintErr(err, "run "+runID))
			}
		}
		return br.Close()
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
		j.Attempt, ts(j.StartedAt), ts(j.FinishedAt)}, nil
}

// UpdateJob writes every field of a stored job; an unknown job gives
// store.ErrNotFound.
func (js jobStore) UpdateJob(ctx context.Context, j *store.Job) error {
	vals, err := jobValues(j)
	if err != nil {
		return fmt.Errorf("update job %s/%s: %w", j.RunID, j.ID, err)
	}
	var n int64
	err = js.s.do(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, `UPDATE jobs SET
			name = $1, needs = $2, matrix = $3, status = $4, reason = $5, exit_code = $6,
			outputs = $7, attempt = $8, started_at = $9, finished_at = $10
			WHERE run_id = $11 AND id = $12`, append(vals, j.RunID, j.ID)...)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("update job %s/%s: %w", j.RunID, j.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("update job %s/%s: %w", j.RunID, j.ID, store.ErrNotFound)
	}
	return nil
}

// GetJob returns one job of a run, or store.ErrNotFound.
func (js jobStore) GetJob(ctx context.Context, runID, jobID string) (*store.Job, error) {
	if !storable(runID) || !storable(jobID) {
		return nil, fmt.Errorf("get job %q/%q: %w", runID, jobID, store.ErrNotFound)
	}
	jobs, err := js.list(ctx, `WHERE run_id = $1 AND id = $2`, runID, jobID)
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
	jobs, err := js.list(ctx, `WHERE run_id = $1 ORDER BY ordinal`, runID)
	if err != nil {
		return nil, fmt.Errorf("list jobs of run %s: %w", runID, err)
	}
	return jobs, nil
}

// list reads the jobs selected by the query tail.
func (js jobStore) list(ctx context.Context, tail string, args ...any) ([]*store.Job, error) {
	var jobs []*store.Job
	err := js.s.do(ctx, func(q querier) error {
		rows, err := q.Query(ctx, `SELECT `+jobColumns+` FROM jobs `+tail, args...)
		if err != nil {
			return err
		}
		jobs, err = pgx.CollectRows(rows, scanJob)
		return err
	})
	return jobs, err
}

// scanJob reads one row of jobColumns.
func scanJob(row pgx.CollectableRow) (*store.Job, error) {
	var (
		j                      store.Job
		status                 string
		needs, matrix, outputs string
		started, finished      pgtype.Timestamptz
	)
	if err := row.Scan(&j.RunID, &j.ID, &j.Name, &needs, &matrix, &status, &j.Reason,
		&j.ExitCode, &outputs, &j.Attempt, &started, &finished); err != nil {
		return nil, fmt.Errorf("scan job: %w", err)
	}
	j.Status = store.Status(status)
	j.StartedAt, j.FinishedAt = fromTS(started), fromTS(finished)
	var err error
	if j.Needs, err = decodeList(needs); err != nil {
		return nil, fmt.Errorf("job %s needs: %w", j.ID, err)
	}
	if j.Matrix, err = decodeMap(matrix); err != nil {
		return nil, fmt.Errorf("job %s matrix: %w", j.ID, err)
	}
	if j.Outputs, err = decodeMap(outputs); err != nil {
		return nil, fmt.Errorf("job %s outputs: %w", j.ID, err)
	}
	return &j, nil
}

// stepStore implements store.StepStore.
type stepStore struct{ s *Store }

// PutStep inserts or replaces the step (RunID, JobID, Index). Its job must be
// stored, else store.ErrNotFound.
func (ss stepStore) PutStep(ctx context.Context, st *store.Step) error {
	err := ss.s.do(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `INSERT INTO steps (run_id, job_id, idx, name, status,
				reason, exit_code, attempts, pgid, started_at, finished_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (run_id, job_id, idx) DO UPDATE SET
				name = excluded.name, status = excluded.status, reason = excluded.reason,
				exit_code = excluded.exit_code, attempts = excluded.attempts, pgid = excluded.pgid,
				started_at = excluded.started_at, finished_at = excluded.finished_at`,
			st.RunID, st.JobID, st.Index, st.Name, string(st.Status), st.Reason, st.ExitCode,
			st.Attempts, st.PGID, ts(st.StartedAt), ts(st.FinishedAt))
		return err
	})
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
		WHERE s.run_id = $1`
	args := []any{runID}
	if jobID != "" {
		q += ` AND s.job_id = $2`
		args = append(args, jobID)
	}
	var steps []*store.Step
	err := ss.s.do(ctx, func(qr querier) error {
		rows, err := qr.Query(ctx, q+` ORDER BY j.ordinal, s.idx`, args...)
		if err != nil {
			return err
		}
		steps, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Step, error) {
			var (
				st                store.Step
				status            string
				started, finished pgtype.Timestamptz
			)
			if err := row.Scan(&st.RunID, &st.JobID, &st.Index, &st.Name, &status, &st.Reason,
				&st.ExitCode, &st.Attempts, &st.PGID, &started, &finished); err != nil {
				return nil, err
			}
			st.Status = store.Status(status)
			st.StartedAt, st.FinishedAt = fromTS(started), fromTS(finished)
			return &st, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list steps of %s/%s: %w", runID, jobID, err)
	}
	return steps, nil
}
