// Package osv is sluice's offline OSV vulnerability database: it reads OSV
// records from a folder of JSON files and/or the per-ecosystem all.zip
// archives OSV publishes, indexes them by ecosystem and package, and
// answers "which advisories affect this package at this version" with each
// ecosystem's own version ordering.
package osv

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Record is one OSV advisory (schema 1.x). Fields sluice does not use are
// left out; unknown fields are ignored when parsing.
type Record struct {
	SchemaVersion string `json:"schema_version,omitempty"`
	ID            string `json:"id"`
	// Modified, Published and Withdrawn are RFC 3339 timestamps, kept as
	// text so that one odd timestamp does not make the record unreadable.
	Modified   string      `json:"modified,omitempty"`
	Published  string      `json:"published,omitempty"`
	Withdrawn  string      `json:"withdrawn,omitempty"`
	Aliases    []string    `json:"aliases,omitempty"`
	Related    []string    `json:"related,omitempty"`
	Summary    string      `json:"summary,omitempty"`
	Details    string      `json:"details,omitempty"`
	Severity   []Severity  `json:"severity,omitempty"`
	Affected   []Affected  `json:"affected,omitempty"`
	References []Reference `json:"references,omitempty"`
	// DatabaseSpecific is free-form; see Specific for the fields GHSA and
	// other databases put there.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is one severity score of a record or an affected package.
type Severity struct {
	// Type is CVSS_V2, CVSS_V3, CVSS_V4 or Ubuntu.
	Type string `json:"type"`
	// Score is the CVSS vector, or a word for Ubuntu.
	Score string `json:"score"`
}

// Package identifies a package in an ecosystem.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Purl      string `json:"purl,omitempty"`
}

// Affected says which versions of one package an advisory affects.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Range types.
const (
	RangeSemver    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// Range is a list of events that open and close affected intervals.
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Event is one range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link about the advisory.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Specific holds the database_specific fields sluice reads: GHSA's
// severity word and CWE ids.
type Specific struct {
	Severity string   `json:"severity"`
	CWEIDs   []string `json:"cwe_ids"`
}

// Specific decodes the record's database_specific leniently: fields of an
// unexpected type are left empty rather than failing.
func (r *Record) Specific() Specific {
	var s Specific
	if len(r.DatabaseSpecific) == 0 {
		return s
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(r.DatabaseSpecific, &raw) != nil {
		return s
	}
	_ = json.Unmarshal(raw["severity"], &s.Severity)
	_ = json.Unmarshal(raw["cwe_ids"], &s.CWEIDs)
	return s
}

// IsWithdrawn says whether the advisory was withdrawn.
func (r *Record) IsWithdrawn() bool { return strings.TrimSpace(r.Withdrawn) != "" }

// ErrInvalidRecord is wrapped by ParseRecord's errors for records that are
// valid JSON but not usable OSV.
var ErrInvalidRecord = errors.New("invalid OSV record")

// ParseRecord reads one OSV record. It rejects data that is not a JSON
// object with an id; affected entries without an ecosystem or name, and
// range events that set no version, are dropped rather than failing the
// whole record.
func ParseRecord(data []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("parse OSV record: %w", err)
	}
	r.ID = strings.TrimSpace(r.ID)
	if r.ID == "" {
		return nil, fmt.Errorf("%w: no id", ErrInvalidRecord)
	}
	kept := r.Affected[:0]
	for _, a := range r.Affected {
		a.Package.Ecosystem = strings.TrimSpace(a.Package.Ecosystem)
		a.Package.Name = strings.TrimSpace(a.Package.Name)
		if a.Package.Ecosystem == "" || a.Package.Name == "" {
			continue
		}
		for i := range a.Ranges {
			a.Ranges[i].Events = validEvents(a.Ranges[i].Events)
		}
		kept = append(kept, a)
	}
	r.Affected = kept
	return &r, nil
}

// validEvents keeps the events that set exactly one version.
func validEvents(evs []Event) []Event {
	out := evs[:0]
	for _, e := range evs {
		n := 0
		for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
			if s != "" {
				n++
			}
		}
		if n == 1 {
			out = append(out, e)
		}
	}
	return out
}
