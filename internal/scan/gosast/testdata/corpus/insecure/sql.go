package insecure

import (
	"database/sql"
	"fmt"
)

// UserByName builds a query with a format string.
func UserByName(db *sql.DB, name string) (*sql.Rows, error) {
	q := fmt.Sprintf("SELECT id FROM users WHERE name = '%s'", name) // expect: G201
	rows, err := db.Query(q)
	return rows, err
}

// UserByID builds a query by concatenation.
func UserByID(db *sql.DB, id string) (*sql.Rows, error) {
	rows, err := db.Query("SELECT name FROM users WHERE id = " + id) // expect: G202
	return rows, err
}
