package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
)

// migrationFS holds the schema migrations, one folder per SQL dialect. Files
// are named NNNN_what.sql and use goose's "-- +goose Up" annotations; each
// file runs in its own transaction.
//
//go:embed migrations/sqlite/*.sql
var migrationFS embed.FS

// migrationTable records which migrations have been applied.
const migrationTable = "schema_migrations"

// migrations returns the migration files of one dialect folder.
func migrations(dialect string) (fs.FS, error) {
	sub, err := fs.Sub(migrationFS, "migrations/"+dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", dialect, err)
	}
	return sub, nil
}

// migrate applies the SQLite migrations db has not seen yet.
func migrate(ctx context.Context, db *sql.DB) error {
	files, err := migrations("sqlite")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, files,
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
