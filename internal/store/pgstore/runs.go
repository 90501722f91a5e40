package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-ci/sluice/internal/store"
)

// runStore implements store.RunStore.
type runStore struct{ s *Store }

// runColumns lists the fixed columns first, then those runValues returns.
const runColumns = `id, number, created_at, pipeline, file, spec, workdir, status,
	event, branch, commit_sha, environment, actor, vars, secret_names, selected_jobs,
	pid, host, attempt, error, started_at, finished_at, project`

// CreateRun stores r. It assigns r.Number (one more than the highest
// stored, while holding the 'runs' lock row, so concurrent creators from
// any process get distinct, consecutive numbers and a failed create uses
// none up), r.ID when empty (see newRunID) and r.CreatedAt when zero. An
// ID that is all digits is refused, since GetRun reads such a reference as
// a number; an ID already stored gives store.ErrConflict.
func (rs runStore) CreateRun(ctx context.Context, r *store.Run) error {
	if r.ID == "" {
		id, err := newRunID()
		if err != nil {
			return fmt.Errorf("create run: %w", err)
		}
		r.ID = id
	} else if allDigits(r.ID) {
		return fmt.Errorf("create run: id %q must not be all digits", r.ID)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	vals, err := runValues(r)
	if err != nil {
		return fmt.Errorf("create run %s: %w", r.ID, err)
	}
	var number int64
	err = rs.s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRow(ctx, tx, "runs"); err != nil {
			return err
		}
		args := append([]any{r.ID, r.CreatedAt}, vals...)
		err := tx.QueryRow(ctx, `INSERT INTO runs (`+runColumns+`)
			VALUES ($1, (SELECT COALESCE(MAX(number), 0) + 1 FROM runs), `+placeholders(2, len(args)-1)+`)
			RETURNING number`, args...).Scan(&number)
		return constraintErr(err, "run "+r.ID)
	})
	if err != nil {
		return fmt.Errorf("create run %s: %w", r.ID, err)
	}
	r.Number = number
	return nil
}

// runValues returns r's mutable columns (all but id, number and created_at),
// in runColumns order.
func runValues(r *store.Run) ([]any, error) {
	vars, err := encodeJSON(r.Vars, "{}")
	if err != nil {
		return nil, err
	}
	secrets, err := encodeJSON(r.SecretNames, "[]")
	if err != nil {
		return nil, err
	}
	jobs, err := encodeJSON(r.SelectedJobs, "[]")
	if err != nil {
		return nil, err
	}
	return []any{r.Pipeline, r.File, r.Spec, r.Workdir, string(r.Status), r.Event,
		r.Branch, r.Commit, r.Environment, r.Actor, vars, secrets, jobs, r.PID, r.Host,
		r.Attempt, r.Error, ts(r.StartedAt), ts(r.FinishedAt), r.Project}, nil
}

// GetRun finds a run by number when ref is all digits; otherwise by exact
// ID, else by a unique ID prefix. A prefix shared by several runs gives
// store.ErrAmbiguous.
func (rs runStore) GetRun(ctx context.Context, ref string) (*store.Run, error) {
	if ref == "" || !storable(ref) {
		return nil, fmt.Errorf("get run %q: %w", ref, store.ErrNotFound)
	}
	if allDigits(ref) {
		n, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("get run %s: %w", ref, store.ErrNotFound)
		}
		return rs.getOne(ctx, ref, `WHERE number = $1`, n)
	}
	r, err := rs.getOne(ctx, ref, `WHERE id = $1`, ref)
	if !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	// id has the "C" collation: the range holds exactly the ids that start
	// with ref, and the primary key's index serves it.
	where, args := `WHERE id >= $1`, []any{ref}
	if end := prefixEnd(ref); end != "" {
		where, args = where+` AND id < $2`, append(args, end)
	}
	runs, err := rs.list(ctx, where+` ORDER BY id LIMIT 3`, args...)
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", ref, err)
	}
	switch len(runs) {
	case 0:
		return nil, fmt.Errorf("get run %s: %w", ref, store.ErrNotFound)
	case 1:
		return runs[0], nil
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	more := ""
	if len(runs) > 2 {
		ids, more = ids[:2], ", ..."
	}
	return nil, fmt.Errorf("get run %s: %w: prefix matches %s%s",
		ref, store.ErrAmbiguous, strings.Join(ids, ", "), more)
}

