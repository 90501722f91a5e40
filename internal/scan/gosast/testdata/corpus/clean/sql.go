package clean

import "database/sql"

// UserByName passes the name as a query parameter.
func UserByName(db *sql.DB, name string) (*sql.Rows, error) {
	rows, err := db.Query("SELECT id FROM users WHERE name = $1", name)
	return rows, err
}

// UserByID passes the id as a query parameter.
func UserByID(db *sql.DB, id string) (*sql.Rows, error) {
	rows, err := db.Query("SELECT name FROM users WHERE id = $1", id)
	return rows, err
}
