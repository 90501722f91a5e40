package policy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/scan"
)

// Input is the document a policy sees as `input`. Its JSON form:
//
//	{
//	  "env": "production",
//	  "policy": {                      // the environment's gates
//	    "mode": "block",               // off, warn or block ("" is shown as block)
//	    "block": "high",               // "" when unset (then only critical blocks)
//	    "require": ["secrets", "deps"],
//	    "new_only": false,
//	    "categories": {"iac": {"block": "high", "max": 3}},
//	    "inline_ignores": false,
//	    "fixable_only": false,
//	    "known_exploited": "block",  // block, warn or ""
//	    "max_db_age_ns": 0             // 0: no limit
//	  },
//	  "findings": [                    // every finding, suppressed ones too
//	    {
//	      "fingerprint": "…", "scanner": "deps", "rule_id": "GHSA-…",
//	      "category": "deps", "severity": "high", "severity_level": 3,
//	      "title": "…", "message": "…", "cwe": [79], "owasp_2021": ["A03:2021"],
//	      "location": {"path": "go.mod", "package": "golang.org/x/net", "version": "v0.1.0", "ecosystem": "Go"},
//	      "fix": "…", "fixed_version": "v0.17.0", "aliases": ["CVE-…"],
//	      "sources": [{"scanner": "deps", "rule_id": "GHSA-…"}],
//	      "inline_ignored": false, "properties": {"…": "…"},
//	      "suppressed": false,         // hidden by a live suppression or an honoured inline marker
//	      "in_baseline": false         // already accepted (see new_only)
//	    }
//	  ],
//	  "scanners": [                    // scan.Health of every scanner
//	    {"scanner": "secrets", "status": "ran", "reason": "", "files": 120, "findings": 0,
//	     "duration_ns": 1200000, "db_updated": "2026-01-02T03:04:05Z", "partial": false}
//	  ],
//	  "run": {"id": "…", "number": 42, "commit": "…", "branch": "main",
//	          "event": "push", "actor": "alice", "pipeline": "goodbooks"},
//	  "counts": {"deps": {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0}, …}
//	}
//
// Fields a finding does not have (no fixed_version, no cwe …) are absent.
// counts covers the findings that are not suppressed, with every category
// and severity present (zero when none). Findings are sorted (worst first)
// and scanners by name, so a policy sees the same document whatever order
// the scanners reported in.
type Input struct {
	Env    string `json:"env"`
	Policy Gates  `json:"policy"`
	// Findings are every finding of the commit, suppressed ones included.
	Findings []InputFinding `json:"findings"`
	// Scanners are the health of every scanner that was asked to run.
	Scanners []scan.Health `json:"scanners"`
	Run      Run           `json:"run"`
	// Counts are filled in by Eval from Findings; a value set here is
	// replaced.
	Counts map[string]map[string]int `json:"counts"`
	// Now is what time.now_ns returns during evaluation, so that a decision
	// can be reproduced; zero means the clock.
	Now time.Time `json:"-"`
}

// InputFinding is a finding as a policy sees it.
type InputFinding struct {
	findings.Finding
	// SeverityLevel is Severity as a number (info 0 … critical 4), for
	// comparisons; Eval fills it in from Severity.
	SeverityLevel int `json:"severity_level"`
	// Suppressed is true when the gate does not judge the finding because
	// a suppression that has not expired hides it, or an inline marker the
	// environment honours (gates.inline_ignores).
	Suppressed bool `json:"suppressed"`
	// InBaseline is true when the finding's fingerprint is in the baseline
	// (findings already accepted); the gate skips those when new_only is set.
	InBaseline bool `json:"in_baseline"`
}

// Gates is an environment's gate settings as a policy sees them.
type Gates struct {
	Mode       string               `json:"mode"`
	Block      string               `json:"block"`
	Require    []string             `json:"require"`
	NewOnly    bool                 `json:"new_only"`
	Categories map[string]Threshold `json:"categories"`
	// InlineIgnores says whether sluice:ignore markers suppress findings.
	InlineIgnores bool `json:"inline_ignores"`
	// FixableOnly says whether only findings with a fix are judged.
	FixableOnly bool `json:"fixable_only"`
	// KnownExploited is "block", "warn" or "".
	KnownExploited string `json:"known_exploited"`
	// MaxDBAge is the oldest a required scanner's vulnerability database
	// may be, in nanoseconds (time.now_ns arithmetic); 0 is no limit.
	MaxDBAge int64 `json:"max_db_age_ns"`
}

// Threshold is one category's gate setting.
type Threshold struct {
	// Block is the category's own threshold, "" when it has none.
	Block string `json:"block"`
	// Max is how many findings at or above the threshold are tolerated.
	Max int `json:"max"`
}

// Run holds facts about the run being judged; unknown facts are empty.
type Run struct {
	ID     string `json:"id"`
	Number int64  `json:"number"`
	Commit string `json:"commit"`
	Branch string `json:"branch"`
	// Event is manual, push, pull_request or schedule.
	Event    string `json:"event"`
	Actor    string `json:"actor"`
	Pipeline string `json:"pipeline"`
}

