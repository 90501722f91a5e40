package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/storetest"
)

// dsnEnv names the database the tests work in: a URL or key=value string
// of an existing database where the user may create schemas.
// scripts/postgres.sh starts a throwaway server and sets it.
const dsnEnv = "SLUICE_TEST_POSTGRES"

// serverDSN returns the test server's DSN. Without one the test is
// skipped, or fails when SLUICE_REQUIRE_TOOLS=1 (as scripts/test.sh sets).
func serverDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is not set: source scripts/postgres.sh to start a PostgreSQL server", dsnEnv)
		}
		t.Skipf("%s is not set: source scripts/postgres.sh to run the PostgreSQL store tests", dsnEnv)
	}
	return dsn
}

// withParam adds a run-time parameter to a DSN of either form.
func withParam(t testing.TB, dsn, key, value string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("parse %s: %v", dsnEnv, err)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
}

// randomName returns prefix and 12 random hex digits: a valid identifier.
func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// adminConn connects to the test database for setup and inspection.
func adminConn(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// freshSchema creates an empty schema, dropped when the test ends, and
// returns a DSN whose search path is that schema: each test gets a store
// of its own in the one test database.
func freshSchema(t testing.TB) string {
	t.Helper()
	dsn := serverDSN(t)
	admin := adminConn(t, dsn)
	schema := randomName("t_")
	if _, err := admin.Exec(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withParam(t, dsn, "search_path", schema)
}

// openStore opens a store on dsn, closed when the test ends.
func openStore(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn, Options{ArtifactDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	serverDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openStore(t, freshSchema(t)) })
}

// TestOpenTwice checks that a second Open of a migrated schema changes
// nothing and sees the first one's data.
func TestOpenTwice(t *testing.T) {
	dsn := freshSchema(t)
	a := openStore(t, dsn)
	r := &store.Run{Status: store.StatusPending}
	if err := a.Runs().CreateRun(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	b := openStore(t, dsn)
	got, err := b.Runs().GetRun(t.Context(), "1")
	if err != nil || got.ID != r.ID {
		t.Fatalf("second store: GetRun(1) = %v, %v; want run %s", got, err, r.ID)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	if _, err := Open(ctx, "postgres://u@127.0.0.1:1/x", Options{}); err == nil || !strings.Contains(err.Error(), "ArtifactDir") {
		t.Errorf("Open without ArtifactDir: %v", err)
	}
	if _, err := Open(ctx, "postgres://u@127.0.0.1:1/x", Options{ArtifactDir: t.TempDir(), MaxConns: -1}); err == nil {
		t.Error("Open with a negative pool size succeeded")
	}
	if _, err := Open(ctx, "postgres://u:secret@[bad", Options{ArtifactDir: t.TempDir()}); err == nil {
		t.Error("Open with a malformed DSN succeeded")
	} else if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the password: %v", err)
	}
	// Nothing listens on port 1.
	if _, err := Open(ctx, "postgres://u:secret@127.0.0.1:1/x?connect_timeout=5", Options{ArtifactDir: t.TempDir()}); err == nil {
		t.Error("Open of an unreachable server succeeded")
	} else if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestArtifactDir(t *testing.T) {
	dir := t.TempDir()
	s := &Store{artifactDir: dir}
	for _, tc := range []struct{ run, job, want string }{
		{"abc", "build", filepath.Join(dir, "abc", "build")},
		{"abc", "test[go=1.22]", filepath.Join(dir, "abc", "test[go=1.22]")},
		{"abc", "../x", filepath.Join(dir, "abc", "%2E.%2Fx")},
		{".hidden", ".", filepath.Join(dir, "%2Ehidden", "%2E")},
		{"", "a b", filepath.Join(dir, "%", "a%20b")},
	} {
		if got := s.ArtifactDir(tc.run, tc.job); got != tc.want {
			t.Errorf("ArtifactDir(%q, %q) = %s, want %s", tc.run, tc.job, got, tc.want)
		}
	}
}

// TestBytewiseKeys checks that prefixes and order go by bytes, as in
// SQLite, also where the database's default collation is a linguistic one
// (scripts/postgres.sh creates the test database with ICU's en-US, which
// sorts "ab-c" between "abb" and "abc" and ignores case at first).
func TestBytewiseKeys(t *testing.T) {
	s := openStore(t, freshSchema(t))
	ctx := t.Context()
	for _, id := range []string{"run-a", "runa", "run_b", "Runc", "rün", "rünx", "r\U0010FFFF"} {
		if err := s.Runs().CreateRun(ctx, &store.Run{ID: id, Status: store.StatusPending}); err != nil {
			t.Fatalf("CreateRun(%s): %v", id, err)
		}
	}
	for _, tc := range []struct {
		ref, want string
		err       error
	}{
		{ref: "run-", want: "run-a"},
		{ref: "run_", want: "run_b"},
		{ref: "R", want: "Runc"},
		{ref: "rü", err: store.ErrAmbiguous},
		{ref: "rünx", want: "rünx"},
		{ref: "run", err: store.ErrAmbiguous},
		{ref: "r\U0010FFFF", want: "r\U0010FFFF"},
		{ref: "ru\xff", err: store.ErrNotFound},
		{ref: "ru\x00", err: store.ErrNotFound},
	} {
		got, err := s.Runs().GetRun(ctx, tc.ref)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("GetRun(%q): %v, want %v", tc.ref, err, tc.err)
			}
			continue
		}
		if err != nil || got.ID != tc.want {
			t.Errorf("GetRun(%q) = %v, %v; want %s", tc.ref, got, err, tc.want)
		}
	}

	// Evidence is listed by job id in byte order.
	r := &store.Run{Status: store.StatusPending}
	if err := s.Runs().CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, job := range []string{"b", "a-z", "B", "a_z", "aa"} {
		if err := s.Evidence().PutEvidence(ctx, &store.Evidence{RunID: r.ID, JobID: job, Kind: "scan", Body: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.Evidence().ListEvidence(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for _, e := range list {
		jobs = append(jobs, e.JobID)
	}
	if want := "B a-z a_z aa b"; strings.Join(jobs, " ") != want {
		t.Errorf("evidence by job: %s, want %s", strings.Join(jobs, " "), want)
	}

	// Audit subjects by prefix, also one that ends in the largest code point.
	for _, subj := range []string{"run/a-1", "run/a", "run/A", "run/a\U0010FFFF", "run/b"} {
		if err := s.Audit().AppendAudit(ctx, &store.AuditRecord{Action: "x", Subject: subj}); err != nil {
			t.Fatal(err)
		}
	}
	for prefix, want := range map[string]int{"run/a": 3, "run/a-": 1, "run/": 5, "run/a\U0010FFFF": 1, "run/\xff": 0} {
		recs, err := s.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: prefix})
		if err != nil {
			t.Fatalf("ListAudit(%q): %v", prefix, err)
		}
		if len(recs) != want {
			t.Errorf("ListAudit(%q): %d records, want %d", prefix, len(recs), want)
		}
	}
}

// TestLogBytes checks that a log line keeps bytes PostgreSQL's TEXT type
// refuses (NUL) and text with invalid UTF-8, as the SQLite store does.
func TestLogBytes(t *testing.T) {
	s := openStore(t, freshSchema(t))
	ctx := t.Context()
	r := &store.Run{Status: store.StatusRunning}
	if err := s.Runs().CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	texts := []string{"nul\x00inside", "bad \xff utf-8", "", "ünïcode"}
	var lines []*store.LogLine
	for _, text := range texts {
		lines = append(lines, &store.LogLine{RunID: r.ID, JobID: "build", Stream: store.Stdout, Text: text})
	}
	if err := s.Logs().AppendLogs(ctx, lines); err != nil {
		t.Fatalf("AppendLogs: %v", err)
	}
	got, err := s.Logs().ReadLogs(ctx, store.LogQuery{RunID: r.ID, JobID: "build"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(texts) {
		t.Fatalf("%d lines read back, want %d", len(got), len(texts))
	}
	for i, l := range got {
		if l.Text != texts[i] || !l.Time.IsZero() {
			t.Errorf("line %d read back as %q at %v, want %q without a time", i, l.Text, l.Time, texts[i])
		}
	}
}
