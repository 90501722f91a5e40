package sqlstore

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Times are stored as unix nanoseconds (UTC by definition), NULL when zero.

// nanos converts t for storage.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// fromNanos converts a stored time back; NULL is the zero time.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// encodeJSON renders a map or list column. Empty values are stored as the
// empty JSON value of their kind ("{}" or "[]"), never NULL.
func encodeJSON(v any, empty string) (string, error) {
	switch x := v.(type) {
	case map[string]string:
		if len(x) == 0 {
			return empty, nil
		}
	case []string:
		if len(x) == 0 {
			return empty, nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %T: %w", v, err)
	}
	return string(b), nil
}

// decodeMap reads a map column; an empty map reads back as nil.
func decodeMap(s string) (map[string]string, error) {
	if s == "" || s == "{}" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decode map: %w", err)
	}
	return m, nil
}

// decodeList reads a list column; an empty list reads back as nil.
func decodeList(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	return l, nil
}

// constraintErr maps a constraint violation to the store's sentinel errors:
// a duplicate key is store.ErrConflict, a missing parent store.ErrNotFound.
// Other errors are returned unchanged.
func constraintErr(err error, parent string) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%s: %w", parent, store.ErrNotFound)
	}
	return err
}

// newRunID returns 10 random lowercase hex characters with at least one
// letter, so that an all-digit reference always means a run number.
func newRunID() (string, error) {
	var b [5]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("run id: %w", err)
		}
		id := hex.EncodeToString(b[:])
		if !allDigits(id) {
			return id, nil
		}
	}
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}

// prefixEnd returns the smallest string greater than every string that
// starts with p, or "" when there is none (p is all 0xff bytes).
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
