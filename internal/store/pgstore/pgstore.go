// Package pgstore is the shared store: store.Store on a PostgreSQL server,
// through a pgx connection pool, for several sluice processes (a server and
// its CLI, or several runners) working on one database.
//
// Counters that must not be handed out twice — run numbers, the audit
// trail's sequence — are guarded by a row of the store_locks table that a
// writer locks (SELECT ... FOR UPDATE) for the rest of its transaction, so
// every connection and process takes its turn; log sequences are guarded by
// a transaction-scoped advisory lock per job. Transactions run at READ
// COMMITTED, so the statement after the lock sees what the previous holder
// committed.
//
// A connection the server dropped (restart, pg_terminate_backend, network)
// is noticed on its next use: the pool is reset and the call is tried once
// more on a new connection, when that cannot apply a change twice — a
// transaction whose COMMIT was not sent yet, or a read or idempotent write.
// Every method is safe for concurrent use by many goroutines.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sluice-ci/sluice/internal/store"
)

var _ store.Store = (*Store)(nil)

// DefaultApplicationName is the application_name the store's connections
// report (in pg_stat_activity) unless the DSN sets one.
const DefaultApplicationName = "sluice"

// attempts is how often a call is tried when its connection turns out to
// be dead: once more after resetting the pool.
const attempts = 2

// Options configure Open.
type Options struct {
	// ArtifactDir is the folder on this machine under which artifact copies
	// are kept (ArtifactDir(run, job) is a folder inside it); required. The
	// database records where each copy is, not its bytes.
	ArtifactDir string
	// MaxConns bounds the connection pool; 0 keeps pgxpool's default (the
	// larger of 4 and the number of CPUs). A DSN's pool_max_conns wins over
	// the default but not over MaxConns.
	MaxConns int32
}

// Store is the PostgreSQL implementation of store.Store. Create it with
// Open and release it with Close.
type Store struct {
	pool        *pgxpool.Pool
	artifactDir string

	closeOnce sync.Once
}

// Open connects to the database dsn names (a postgres:// URL or key=value
// pairs, as libpq takes them; search_path selects a schema), brings its
// schema up to date — processes opening at once take turns — and returns
// the store.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.ArtifactDir == "" {
		return nil, errors.New("open store: Options.ArtifactDir is empty: give the folder to keep artifact copies in")
	}
	if opts.MaxConns < 0 {
		return nil, fmt.Errorf("open store: Options.MaxConns is %d: give a positive pool size, or 0 for the default", opts.MaxConns)
	}
	dir, err := filepath.Abs(opts.ArtifactDir)
	if err != nil {
		return nil, fmt.Errorf("open store: artifact folder %s: %w", opts.ArtifactDir, err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message never includes the password.
		return nil, fmt.Errorf("open store: parse the PostgreSQL connection string: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = DefaultApplicationName
	}
	where := describe(cfg.ConnConfig)

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store %s: connect: %w", where, err)
	}
	if err := migrate(ctx, cfg.ConnConfig); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	return &Store{pool: pool, artifactDir: dir}, nil
}

// describe names the database for error messages: user, host, port and
// database, never the password.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Close releases the store's connections. Closing twice is safe.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// Runs returns the run store.
func (s *Store) Runs() store.RunStore { return runStore{s} }

// Jobs returns the job store.
func (s *Store) Jobs() store.JobStore { return jobStore{s} }

// Steps returns the step store.
func (s *Store) Steps() store.StepStore { return stepStore{s} }

// Logs returns the log store.
func (s *Store) Logs() store.LogStore { return logStore{s} }

// Artifacts returns the artifact store.
func (s *Store) Artifacts() store.ArtifactStore { return artifactStore{s} }

// Evidence returns the evidence store.
func (s *Store) Evidence() store.EvidenceStore { return evidenceStore{s} }

// Decisions returns the gate decision store.
func (s *Store) Decisions() store.DecisionStore { return decisionStore{s} }

// Audit returns the audit trail.
func (s *Store) Audit() store.AuditStore { return auditStore{s} }

// Releases returns the release store.
func (s *Store) Releases() store.ReleaseStore { return releaseStore{s} }

// ArtifactDir returns <Options.ArtifactDir>/<runID>/<jobID>, with both ids
// escaped into safe single path elements. The folder is not created.
func (s *Store) ArtifactDir(runID, jobID string) string {
	return filepath.Join(s.artifactDir, safeName(runID), safeName(jobID))
}

// safeName turns an id into one file name that is safe on every common file
// system and distinct for distinct ids: bytes other than letters, digits and
// "-_.=,+[]" become %XX, as does a leading dot (no hidden, "." or ".." names).
// It is the sqlstore's rule, so both stores lay artifacts out alike.
func safeName(id string) string {
	if id == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-_.=,+[]", c) >= 0
		if c == '.' && i == 0 {
			ok = false
		}
		if ok {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// querier is what both a pooled connection and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// do runs fn on a pooled connection outside a transaction. fn must be a
// read or an idempotent write: when the connection turns out to be dead,
// the pool is reset and fn runs again on a new connection.
func (s *Store) do(ctx context.Context, fn func(q querier) error) error {
	for try := 1; ; try++ {
		c, err := s.pool.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		err = fn(c)
		dead := err != nil && c.Conn().IsClosed()
		c.Release()
		if !dead || try == attempts || ctx.Err() != nil {
			return err
		}
		s.pool.Reset()
	}
}

// inTx runs fn in a READ COMMITTED transaction and commits when fn returns
// nil. When the connection dies before COMMIT is sent, the server has
// rolled the transaction back, so the pool is reset and fn runs again in a
// new one; fn must therefore compute everything it sets anew. A failed
// COMMIT is never retried: it may have been applied.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for try := 1; ; try++ {
		c, err := s.pool.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		retry, err := tryTx(ctx, c, fn)
		c.Release()
		if err == nil || !retry || try == attempts || ctx.Err() != nil {
			return err
		}
		s.pool.Reset()
	}
}

// rollbackTimeout bounds a rollback, which runs even when the caller's
// context has ended.
const rollbackTimeout = 5 * time.Second

// tryTx runs one attempt of inTx on c. It reports whether the attempt may
// be repeated: the connection died before COMMIT was sent.
func tryTx(ctx context.Context, c *pgxpool.Conn, fn func(tx pgx.Tx) error) (retry bool, err error) {
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return c.Conn().IsClosed(), fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		_ = tx.Rollback(rctx)
		cancel()
		return c.Conn().IsClosed(), err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return false, nil
}

// lockRow locks the store_locks row name until the transaction ends.
func lockRow(ctx context.Context, tx pgx.Tx, name string) error {
	var got string
	err := tx.QueryRow(ctx, `SELECT name FROM store_locks WHERE name = $1 FOR UPDATE`, name).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("lock %s: the store_locks row is missing; the schema was changed by hand: restore the row", name)
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", name, err)
	}
	return nil
}
