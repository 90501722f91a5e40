package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-ci/sluice/internal/store"
)

// logStore implements store.LogStore.
type logStore struct{ s *Store }

// logColumns are the columns AppendLogs copies, in order.
var logColumns = []string{"run_id", "job_id", "seq", "step", "time", "stream", "text"}

// AppendLogs stores lines, which must all belong to one job of a stored run,
// in one transaction. It numbers them on from the highest Seq stored for the
// job, so a resumed run keeps appending, and sets each line's Seq once the
// transaction has committed. Appenders of one job take turns on a
// transaction-scoped advisory lock named after the job; the lines go in
// with COPY, one round trip for any number of them.
func (ls logStore) AppendLogs(ctx context.Context, lines []*store.LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	runID, jobID := lines[0].RunID, lines[0].JobID
	for _, l := range lines {
		if l.RunID != runID || l.JobID != jobID {
			return fmt.Errorf("append logs of %s/%s: line of %s/%s in the batch",
				runID, jobID, l.RunID, l.JobID)
		}
	}
	if !storable(runID) || !storable(jobID) {
		return fmt.Errorf("append logs of %q/%q: run %q: %w", runID, jobID, runID, store.ErrNotFound)
	}
	var first int64
	err := ls.s.inTx(ctx, func(tx pgx.Tx) error {
		// A hash collision between two jobs only makes them take turns.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))`,
			runID, jobID); err != nil {
			return err
		}
		var last int64
		if err := tx.QueryRow(ctx,
			`SELECT COALESCE(MAX(seq), 0) FROM log_lines WHERE run_id = $1 AND job_id = $2`,
			runID, jobID).Scan(&last); err != nil {
			return err
		}
		first = last + 1
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"log_lines"}, logColumns,
			pgx.CopyFromSlice(len(lines), func(i int) ([]any, error) {
				l := lines[i]
				return []any{runID, jobID, first + int64(i), l.Step, ts(l.Time), string(l.Stream),
					[]byte(l.Text)}, nil
			}))
		return constraintErr(err, "run "+runID)
	})
	if err != nil {
		return fmt.Errorf("append logs of %s/%s: %w", runID, jobID, err)
	}
	for i, l := range lines {
		l.Seq = first + int64(i)
	}
	return nil
}

// ReadLogs returns the lines of q.RunID with Seq above q.AfterSeq, at most
// q.Limit of them (all when 0). With q.JobID set they are that job's lines in
// Seq order; with it empty, every job's lines in job order (the order jobs
// were put; lines of jobs never put come first, by job id), each job's in
// Seq order — AfterSeq then applies to every job's numbering alike.
func (ls logStore) ReadLogs(ctx context.Context, q store.LogQuery) ([]*store.LogLine, error) {
	var (
		sql  string
		args []any
	)
	if q.JobID != "" {
		sql = `SELECT run_id, job_id, seq, step, time, stream, text
			FROM log_lines WHERE run_id = $1 AND job_id = $2 AND seq > $3
			ORDER BY seq LIMIT $4`
		args = []any{q.RunID, q.JobID, q.AfterSeq, limitArg(q.Limit)}
	} else {
		sql = `SELECT l.run_id, l.job_id, l.seq, l.step, l.time, l.stream, l.text
			FROM log_lines l LEFT JOIN jobs j ON j.run_id = l.run_id AND j.id = l.job_id
			WHERE l.run_id = $1 AND l.seq > $2
			ORDER BY COALESCE(j.ordinal, 0), l.job_id, l.seq LIMIT $3`
		args = []any{q.RunID, q.AfterSeq, limitArg(q.Limit)}
	}
	var lines []*store.LogLine
	err := ls.s.do(ctx, func(qr querier) error {
		rows, err := qr.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		lines, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.LogLine, error) {
			var (
				l      store.LogLine
				t      pgtype.Timestamptz
				stream string
				text   []byte
			)
			if err := row.Scan(&l.RunID, &l.JobID, &l.Seq, &l.Step, &t, &stream, &text); err != nil {
				return nil, err
			}
			l.Time, l.Stream, l.Text = fromTS(t), store.Stream(stream), string(text)
			return &l, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read logs of %s/%s: %w", q.RunID, q.JobID, err)
	}
	return lines, nil
}

// artifactStore implements store.ArtifactStore.
type artifactStore struct{ s *Store }

// PutArtifact records a, replacing the record of the same (RunID, JobID,
// Path). Its job must be stored, else store.ErrNotFound.
func (as artifactStore) PutArtifact(ctx context.Context, a *store.Artifact) error {
	err := as.s.do(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `INSERT INTO artifacts
				(run_id, job_id, path, size, sha256, mode, stored_path)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (run_id, job_id, path) DO UPDATE SET
				size = excluded.size, sha256 = excluded.sha256, mode = excluded.mode,
				stored_path = excluded.stored_path`,
			a.RunID, a.JobID, a.Path, a.Size, a.SHA256, int64(a.Mode), a.StoredPath)
		return err
	})
	if err != nil {
		return fmt.Errorf("put artifact %s of %s/%s: %w", a.Path, a.RunID, a.JobID,
			constraintErr(err, "job "+a.RunID+"/"+a.JobID))
	}
	return nil
}

// ListArtifacts returns a job's artifacts by path; with jobID empty, the
// run's artifacts in job order, then by path.
func (as artifactStore) ListArtifacts(ctx context.Context, runID, jobID string) ([]*store.Artifact, error) {
	q := `SELECT a.run_id, a.job_id, a.path, a.size, a.sha256, a.mode, a.stored_path
		FROM artifacts a JOIN jobs j ON j.run_id = a.run_id AND j.id = a.job_id
		WHERE a.run_id = $1`
	args := []any{runID}
	if jobID != "" {
		q += ` AND a.job_id = $2`
		args = append(args, jobID)
	}
	var list []*store.Artifact
	err := as.s.do(ctx, func(qr querier) error {
		rows, err := qr.Query(ctx, q+` ORDER BY j.ordinal, a.path`, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Artifact, error) {
			var (
				a    store.Artifact
				mode int64
			)
			if err := row.Scan(&a.RunID, &a.JobID, &a.Path, &a.Size, &a.SHA256, &mode,
				&a.StoredPath); err != nil {
				return nil, err
			}
			a.Mode = uint32(mode) // #nosec G115 -- written from a uint32 by PutArtifact
			return &a, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list artifacts of %s/%s: %w", runID, jobID, err)
	}
	return list, nil
}
