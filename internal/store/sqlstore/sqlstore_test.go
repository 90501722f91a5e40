package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/storetest"
)

// openTemp opens a store in a fresh temporary folder, closed with the test.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestOpenCreatesPrivateFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("data folder mode %o, want 700", perm)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Errorf("database file: %v", err)
	}
	if s.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", s.Dir(), dir)
	}
	want := filepath.Join(dir, "artifacts", "r1", "test[go=1.22]")
	if got := s.ArtifactDir("r1", "test[go=1.22]"); got != want {
		t.Errorf("ArtifactDir = %q, want %q", got, want)
	}
}

func TestPragmas(t *testing.T) {
	s := openTemp(t)
	for _, db := range []struct {
		name string
		conn interface {
			QueryRowContext(context.Context, string, ...any) *sql.Row
		}
		want map[string]string
	}{
		{"writer", s.w, map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "10000", "query_only": "0"}},
		{"reader", s.r, map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "10000", "query_only": "1"}},
	} {
		for pragma, want := range db.want {
			var got string
			if err := db.conn.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", db.name, pragma, err)
			}
			if got != want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", db.name, pragma, got, want)
			}
		}
	}
	if _, err := s.r.ExecContext(t.Context(), `DELETE FROM runs`); err == nil {
		t.Error("a reader connection accepted a write")
	}
}

func TestPathNeedsEscaping(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "odd ?#%& name")
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatalf("database not created at the given path: %v", err)
	}
}

func TestReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	r := &store.Run{Status: store.StatusRunning}
	if err := s.Runs().CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.Jobs().PutJobs(ctx, []*store.Job{{RunID: r.ID, ID: "build", Status: store.StatusRunning}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Logs().AppendLogs(ctx, []*store.LogLine{{RunID: r.ID, JobID: "build", Text: "before"}}); err != nil {
		t.Fatal(err)
	}
	applied := migrationRows(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got := migrationRows(t, s); got != applied {
		t.Errorf("migration records changed on reopen:\nbefore %s\nafter  %s", applied, got)
	}
	got, err := s.Runs().GetRun(ctx, r.ID)
	if err != nil {
		t.Fatalf("run lost on reopen: %v", err)
	}
	if got.Number != 1 || got.Status != store.StatusRunning {
		t.Errorf("reopened run = %+v", got)
	}
	// A resumed run keeps numbering its log lines.
	line := &store.LogLine{RunID: r.ID, JobID: "build", Text: "after"}
	if err := s.Logs().AppendLogs(ctx, []*store.LogLine{line}); err != nil {
		t.Fatal(err)
	}
	if line.Seq != 2 {
		t.Errorf("first line after reopen got seq %d, want 2", line.Seq)
	}
	next := &store.Run{Status: store.StatusPending}
	if err := s.Runs().CreateRun(ctx, next); err != nil {
		t.Fatal(err)
	}
	if next.Number != 2 {
		t.Errorf("run created after reopen got number %d, want 2", next.Number)
	}
}

// migrationRows renders the migration table's content, timestamps included,
// so a re-run migration shows up as a change.
func migrationRows(t *testing.T, s *Store) string {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(),
		`SELECT version_id, is_applied, tstamp FROM `+migrationTable+` ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	n := 0
	for rows.Next() {
		var v, applied int64
		var ts string
		if err := rows.Scan(&v, &applied, &ts); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "[%d %d %s]", v, applied, ts)
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(migrationFS, "migrations/sqlite/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	// goose records version 0 when it creates its table, then one row per file.
	if n != len(files)+1 {
		t.Errorf("%d migration rows for %d files: %s", n, len(files), b.String())
	}
	return b.String()
}

func TestOpenRejectsGarbage(t *testing.T) {
	dir := t.TempDir()
	junk := strings.Repeat("this is not a database file\n", 400)
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(junk), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), dir)
	if err == nil {
		s.Close()
		t.Fatal("Open of a non-database file succeeded")
	}
	if !strings.Contains(err.Error(), FileName) {
		t.Errorf("error does not name the file: %v", err)
	}
}
