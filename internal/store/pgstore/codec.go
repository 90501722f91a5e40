package pgstore

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-ci/sluice/internal/store"
)

// Times are TIMESTAMPTZ, which keeps microseconds: a time the store makes
// up is truncated to microseconds first, so the caller's copy equals what
// is read back. Zero times are NULL.

// ts converts t for storage.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromTS converts a stored time back, in UTC; NULL is the zero time.
func fromTS(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// now returns the current time as the store keeps it.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

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
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decode map: %w", err)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// decodeList reads a list column; an empty list reads back as nil.
func decodeList(s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// SQLSTATE codes the store maps to its sentinel errors.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// constraintErr maps a constraint violation to the store's sentinel errors:
// a duplicate key is store.ErrConflict, a missing parent (named by parent)
// store.ErrNotFound. Other errors are returned unchanged.
func constraintErr(err error, parent string) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case uniqueViolation:
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	case foreignKeyViolation:
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

// storable reports whether PostgreSQL accepts s as TEXT: valid UTF-8
// without NUL. A key that is not cannot be stored, so looking it up finds
// nothing.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// prefixEnd returns the smallest valid UTF-8 string greater, in byte order,
// than every string that starts with p (valid UTF-8), or "" when there is
// none. It increments the last code point that can be, skipping the
// surrogate range, and drops what follows: PostgreSQL refuses the invalid
// UTF-8 that incrementing the last byte could make.
func prefixEnd(p string) string {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		switch {
		case r == utf8.MaxRune:
			continue
		case r == 0xD7FF:
			r = 0xE000
		default:
			r++
		}
		return p + string(r)
	}
	return ""
}

// limitArg is a LIMIT parameter: NULL, no limit, when n is not positive.
func limitArg(n int) any {
	if n <= 0 {
		return nil
	}
	return int64(n)
}

// placeholders returns "$from, $from+1, ..." for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}
