package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestRunOnPostgres runs a pipeline with the store in PostgreSQL
// (--database) and reads it back, then verifies the audit chain there.
func TestRunOnPostgres(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv("SLUICE_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
			t.Fatal("SLUICE_TEST_POSTGRES is not set (scripts/postgres.sh sets it)")
		}
		t.Skip("no PostgreSQL server: SLUICE_TEST_POSTGRES is not set")
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "e2e_" + hex.EncodeToString(b)
	if _, err := conn.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db := u.String()

	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", `version: 1
jobs:
  a: { steps: [{ run: echo from-postgres }] }
  b: { needs: [a], steps: [{ run: echo b }] }
`)
	expectCode(t, sluice(t, dir, "--database", db, "run", "--plain"), 0)
	expectCode(t, sluice(t, dir, "--database", db, "run", "--plain"), 0)
	r := sluice(t, dir, "--database", db, "runs")
	expectCode(t, r, 0)
	if strings.Count(r.stdout, "succeeded") != 2 {
		t.Errorf("runs on PostgreSQL:\n%s", r.stdout)
	}
	r = sluice(t, dir, "--database", db, "logs", "1", "a")
	expectContains(t, r, "stdout", r.stdout, "from-postgres")
	r = sluice(t, dir, "--database", db, "audit", "verify")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, "4 records")
	// Nothing went into a SQLite file.
	if _, err := os.Stat(dir + "/.sluice/sluice.db"); err == nil {
		t.Error("a SQLite store was made although --database was given")
	}
}
