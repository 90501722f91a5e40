// Package findings is sluice's one model of a security finding, whichever
// scanner or imported tool reported it: severity, category, CWE and OWASP
// Top 10 taxonomy, location, fix, a fingerprint that survives unrelated
// edits, and the sources that reported it. It reads and writes SARIF 2.1.0.
package findings

import (
	"fmt"
	"strings"
)

// Severity is a normalized severity; higher is worse.
type Severity int

// Severities from least to most severe.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lowercase name: info, low, medium, high, critical.
func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText writes the name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a name (case-insensitive).
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity reads a severity name; "moderate" and "warning" are
// accepted as medium, "error" as high, "note" and "none" as info, the way
// tools spell them.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "info", "informational", "note", "none", "unknown", "negligible":
		return Info, nil
	case "low", "minor":
		return Low, nil
	case "medium", "moderate", "warning":
		return Medium, nil
	case "high", "error", "important", "major":
		return High, nil
	case "critical", "blocker":
		return Critical, nil
	}
	return Info, fmt.Errorf("unknown severity %q (want critical, high, medium, low or info)", s)
}

// FromCVSS maps a CVSS v3/v4 base score to a severity with the CVSS
// qualitative rating scale (0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high,
// 9.0-10.0 critical).
func FromCVSS(score float64) Severity {
	switch {
	case score >= 9.0:
		return Critical
	case score >= 7.0:
		return High
	case score >= 4.0:
		return Medium
	case score > 0:
		return Low
	}
	return Info
}

// Category says what kind of evidence a finding is, and which gate
// threshold judges it.
type Category string

// Finding categories.
const (
	SAST      Category = "sast"
	Deps      Category = "deps"
	Secrets   Category = "secrets"
	Container Category = "container"
	IaC       Category = "iac"
	DAST      Category = "dast"
	// Quality findings come from the run itself: a failed job that was
	// allowed to fail, coverage below the minimum.
	Quality Category = "quality"
)

// Location says where a finding is. Which fields are set depends on the
// category: a file and line range for code, secrets and IaC; a package and
// version for dependencies; an image and layer for container findings; a
// URL for DAST.
type Location struct {
	// Path is relative to the scanned root, with forward slashes.
	Path      string `json:"path,omitempty"`
	StartLine int    `json:"start_line,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
	StartCol  int    `json:"start_col,omitempty"`
	EndCol    int    `json:"end_col,omitempty"`
	// Package, Version and Ecosystem identify a dependency (ecosystem as OSV
	// names it: Go, PyPI, npm, Maven, crates.io, RubyGems, Packagist, Debian …).
	Package   string `json:"package,omitempty"`
	Version   string `json:"version,omitempty"`
	Ecosystem string `json:"ecosystem,omitempty"`
	// Image and Layer locate a container finding.
	Image string `json:"image,omitempty"`
	Layer string `json:"layer,omitempty"`
	// Resource names an IaC resource (aws_s3_bucket.logs, Deployment/web).
	Resource string `json:"resource,omitempty"`
	// URL and Method locate a DAST finding.
	URL    string `json:"url,omitempty"`
	Method string `json:"method,omitempty"`
}

// Source is one report of a finding by a scanner or imported tool.
type Source struct {
	Scanner string `json:"scanner"`
	RuleID  string `json:"rule_id"`
}

// Finding is one security problem.
type Finding struct {
	// Fingerprint identifies the problem across runs and unrelated edits;
	// see Fingerprint.
	Fingerprint string   `json:"fingerprint"`
	Scanner     string   `json:"scanner"`
	RuleID      string   `json:"rule_id"`
	RuleName    string   `json:"rule_name,omitempty"`
	Category    Category `json:"category"`
	Severity    Severity `json:"severity"`
	// Title is one line; Message says what was found, in this place.
	Title   string `json:"title"`
	Message string `json:"message,omitempty"`
	CWE     []int  `json:"cwe,omitempty"`
	// OWASP2021 and OWASP2025 are Top 10 categories like "A03:2021",
	// derived from CWE (see Classify).
	OWASP2021 []string `json:"owasp_2021,omitempty"`
	OWASP2025 []string `json:"owasp_2025,omitempty"`
	Location  Location `json:"location"`
	// Snippet is the offending line(s), with secrets redacted.
	Snippet string `json:"snippet,omitempty"`
	// Fix says how to fix it; FixedVersion is the first version without
	// the vulnerability, for dependencies.
	Fix          string `json:"fix,omitempty"`
	FixedVersion string `json:"fixed_version,omitempty"`
	// Aliases are other ids of the same advisory (CVE, GHSA …).
	Aliases    []string `json:"aliases,omitempty"`
	References []string `json:"references,omitempty"`
	// Sources lists every scanner that reported this finding; more than one
	// when tools agree.
	Sources []Source `json:"sources"`
	// InlineIgnored is set when a marker on the finding's line (sluice:ignore,
	// or gitleaks:allow for secrets) suppresses it. Such findings stay in
	// every report, marked; a gate honours the marker only where the
	// environment's policy allows inline ignores.
	InlineIgnored bool `json:"inline_ignored,omitempty"`
	// Properties carries scanner-specific facts (the secret's hash, the
	// CVSS vector, known-exploited status …).
	Properties map[string]string `json:"properties,omitempty"`
}