// getOne reads the single run matched by where.
func (rs runStore) getOne(ctx context.Context, ref, where string, args ...any) (*store.Run, error) {
	runs, err := rs.list(ctx, where, args...)
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", ref, err)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("get run %s: %w", ref, store.ErrNotFound)
	}
	return runs[0], nil
}

// ListRuns returns runs newest first (highest number first), keeping those
// whose status is in f.Status (any when empty), at most f.Limit (all when 0).
func (rs runStore) ListRuns(ctx context.Context, f store.RunFilter) ([]*store.Run, error) {
	var where strings.Builder
	var args []any
	if len(f.Status) > 0 {
		statuses := make([]string, len(f.Status))
		for i, st := range f.Status {
			statuses[i] = string(st)
		}
		where.WriteString(`WHERE status = ANY($1)`)
		args = append(args, statuses)
	}
	where.WriteString(` ORDER BY number DESC LIMIT $` + strconv.Itoa(len(args)+1))
	args = append(args, limitArg(f.Limit))
	runs, err := rs.list(ctx, where.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return runs, nil
}

// UpdateRun writes every field of r except ID, Number and CreatedAt, which
// are fixed at creation. A run not stored gives store.ErrNotFound.
func (rs runStore) UpdateRun(ctx context.Context, r *store.Run) error {
	vals, err := runValues(r)
	if err != nil {
		return fmt.Errorf("update run %s: %w", r.ID, err)
	}
	var n int64
	err = rs.s.do(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, `UPDATE runs SET
			pipeline = $1, file = $2, spec = $3, workdir = $4, status = $5, event = $6, branch = $7,
			commit_sha = $8, environment = $9, actor = $10, vars = $11, secret_names = $12,
			selected_jobs = $13, pid = $14, host = $15, attempt = $16, error = $17,
			started_at = $18, finished_at = $19, project = $20
			WHERE id = $21`, append(vals, r.ID)...)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("update run %s: %w", r.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("update run %s: %w", r.ID, store.ErrNotFound)
	}
	return nil
}

// list reads the runs selected by the query tail (WHERE, ORDER, LIMIT).
func (rs runStore) list(ctx context.Context, tail string, args ...any) ([]*store.Run, error) {
	var runs []*store.Run
	err := rs.s.do(ctx, func(q querier) error {
		runs = nil
		rows, err := q.Query(ctx, `SELECT `+runColumns+` FROM runs `+tail, args...)
		if err != nil {
			return err
		}
		runs, err = pgx.CollectRows(rows, scanRun)
		return err
	})
	return runs, err
}

// scanRun reads one row of runColumns.
func scanRun(row pgx.CollectableRow) (*store.Run, error) {
	var (
		r                          store.Run
		status                     string
		vars, secrets, jobs        string
		created, started, finished pgtype.Timestamptz
	)
	err := row.Scan(&r.ID, &r.Number, &created, &r.Pipeline, &r.File, &r.Spec, &r.Workdir,
		&status, &r.Event, &r.Branch, &r.Commit, &r.Environment, &r.Actor, &vars, &secrets,
		&jobs, &r.PID, &r.Host, &r.Attempt, &r.Error, &started, &finished, &r.Project)
	if err != nil {
		return nil, fmt.Errorf("scan run: %w", err)
	}
	r.Status = store.Status(status)
	r.CreatedAt, r.StartedAt, r.FinishedAt = fromTS(created), fromTS(started), fromTS(finished)
	if r.Vars, err = decodeMap(vars); err != nil {
		return nil, fmt.Errorf("run %s vars: %w", r.ID, err)
	}
	if r.SecretNames, err = decodeList(secrets); err != nil {
		return nil, fmt.Errorf("run %s secret names: %w", r.ID, err)
	}
	if r.SelectedJobs, err = decodeList(jobs); err != nil {
		return nil, fmt.Errorf("run %s selected jobs: %w", r.ID, err)
	}
	return &r, nil
}
