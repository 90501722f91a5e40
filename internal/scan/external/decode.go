package external

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// decode unmarshals data into v, explaining a failure in terms of the
// report rather than of Go types.
func decode(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return errors.New(describeAt(data, err))
	}
	return nil
}

// each decodes every raw entry of a list into a T and hands it to fn
// with its index; an entry that does not decode, or that fn rejects, is
// recorded as malformed under "list[i]" and the others go on.
func each[T any](res *result, list string, raws []json.RawMessage, fn func(i int, v *T) error) {
	for i, raw := range raws {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			res.malformed(fmt.Sprintf("%s[%d]", list, i), err)
			continue
		}
		if err := fn(i, &v); err != nil {
			res.malformed(fmt.Sprintf("%s[%d]", list, i), err)
		}
	}
}

// describeAt explains a JSON error, with the line and column of a syntax
// error in data.
func describeAt(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, se.Offset)
		return fmt.Sprintf("not valid JSON at line %d, column %d: %s", line, col,
			strings.TrimPrefix(se.Error(), "json: "))
	}
	return describe(err)
}

// describe explains a JSON decoding error by the report's field names.
func describe(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		where := te.Field
		if where == "" {
			where = "top level"
		}
		return fmt.Sprintf("%s: got JSON %s, want %s", where, te.Value, kind(te.Type))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "not valid JSON: " + strings.TrimPrefix(se.Error(), "json: ")
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// kind names what a Go type expects in JSON terms.
func kind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return kind(t.Elem())
	}
	return t.String()
}

// position turns the offset of a syntax error (the bytes read when it was
// found, so the offending byte is the one before) into a 1-based line and
// column.
func position(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, max(col, 1)
}

// text is a JSON value read as text: a string as is, a number or boolean
// in its JSON spelling, null as "". Tools disagree on whether ids,
// severities and counts are strings or numbers (ZAP writes "3", Safety
// both).
type text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
	case b[0] == '{' || b[0] == '[':
		return &json.UnmarshalTypeError{Value: valueKind(b), Type: reflect.TypeFor[string]()}
	default:
		*t = text(b)
	}
	return nil
}

// number is a JSON number that may also be written as a string ("9.8").
type number float64

// UnmarshalJSON implements json.Unmarshaler.
func (n *number) UnmarshalJSON(b []byte) error {
	var t text
	if err := t.UnmarshalJSON(b); err != nil {
		return &json.UnmarshalTypeError{Value: valueKind(b), Type: reflect.TypeFor[float64]()}
	}
	s := strings.TrimSpace(string(t))
	if s == "" {
		*n = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f {
		return &json.UnmarshalTypeError{Value: "string " + strconv.Quote(s), Type: reflect.TypeFor[float64]()}
	}
	*n = number(f)
	return nil
}

// Int returns n as an int, 0 when it is not a small whole number.
func (n number) Int() int {
	f := float64(n)
	if f < -1e9 || f > 1e9 {
		return 0
	}
	return int(f)
}

// valueKind names the kind of a raw JSON value for error messages.
func valueKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// list reads a JSON value that tools write either as one object or as an
// array of them (Checkov, Snyk, ZAP's site), and returns the entries.
func list(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, nil
	case raw[0] == '[':
		var out []json.RawMessage
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, err
		}
		return out, nil
	case raw[0] == '{':
		return []json.RawMessage{raw}, nil
	}
	return nil, &json.UnmarshalTypeError{Value: valueKind(raw), Type: reflect.TypeFor[[]any]()}
}

// topKind returns the first non-space byte of data ('{', '[' …), 0 when
// there is none.
func topKind(data []byte) byte {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return 0
	}
	return data[0]
}
