package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// migrationFS holds the schema migrations. Files are named NNNN_what.sql,
// numbered like the SQLite store's so a version means the same schema in
// both, and use goose's "-- +goose Up" annotations; each file runs in its
// own transaction.
//
//go:embed migrations/postgres/*.sql
var migrationFS embed.FS

// migrationTable records which migrations have been applied (in the first
// schema of the search path, like every table of the store).
const migrationTable = "schema_migrations"

// migrateLockKey is the first half of the advisory lock key that serialises
// migrations; the second is a hash of the schema, so stores in different
// schemas of one database migrate independently.
const migrateLockKey = 0x736c6963 // "slic"

// migrate applies the migrations the database has not seen yet. goose works
// on database/sql, so it gets a connection of its own (through pgx's stdlib
// adapter), next to one that holds a session advisory lock meanwhile:
// processes opening a new database at once wait for each other instead of
// creating the same tables twice.
func migrate(ctx context.Context, cc *pgx.ConnConfig) error {
	files, err := fs.Sub(migrationFS, "migrations/postgres")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	db := stdlib.OpenDB(*cc.Copy())
	defer db.Close()
	lock, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, `SELECT pg_advisory_lock($1, hashtext(COALESCE(current_schema(), '')))`,
		migrateLockKey); err != nil {
		return fmt.Errorf("migrate: wait for the migration lock: %w", err)
	}
	defer func() {
		// Closing the connection would release the lock too.
		_, _ = lock.ExecContext(context.WithoutCancel(ctx),
			`SELECT pg_advisory_unlock($1, hashtext(COALESCE(current_schema(), '')))`, migrateLockKey)
	}()

	p, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithTableName(migrationTable),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		slog.DebugContext(ctx, "applied store migration",
			"file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}
