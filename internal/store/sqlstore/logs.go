package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sluice-ci/sluice/internal/store"
)

// logStore implements store.LogStore.
type logStore struct{ s *Store }

// logChunk is the most lines one INSERT statement carries. One statement per
// many rows is several times faster than one per row through database/sql;
// 256 rows of 7 values stay far below SQLite's bound-variable limit.
const logChunk = 256

// insertLogs returns an INSERT statement for n lines.
func insertLogs(n int) string {
	return `INSERT INTO log_lines (run_id, job_id, seq, step, time, stream, text) VALUES ` +
		strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?, ?, ?), `, n), `, `)
}

// prepareLogInserts prepares, on the write connection, the INSERT statements
// for 1, 2, 4 ... logChunk lines: a batch is written as a few of them, and
// parsing a statement of hundreds of values would otherwise cost a quarter
// of the time. It runs once, from Open: preparing later, inside a
// transaction, would wait forever for the one write connection.
func (s *Store) prepareLogInserts(ctx context.Context) error {
	s.logInserts = map[int]*sql.Stmt{}
	for n := 1; n <= logChunk; n *= 2 {
		st, err := s.w.PrepareContext(ctx, insertLogs(n))
		if err != nil {
			return fmt.Errorf("prepare log insert: %w", err)
		}
		s.logInserts[n] = st
	}
	return nil
}

// AppendLogs stores lines, which must all belong to one job of a stored run,
// in one transaction. It numbers them on from the highest Seq stored for the
// job, so a resumed run keeps appending, and sets each line's Seq once the
// transaction has committed.
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
	var first int64
	err := ls.s.inTx(ctx, func(tx *sql.Tx) error {
		var last int64
		if err := tx.QueryRowContext(ctx,
			`SELECT COALESCE(MAX(seq), 0) FROM log_lines WHERE run_id = ? AND job_id = ?`,
			runID, jobID).Scan(&last); err != nil {
			return err
		}
		first = last + 1
		args := make([]any, 0, 7*min(len(lines), logChunk))
		for start := 0; start < len(lines); {
			// The largest cached size that fits what is left.
			n := logChunk
			for n > len(lines)-start {
				n /= 2
			}
			args = args[:0]
			for i, l := range lines[start : start+n] {
				args = append(args, runID, jobID, first+int64(start+i), l.Step,
					nanos(l.Time), string(l.Stream), l.Text)
			}
			if _, err := tx.StmtContext(ctx, ls.s.logInserts[n]).ExecContext(ctx, args...); err != nil {
				return constraintErr(err, "run "+runID)
			}
			start += n
		}
		return nil
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
// were put; lines of jobs never put come first), each job's in Seq order —
// AfterSeq then applies to every job's numbering alike.
func (ls logStore) ReadLogs(ctx context.Context, q store.LogQuery) ([]*store.LogLine, error) {
	limit := int64(q.Limit)
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	var rows *sql.Rows
	var err error
	if q.JobID != "" {
		rows, err = ls.s.r.QueryContext(ctx, `SELECT run_id, job_id, seq, step, time, stream, text
			FROM log_lines WHERE run_id = ? AND job_id = ? AND seq > ?
			ORDER BY seq LIMIT ?`, q.RunID, q.JobID, q.AfterSeq, limit)
	} else {
		rows, err = ls.s.r.QueryContext(ctx, `SELECT l.run_id, l.job_id, l.seq, l.step, l.time,
				l.stream, l.text
			FROM log_lines l LEFT JOIN jobs j ON j.run_id = l.run_id AND j.id = l.job_id
			WHERE l.run_id = ? AND l.seq > ?
			ORDER BY COALESCE(j.ordinal, 0), l.job_id, l.seq LIMIT ?`, q.RunID, q.AfterSeq, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("read logs of %s/%s: %w", q.RunID, q.JobID, err)
	}
	defer rows.Close()
	var lines []*store.LogLine
	for rows.Next() {
		var (
			l      store.LogLine
			t      sql.NullInt64
			stream string
		)
		if err := rows.Scan(&l.RunID, &l.JobID, &l.Seq, &l.Step, &t, &stream, &l.Text); err != nil {
			return nil, fmt.Errorf("read logs of %s/%s: %w", q.RunID, q.JobID, err)
		}
		l.Time, l.Stream = fromNanos(t), store.Stream(stream)
		lines = append(lines, &l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read logs of %s/%s: %w", q.RunID, q.JobID, err)
	}
	return lines, nil
}
