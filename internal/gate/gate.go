// Package gate decides whether a release may enter an environment: it judges
// findings against the environment's gate policy, applies suppressions and a
// baseline, checks that required scanners ran healthy, and explains every
// reason. Evaluate is pure: the same evidence gives the same decision.
package gate

import (
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/scan"
)

// Outcome is the gate's answer.
type Outcome string

// Outcomes, from best to worst.
const (
	Pass  Outcome = "pass"
	Warn  Outcome = "warn"
	Block Outcome = "block"
)

func (o Outcome) rank() int {
	switch o {
	case Pass:
		return 0
	case Warn:
		return 1
	}
	return 2
}

// Reason kinds.
const (
	KindMode      = "mode"      // the gate is off, or its mode is invalid
	KindRequire   = "require"   // a required scanner is missing or unhealthy
	KindThreshold = "threshold" // findings at or above a severity threshold
	KindCount     = "count"     // more findings than a maximum count allows
	KindPolicy    = "policy"    // a custom policy rule, or an invalid policy
	KindExpired   = "expired"   // a suppression expired and no longer applies
	KindExploited = "exploited" // a finding known to be exploited in the wild
	KindInline    = "inline"    // inline ignore markers honoured or refused
)

// Input is the evidence and policy for one gate decision.
type Input struct {
	// Env names the environment, for messages.
	Env string
	// Policy is the environment's gates; nil means no gate is configured.
	Policy   *spec.Gates
	Findings []findings.Finding
	Health   []scan.Health
	// Baseline holds fingerprints of findings already accepted (for
	// example those of the release live in Env); used when NewOnly is set.
	Baseline     []string
	Suppressions []Suppression
	// PolicyResults are the results of custom policies, evaluated elsewhere.
	PolicyResults []PolicyResult
	Now           time.Time
	// MaxDBAge, when positive, is the oldest a required scanner's
	// vulnerability database may be.
	MaxDBAge time.Duration
}

// PolicyResult is one deny or warn message of a custom policy.
type PolicyResult struct {
	// Source names the policy rule (file and rule name).
	Source string `json:"source"`
	// Deny is true for a deny rule, false for a warn rule.
	Deny         bool     `json:"deny"`
	Message      string   `json:"message"`
	Fingerprints []string `json:"fingerprints,omitempty"`
}

// Reason is one explained cause of the decision.
type Reason struct {
	Kind string `json:"kind"`
	// Effect is the outcome this reason leads to on its own: Block, Warn,
	// or Pass for notes.
	Effect       Outcome  `json:"effect"`
	Message      string   `json:"message"`
	Fingerprints []string `json:"fingerprints,omitempty"`
}

// Judged is a finding with the gate's verdict on it.
type Judged struct {
	Finding findings.Finding `json:"finding"`
	// Why explains the verdict and how to fix or suppress the finding.
	Why string `json:"why"`
	// By is the suppression that hid the finding, for suppressed findings;
	// nil when an inline marker hid it (Inline).
	By     *Suppression `json:"by,omitempty"`
	Inline bool         `json:"inline,omitempty"`
}

// Decision is the gate's answer with everything that led to it.
type Decision struct {
	Outcome Outcome `json:"outcome"`
	Env     string  `json:"env"`
	// Judged counts the findings the thresholds judged (not suppressed,
	// not pre-existing, not unfixable).
	Judged  int      `json:"judged"`
	Reasons []Reason `json:"reasons"`
	// Blocking are the findings that block (or, in warn mode, would block).
	Blocking    []Judged `json:"blocking,omitempty"`
	Suppressed  []Judged `json:"suppressed,omitempty"`
	PreExisting []Judged `json:"pre_existing,omitempty"`
	// Unfixable are dependency findings with no fixed version, not judged
	// because the gate has fixable_only.
	Unfixable []Judged `json:"unfixable,omitempty"`
	// Stale suppressions matched no finding; Expired ones no longer apply.
	Stale   []Suppression `json:"stale,omitempty"`
	Expired []Suppression `json:"expired,omitempty"`
}
