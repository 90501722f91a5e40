// Package builtin lists sluice's built-in scanners, so the CLI and the
// engine pick them by name without knowing each package.
package builtin

import (
	"sort"

	"github.com/sluice-ci/sluice/internal/scan"
	"github.com/sluice-ci/sluice/internal/scan/deps"
	"github.com/sluice-ci/sluice/internal/scan/dockerfile"
	"github.com/sluice-ci/sluice/internal/scan/secrets"
)

// Options configure the built-in scanners.
type Options struct {
	Secrets secrets.Options
	Deps    deps.Options
}

// All returns every built-in scanner, in a fixed order.
func All(o Options) []scan.Scanner {
	return []scan.Scanner{
		secrets.New(o.Secrets),
		deps.New(o.Deps),
		dockerfile.New(),
	}
}

// Names returns the names of the built-in scanners, sorted.
func Names() []string {
	var names []string
	for _, s := range All(Options{}) {
		names = append(names, s.Name())
	}
	sort.Strings(names)
	return names
}