// GatesOf converts an environment's gates; nil gives empty settings.
func GatesOf(g *spec.Gates) Gates {
	out := Gates{Require: []string{}, Categories: map[string]Threshold{}}
	if g == nil {
		return out
	}
	out.Mode, out.Block, out.NewOnly = g.Mode, g.Block, g.NewOnly
	out.InlineIgnores, out.FixableOnly, out.KnownExploited = g.InlineIgnores, g.FixableOnly, g.KnownExploited
	out.MaxDBAge = int64(g.MaxDBAge.D())
	if out.Mode == "" {
		out.Mode = "block"
	}
	out.Require = append(out.Require, g.Require...)
	for name, t := range g.Categories {
		th := Threshold{Block: t.Block}
		if t.MaxCount != nil {
			th.Max = *t.MaxCount
		}
		out.Categories[name] = th
	}
	return out
}

// NewInput builds the policy input from the evidence of a gate decision:
// findings are marked suppressed the way gate.Evaluate suppresses them (a
// matching suppression that has not expired at in.Now, or an inline marker
// when the policy allows inline ignores) and in_baseline when their
// fingerprint is in in.Baseline. in.PolicyResults are ignored.
func NewInput(in gate.Input, run Run) Input {
	baseline := make(map[string]bool, len(in.Baseline))
	for _, fp := range in.Baseline {
		baseline[fp] = true
	}
	inline := in.Policy != nil && in.Policy.InlineIgnores
	fs := make([]InputFinding, len(in.Findings))
	for i, f := range in.Findings {
		fs[i] = InputFinding{Finding: f, InBaseline: f.Fingerprint != "" && baseline[f.Fingerprint],
			Suppressed: inline && f.InlineIgnored}
		for _, s := range in.Suppressions {
			if s.Matches(f) && !s.Expired(in.Now) {
				fs[i].Suppressed = true
				break
			}
		}
	}
	return Input{
		Env:      in.Env,
		Policy:   GatesOf(in.Policy),
		Findings: fs,
		Scanners: slices.Clone(in.Health),
		Run:      run,
		Now:      in.Now,
	}
}

// categories are always present in counts, so `input.counts.deps.high` is
// never undefined.
var categories = []findings.Category{findings.SAST, findings.Deps, findings.Secrets, findings.Container, findings.IaC, findings.DAST}

// value turns in into the OPA value of the input document: sorted,
// with nil lists as empty ones and counts filled in, through JSON so that
// the document is exactly what docs/policies.md shows.
func (in Input) value() (ast.Value, error) {
	doc := in
	doc.Policy.Require = orEmpty(doc.Policy.Require)
	if doc.Policy.Categories == nil {
		doc.Policy.Categories = map[string]Threshold{}
	}

	type keyed[T any] struct {
		v   T
		key []byte // the JSON form, to break ties
	}
	fs := make([]keyed[InputFinding], len(in.Findings))
	for i, f := range in.Findings {
		f.SeverityLevel = int(f.Severity)
		f.Sources = orEmpty(f.Sources)
		b, err := json.Marshal(f)
		if err != nil {
			return nil, fmt.Errorf("encode finding %s: %w", f.Fingerprint, err)
		}
		fs[i] = keyed[InputFinding]{f, b}
	}
	slices.SortFunc(fs, func(a, b keyed[InputFinding]) int {
		return cmp.Or(findings.Compare(a.v.Finding, b.v.Finding), bytes.Compare(a.key, b.key))
	})
	doc.Findings = make([]InputFinding, len(fs))
	for i, f := range fs {
		doc.Findings[i] = f.v
	}

	hs := make([]keyed[scan.Health], len(in.Scanners))
	for i, h := range in.Scanners {
		b, err := json.Marshal(h)
		if err != nil {
			return nil, fmt.Errorf("encode health of scanner %s: %w", h.Scanner, err)
		}
		hs[i] = keyed[scan.Health]{h, b}
	}
	slices.SortFunc(hs, func(a, b keyed[scan.Health]) int {
		return cmp.Or(cmp.Compare(a.v.Scanner, b.v.Scanner), bytes.Compare(a.key, b.key))
	})
	doc.Scanners = make([]scan.Health, len(hs))
	for i, h := range hs {
		doc.Scanners[i] = h.v
	}

	doc.Counts = counts(doc.Findings)

	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode policy input: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep integers exact
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode policy input: %w", err)
	}
	val, err := ast.InterfaceToValue(v)
	if err != nil {
		return nil, fmt.Errorf("convert policy input: %w", err)
	}
	return val, nil
}

// counts counts the findings that are not suppressed per category and
// severity.
func counts(fs []InputFinding) map[string]map[string]int {
	out := map[string]map[string]int{}
	ensure := func(c string) map[string]int {
		m, ok := out[c]
		if !ok {
			m = map[string]int{}
			for s := findings.Info; s <= findings.Critical; s++ {
				m[s.String()] = 0
			}
			out[c] = m
		}
		return m
	}
	for _, c := range categories {
		ensure(string(c))
	}
	for _, f := range fs {
		if !f.Suppressed {
			ensure(string(f.Category))[f.Severity.String()]++
		}
	}
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
