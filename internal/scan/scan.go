// Package scan runs scanners over a target and reports their findings and
// their health. Built-in scanners live in sub-packages, one folder each;
// external/ adapts the tools teams already run.
package scan

import (
	"context"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
)

// Target is what a scan looks at.
type Target struct {
	// Root is the folder to scan (absolute).
	Root string
	// Files lists every regular file under Root worth scanning, relative to
	// Root with forward slashes, after ignore rules; see Walk.
	Files []string
	// VulnDB is the folder of the offline OSV database ("" when none).
	VulnDB string
}

// Status says whether a scanner ran.
type Status string

// Scanner statuses. Skipped and Failed always carry a reason: a scan that
// did not run is never shown as "0 findings".
const (
	Ran     Status = "ran"
	Skipped Status = "skipped"
	Failed  Status = "failed"
)

// Health is what a scanner reports about its own run.
type Health struct {
	Scanner  string `json:"scanner"`
	Status   Status `json:"status"`
	Reason   string `json:"reason,omitempty"`
	Files    int    `json:"files"`
	Packages int    `json:"packages,omitempty"`
	// Findings counts every finding reported, inline-ignored ones too;
	// Ignored counts those an inline marker turned off (InlineIgnored).
	Findings int           `json:"findings"`
	Ignored  int           `json:"ignored,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// DBUpdated is when the vulnerability database was last updated, for
	// scanners that use one.
	DBUpdated time.Time `json:"db_updated,omitzero"`
	// Errors are problems with single inputs (an unreadable file, a
	// malformed lockfile) that did not stop the scanner.
	Errors []InputError `json:"errors,omitempty"`
	// Partial is true when some inputs could not be scanned.
	Partial bool `json:"partial,omitempty"`
}

// InputError is a problem with one input of a scanner.
type InputError struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// Scanner is one built-in scanner or adapter.
//
// Applies and Scan may be called from several goroutines for different
// targets. Scan reports findings through report as it finds them (report is
// safe to call from many goroutines), and problems with single inputs in
// the returned Health's Errors; it returns an error only when it could not
// run at all. A finding an inline marker turns off (see InlineIgnored) is
// reported all the same, marked InlineIgnored, never dropped.
type Scanner interface {
	// Name is the id users pass to --scanners: secrets, deps, dockerfile …
	Name() string
	Category() findings.Category
	// Applies says whether the scanner has anything to look at in t, and if
	// not, why (the reason shown for a skipped scanner).
	Applies(ctx context.Context, t *Target) (bool, string)
	Scan(ctx context.Context, t *Target, report func(findings.Finding)) (Health, error)
}
