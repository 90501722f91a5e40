// Package builtin lists the scanners sluice knows by name: its own
// built-in scanners and the adapters that run tools teams already use, so
// the CLI and the pipeline pick them without knowing each package.
package builtin

import (
	"sort"

	"github.com/sluice-ci/sluice/internal/scan"
	"github.com/sluice-ci/sluice/internal/scan/dast"
	"github.com/sluice-ci/sluice/internal/scan/deps"
	"github.com/sluice-ci/sluice/internal/scan/dockerfile"
	"github.com/sluice-ci/sluice/internal/scan/external"
	"github.com/sluice-ci/sluice/internal/scan/gosast"
	"github.com/sluice-ci/sluice/internal/scan/iac"
	"github.com/sluice-ci/sluice/internal/scan/image"
	"github.com/sluice-ci/sluice/internal/scan/secrets"
)

// Options configure the scanners.
type Options struct {
	Secrets  secrets.Options
	Deps     deps.Options
	External external.Options
	// Image names the container image the image scanner reads; without
	// one the image scanner is not part of a default scan.
	Image image.Options
	Gosec gosast.Options
	// IaC holds extra Rego policy folders for the terraform and kubernetes
	// scanners.
	IaC iac.Options
	// DAST names the running application the dast scanner attacks; without
	// a BaseURL it is not part of a default scan.
	DAST dast.Options
}

// Builtin returns sluice's own scanners, in a fixed order.
func Builtin(o Options) []scan.Scanner {
	return []scan.Scanner{
		secrets.New(o.Secrets),
		deps.New(o.Deps),
		dockerfile.New(),
		iac.NewTerraform(o.IaC),
		iac.NewKubernetes(o.IaC),
		gosast.New(o.Gosec),
		image.New(o.imageOptions()),
		dast.New(o.DAST),
	}
}

// imageOptions lets the image scanner read the lockfiles an image holds
// with the deps scanner's parsers.
func (o Options) imageOptions() image.Options {
	io := o.Image
	if io.IsLockfile == nil || io.ParseLockfile == nil {
		io.IsLockfile, io.ParseLockfile = deps.IsLockfile, deps.ParseLockfile
	}
	return io
}

// External returns the adapters that run installed tools (bandit, eslint,
// semgrep, gitleaks, hadolint, trivy, checkov, kube-linter, tfsec).
// A tool that sluice has a built-in scanner for (gosec) is left out: the
// built-in one runs the same rules in-process.
func External(o Options) []scan.Scanner {
	own := map[string]bool{}
	for _, s := range Builtin(o) {
		own[s.Name()] = true
	}
	var out []scan.Scanner
	for _, s := range external.Tools(o.External) {
		if !own[s.Name()] {
			out = append(out, s)
		}
	}
	return out
}

// All returns every scanner: built-in first, then the tool adapters.
func All(o Options) []scan.Scanner {
	return append(Builtin(o), External(o)...)
}

// Default returns what a scan runs when no scanner is named: every
// built-in scanner (the image scanner only when an image is given), plus
// each tool adapter whose tool is installed.
func Default(o Options) []scan.Scanner {
	var out []scan.Scanner
	for _, s := range Builtin(o) {
		if s.Name() == "image" && o.Image.Ref == "" && o.Image.Archive == "" {
			continue
		}
		if s.Name() == "dast" && o.DAST.BaseURL == "" {
			continue
		}
		out = append(out, s)
	}
	for _, s := range External(o) {
		if in, ok := s.(interface{ Installed() bool }); ok && !in.Installed() {
			continue
		}
		out = append(out, s)
	}
	return out
}

// Names returns the names of every scanner, sorted.
func Names() []string {
	var names []string
	for _, s := range All(Options{}) {
		names = append(names, s.Name())
	}
	sort.Strings(names)
	return names
}

// BuiltinNames returns the names of sluice's own scanners, sorted.
func BuiltinNames() []string {
	var names []string
	for _, s := range Builtin(Options{}) {
		names = append(names, s.Name())
	}
	sort.Strings(names)
	return names
}
