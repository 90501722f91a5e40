// Package gosast is sluice's built-in static analysis for Go: the gosec
// rule set (hard-coded credentials, SQL and command injection, weak
// crypto, permissive file modes, taint analysis …) run through gosec's
// library over every Go module of the target.
//
// Each module (every folder holding a go.mod, or the module that holds
// the target) is loaded once with the go command, all its packages
// together, and every package is then checked on its own: a package that
// does not load (a syntax error, a dependency missing offline) is an input
// error and the others are still checked. Test files are left out unless
// Options.Tests is set.
//
// gosec's own "#nosec" and "//gosec:disable" comments suppress a finding
// inside gosec, which drops it. sluice's inline marker ("// sluice:ignore",
// "// sluice:ignore G104", "// sluice:ignore gosec") on a flagged line
// keeps the finding, marked InlineIgnored, so reports still show it and
// the gate's policy decides whether the marker counts.
//
// Severity combines gosec's severity and confidence:
//
//	gosec severity   confidence       sluice severity
//	HIGH             HIGH or MEDIUM   high
//	HIGH             LOW              medium
//	MEDIUM           any              medium
//	LOW              any              low
//
// gosec's scales stop at HIGH, so no finding is critical.
package gosast

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

const scannerName = "gosec"

// Options tune the Go SAST scanner. The zero value checks every package of
// every module, without test files, with every gosec rule.
type Options struct {
	// Tests also checks _test.go files.
	Tests bool
	// Exclude lists gosec rule ids not to run ("G104", "G115" …). An
	// unknown id makes Scan fail rather than silently run every rule.
	Exclude []string
	// BuildTags are the build tags packages are loaded with.
	BuildTags []string
	// Env is added to the environment of the go command that loads the
	// packages (later entries win): GOFLAGS=-mod=mod, GOPROXY=off,
	// GOWORK=off, GOTOOLCHAIN=local …
	Env []string
	// Concurrency is how many packages are checked at once; 0 means
	// GOMAXPROCS.
	Concurrency int
}

// New returns the Go SAST scanner.
func New(opts Options) scan.Scanner {
	opts.Exclude = slices.Clone(opts.Exclude)
	for i, id := range opts.Exclude {
		opts.Exclude[i] = strings.ToUpper(strings.TrimSpace(id))
	}
	return &scanner{opts: opts}
}

type scanner struct{ opts Options }

var _ scan.Scanner = (*scanner)(nil)

// Name returns "gosec", the name users know the rule set by.
func (*scanner) Name() string { return scannerName }

// Category returns findings.SAST.
func (*scanner) Category() findings.Category { return findings.SAST }

// Applies says whether t holds Go files inside a module and the go
// command, which loads the packages, is on PATH.
func (*scanner) Applies(ctx context.Context, t *scan.Target) (bool, string) {
	files, _, err := goFiles(ctx, t)
	if err != nil {
		return true, "" // let Scan report why the target cannot be listed
	}
	if len(files) == 0 {
		return false, "no Go files (*.go) found"
	}
	mods, _ := findModules(t.Root, files)
	if len(mods) == 0 {
		return false, "no go.mod at or above the Go files"
	}
	if _, err := exec.LookPath("go"); err != nil {
		return false, "the go command is not on PATH (it is needed to load Go packages)"
	}
	return true, ""
}

// Scan checks every module of t. Problems with single packages are input
// errors; Scan fails only when it cannot run at all (no go command, an
// unknown rule in Options.Exclude, a cancelled context).
func (s *scanner) Scan(ctx context.Context, t *scan.Target, report func(findings.Finding)) (scan.Health, error) {
	start := time.Now()
	if err := checkExclude(s.opts.Exclude); err != nil {
		return scan.Health{}, err
	}
	if _, err := exec.LookPath("go"); err != nil {
		return scan.Health{}, fmt.Errorf("find the go command: %w", err)
	}
	files, errs, err := goFiles(ctx, t)
	if err != nil {
		return scan.Health{}, fmt.Errorf("list Go files: %w", err)
	}
	mods, orphans := findModules(t.Root, files)
	h := scan.Health{Scanner: scannerName, Errors: append(errs, orphans...)}
	run := newRun(t, files, s.opts)
	for _, m := range mods {
		if err := ctx.Err(); err != nil {
			return h, fmt.Errorf("scan Go modules: %w", err)
		}
		run.module(ctx, m)
	}
	if err := ctx.Err(); err != nil {
		return h, fmt.Errorf("scan Go modules: %w", err)
	}
	found := run.results()
	for _, f := range found {
		report(f)
	}
	h.Files, h.Packages, h.Findings = len(run.files), len(run.packages), len(found)
	h.Errors = append(h.Errors, run.errs...)
	h.Status = scan.Ran
	h.Partial = len(h.Errors) > 0
	h.Duration = time.Since(start)
	return h, nil
}

// checkExclude rejects rule ids gosec does not know.
func checkExclude(ids []string) error {
	var unknown []string
	for _, id := range ids {
		if _, ok := ruleIndex()[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return errors.New("unknown gosec rule " + strings.Join(unknown, ", ") + " in the exclude list")
	}
	return nil
}
