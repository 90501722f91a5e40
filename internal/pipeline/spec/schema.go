package spec

import _ "embed"

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of sluice.yaml version 1,
// for editors and for validating files outside sluice. The parser is the
// authority; a test keeps the schema's keys equal to the parser's.
func Schema() []byte {
	return append([]byte(nil), schemaJSON...)
}
