package deps

import (
	"path"
	"strings"

	"github.com/sluice-ci/sluice/internal/osv"
)

// Package is one dependency declared in a lockfile or manifest.
type Package struct {
	Name      string
	Version   string
	Ecosystem string
	// Line is where the package is declared (1-based); 0 when the format
	// does not make that cheap to know.
	Line int
}

// parsed is what a parser found in one file.
type parsed struct {
	pkgs []Package
	// skipped says which declarations could not be checked and why
	// (unpinned requirements, unresolved properties …).
	skipped []string
}

// parseFunc reads one lockfile or manifest. It returns an error only when
// the file as a whole is malformed.
type parseFunc func(data []byte) (parsed, error)

// parserFor returns the parser for a file, by its name; false when the
// file is not a lockfile or manifest sluice reads.
func parserFor(rel string) (parseFunc, bool) {
	base := path.Base(rel)
	switch base {
	case "go.mod":
		return parseGoMod, true
	case "go.sum":
		return parseGoSum, true
	case "poetry.lock":
		return parsePoetryLock, true
	case "Pipfile.lock":
		return parsePipfileLock, true
	case "package-lock.json", "npm-shrinkwrap.json":
		return parsePackageLock, true
	case "yarn.lock":
		return parseYarnLock, true
	case "pnpm-lock.yaml":
		return parsePnpmLock, true
	case "Cargo.lock":
		return parseCargoLock, true
	case "Gemfile.lock", "gems.locked":
		return parseGemfileLock, true
	case "composer.lock":
		return parseComposerLock, true
	case "pom.xml":
		return parsePom, true
	}
	if isRequirementsFile(rel) {
		return parseRequirements, true
	}
	return nil, false
}

// isRequirementsFile matches pip's requirement files: requirements.txt,
// requirements-dev.txt, dev-requirements.txt, and any .txt file in a
// requirements/ folder.
func isRequirementsFile(rel string) bool {
	base := path.Base(rel)
	if !strings.HasSuffix(base, ".txt") {
		return false
	}
	if strings.Contains(base, "requirements") {
		return true
	}
	return path.Base(path.Dir(rel)) == "requirements"
}

// isVersion says whether s can be a released version (not a path, URL,
// tag or range): it starts with a digit, after an optional "v".
func isVersion(s string) bool {
	s = strings.TrimPrefix(s, "v")
	return s != "" && s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, " /:\\")
}

// pkg builds a Package for an ecosystem.
func pkg(eco, name, version string, line int) Package {
	return Package{Name: name, Version: version, Ecosystem: eco, Line: line}
}

// Ecosystems sluice reads lockfiles for.
const (
	ecoGo        = osv.Go
	ecoPyPI      = osv.PyPI
	ecoNpm       = osv.Npm
	ecoCrates    = osv.CratesIO
	ecoRubyGems  = osv.RubyGems
	ecoPackagist = osv.Packagist
	ecoMaven     = osv.Maven
)
