// Package sqlstore is the embedded store: store.Store on a SQLite file in the
// data folder, through the pure-Go modernc.org/sqlite driver (no cgo).
//
// Writes go through a single connection, so writers queue in the process
// instead of fighting over the file lock; reads use a pool of query-only
// connections that, thanks to WAL mode, never wait for the writer. Every
// method is safe for concurrent use by many goroutines.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/sluice-ci/sluice/internal/store"

	// Registers the "sqlite" database/sql driver.
	_ "modernc.org/sqlite"
)

// FileName is the name of the database file inside the data folder.
const FileName = "sluice.db"

// readConns bounds the reader pool. Reads are short; more connections than
// this only cost memory (each has its own page cache).
const readConns = 4

// busyTimeoutMS is how long a connection waits for a lock held by another
// process (say a CLI command next to a running server) before failing.
const busyTimeoutMS = 10000

var _ store.Store = (*Store)(nil)

// Store is the SQLite implementation of store.Store. Create it with Open and
// release it with Close.
type Store struct {
	dir string
	// w has exactly one connection: every write transaction is serialised
	// through it.
	w *sql.DB
	// r is a pool of query-only connections.
	r *sql.DB
	// logInserts are prepared on w, by line count (see prepareLogInserts);
	// read-only after Open.
	logInserts map[int]*sql.Stmt

	closeOnce sync.Once
	closeErr  error
}

// Open opens the store in dataDir, creating the folder (mode 0700) and the
// database file when missing, and brings the schema up to date.
func Open(ctx context.Context, dataDir string) (*Store, error) {
	if dataDir == "" {
		return nil, errors.New("open store: empty data folder")
	}
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dataDir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	path := filepath.Join(dir, FileName)

	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{dir: dir, w: w}

	if err := s.setUp(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.prepareLogInserts(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	s.r = r
	if err := r.PingContext(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// setUp connects the writer and migrates the schema while holding the data
// folder's lock, so processes opening a new folder at once take turns:
// switching a file to WAL mode and creating tables do not wait on SQLite's
// busy timeout. The writer connects first because the query-only readers
// cannot switch the file to WAL mode.
func (s *Store) setUp(ctx context.Context) error {
	unlock, err := lockDir(ctx, s.dir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.w.PingContext(ctx); err != nil {
		return err
	}
	return migrate(ctx, s.w)
}

// dsn builds the driver's connection string: a file: URI (so any path
// character is escaped) with the connection settings as parameters.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMS))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "1")
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		// BEGIN IMMEDIATE takes the write lock up front, so a transaction
		// never fails half-way when it turns from reading to writing.
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

// Close releases the store's connections. Closing twice is safe.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		if s.w != nil {
			errs = append(errs, s.w.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.dir, err)
		}
	})
	return s.closeErr
}

// Dir returns the store's data folder as an absolute path.
func (s *Store) Dir() string { return s.dir }

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

// ArtifactDir returns <dataDir>/artifacts/<runID>/<jobID>, with both ids
// escaped into safe single path elements. The folder is not created.
func (s *Store) ArtifactDir(runID, jobID string) string {
	return filepath.Join(s.dir, "artifacts", safeName(runID), safeName(jobID))
}

// safeName turns an id into one file name that is safe on every common file
// system and distinct for distinct ids: bytes other than letters, digits and
// "-_.=,+[]" become %XX, as does a leading dot (no hidden, "." or ".." names).
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

// inTx runs fn in a write transaction, committing when fn returns nil. fn
// must use only tx: the write pool has one connection, which tx holds.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Backup writes a consistent copy of the database to path (which must
// not exist), while other connections keep reading and writing: SQLite's
// VACUUM INTO copies a snapshot.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file", path)
	}
	if _, err := s.w.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

// Restore replaces the database of dataDir with the backup file, after
// checking it is a sluice store no newer than this program. No other
// process may use the data folder meanwhile; the folder lock is held.
func Restore(ctx context.Context, dataDir, backup string) error {
	check, err := sql.Open("sqlite", dsn(backup, true))
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	var n int
	err = check.QueryRowContext(ctx, `SELECT count(*) FROM `+migrationTable).Scan(&n)
	check.Close()
	if err != nil || n == 0 {
		return fmt.Errorf("restore: %s is not a sluice store backup", backup)
	}
	unlock, err := lockDir(ctx, dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	data, err := os.ReadFile(backup)
	if err != nil {
		return err
	}
	target := filepath.Join(dataDir, FileName)
	tmp := target + ".restore"
	if err := os.WriteFile(tmp, data, 0o600); err != nil { // #nosec G703 -- the operator names the backup and owns the data folder
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(target + suffix); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return os.Rename(tmp, target)
}
