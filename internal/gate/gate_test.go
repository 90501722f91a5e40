package gate

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/scan"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func sample() []findings.Finding {
	return []findings.Finding{
		{Fingerprint: "fp-dep", Scanner: "deps", RuleID: "GHSA-aaaa", Category: findings.Deps, Severity: findings.Medium,
			Aliases: []string{"CVE-2026-1"}, FixedVersion: "1.2.4",
			Location: findings.Location{Path: "go.mod", Package: "example.org/lib", Version: "1.2.3"}},
		{Fingerprint: "fp-sast", Scanner: "sast", RuleID: "go.sql-injection", Category: findings.SAST, Severity: findings.High,
			Location: findings.Location{Path: "internal/db/q.go", StartLine: 12}},
		{Fingerprint: "fp-low", Scanner: "sast", RuleID: "go.weak-rand", Category: findings.SAST, Severity: findings.Low,
			Location: findings.Location{Path: "cmd/x/main.go", StartLine: 3}},
	}
}

func ran(names ...string) []scan.Health {
	var hs []scan.Health
	for _, n := range names {
		hs = append(hs, scan.Health{Scanner: n, Status: scan.Ran})
	}
	return hs
}

func intp(n int) *int { return &n }

func fps(js []Judged) []string {
	var out []string
	for _, j := range js {
		out = append(out, j.Finding.Fingerprint)
	}
	return out
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name     string
		in       Input
		want     Outcome
		blocking []string
		reasons  []string // substrings that must appear in some reason
	}{
		{
			name: "dev warns",
			in:   Input{Env: "dev", Policy: &spec.Gates{Mode: "warn", Block: "medium"}, Findings: sample()},
			want: Warn, blocking: []string{"fp-sast", "fp-dep"},
			reasons: []string{"environment dev blocks deps findings at or above medium", "GHSA-aaaa (medium) at go.mod example.org/lib@1.2.3"},
		},
		{
			name: "production blocks",
			in:   Input{Env: "production", Policy: &spec.Gates{Mode: "block", Block: "medium"}, Findings: sample()},
			want: Block, blocking: []string{"fp-sast", "fp-dep"},
			reasons: []string{"environment production blocks deps findings at or above medium",
				"environment production blocks sast findings at or above medium", "go.sql-injection (high) at internal/db/q.go:12"},
		},
		{
			name: "off passes with a note",
			in:   Input{Env: "dev", Policy: &spec.Gates{Mode: "off", Block: "low"}, Findings: sample()},
			want: Pass, reasons: []string{"gates are off for environment dev"},
		},
		{
			name: "no policy passes with a note",
			in:   Input{Env: "dev", Findings: sample()},
			want: Pass, reasons: []string{"no gates configured"},
		},
		{
			name: "default threshold is critical",
			in:   Input{Env: "prod", Policy: &spec.Gates{Mode: "block"}, Findings: sample()},
			want: Pass,
		},
		{
			name: "unknown mode fails closed",
			in:   Input{Env: "prod", Policy: &spec.Gates{Mode: "blok"}},
			want: Block, reasons: []string{`gate mode "blok"`},
		},
		{
			name: "per-category override",
			in: Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Block: "medium",
				Categories: map[string]spec.GateThreshold{"sast": {Block: "critical"}, "deps": {Block: "low"}}}, Findings: sample()},
			want: Block, blocking: []string{"fp-dep"},
			reasons: []string{"blocks deps findings at or above low"},
		},
		{
			name: "category switched off",
			in: Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Block: "low",
				Categories: map[string]spec.GateThreshold{"sast": {Block: "none"}, "deps": {Block: "none"}}}, Findings: sample()},
			want: Pass,
		},
		{
			name: "max count allows up to the maximum",
			in: Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Block: "low",
				Categories: map[string]spec.GateThreshold{"sast": {MaxCount: intp(2)}, "deps": {Block: "high"}}}, Findings: sample()},
			want: Pass,
		},
		{
			name: "max count exceeded",
			in: Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Block: "low",
				Categories: map[string]spec.GateThreshold{"sast": {MaxCount: intp(1)}, "deps": {Block: "high"}}}, Findings: sample()},
			want: Block, blocking: []string{"fp-sast", "fp-low"},
			reasons: []string{"environment prod allows at most 1 sast findings at or above low; found 2"},
		},
		{
			name: "baseline: only new findings block",
			in: Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Block: "medium", NewOnly: true},
				Findings: sample(), Baseline: []string{"fp-sast"}},
			want: Block, blocking: []string{"fp-dep"},
		},
		{
			name: "baseline ignored without new_only",
			in: Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Block: "medium"},
				Findings: sample(), Baseline: []string{"fp-sast", "fp-dep"}},
			want: Block, blocking: []string{"fp-sast", "fp-dep"},
		},
		{
			name: "required scanner missing",
			in:   Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Require: []string{"secrets"}}, Health: ran("sast")},
			want: Block, reasons: []string{"requires scanner secrets, which did not run"},
		},
		{
			name: "required scanner skipped",
			in: Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Require: []string{"deps"}},
				Health: []scan.Health{{Scanner: "deps", Status: scan.Skipped, Reason: "no lockfile"}}},
			want: Block, reasons: []string{"requires scanner deps, which was skipped: no lockfile"},
		},
		{
			name: "required scanner failed, warn mode warns",
			in: Input{Env: "dev", Policy: &spec.Gates{Mode: "warn", Require: []string{"deps"}},
				Health: []scan.Health{{Scanner: "deps", Status: scan.Failed, Reason: "boom"}}},
			want: Warn, reasons: []string{"which failed: boom"},
		},
		{
			name: "required scanner partial",
			in: Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Require: []string{"deps"}},
				Health: []scan.Health{{Scanner: "deps", Status: scan.Ran, Partial: true,
					Errors: []scan.InputError{{Path: "package-lock.json", Err: "bad json"}}}}},
			want: Block, reasons: []string{"partial result (1 inputs could not be scanned; first: package-lock.json: bad json"},
		},
		{
			name: "required scanner stale database",
			in: Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Require: []string{"deps"}}, Now: now, MaxDBAge: 48 * time.Hour,
				Health: []scan.Health{{Scanner: "deps", Status: scan.Ran, DBUpdated: now.Add(-72 * time.Hour)}}},
			want: Block, reasons: []string{"older than the allowed 48h0m0s"},
		},
		{
			name: "required scanner fresh database passes",
			in: Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Require: []string{"deps"}}, Now: now, MaxDBAge: 48 * time.Hour,
				Health: []scan.Health{{Scanner: "deps", Status: scan.Ran, DBUpdated: now.Add(-time.Hour)}}},
			want: Pass,
		},
		{
			name: "policy deny blocks, warn warns",
			in: Input{Env: "prod", Policy: &spec.Gates{Mode: "block"},
				PolicyResults: []PolicyResult{{Source: "policies/x.rego:deny", Deny: true, Message: "no root images"}}},
			want: Block, reasons: []string{"policy policies/x.rego:deny: no root images"},
		},
		{
			name: "invalid threshold fails closed",
			in:   Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Block: "severe"}, Findings: sample()},
			want: Block, reasons: []string{"gates.block: unknown severity"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(tt.in)
			if d.Outcome != tt.want {
				t.Errorf("outcome = %s, want %s; reasons: %+v", d.Outcome, tt.want, d.Reasons)
			}
			if diff := cmp.Diff(tt.blocking, fps(d.Blocking)); diff != "" {
				t.Errorf("blocking (-want +got):\n%s", diff)
			}
			all := ""
			for _, r := range d.Reasons {
				all += r.Message + "\n"
			}
			for _, s := range tt.reasons {
				if !strings.Contains(all, s) {
					t.Errorf("no reason contains %q; reasons:\n%s", s, all)
				}
			}
		})
	}
}

func TestSuppressions(t *testing.T) {
	sups := []Suppression{
		{Fingerprint: "fp-sast", Reason: "constant input", Owner: "alice", Source: "ignore.yaml:2"},
		{Advisory: "cve-2026-1", Package: "example.org/lib", Reason: "not reachable", Owner: "bob",
			Expires: now.Add(-24 * time.Hour), Source: "ignore.yaml:6"},
		{Rule: "go.weak-rand", Path: "cmd/**", Reason: "not crypto", Owner: "carol", Source: "ignore.yaml:11"},
		{Rule: "go.nothing", Path: "**", Reason: "old", Owner: "dave", Source: "ignore.yaml:15"},
	}
	d := Evaluate(Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Block: "low"}, Findings: sample(), Suppressions: sups, Now: now})
	if d.Outcome != Block {
		t.Fatalf("outcome = %s, want block (expired suppression must not hide fp-dep)", d.Outcome)
	}
	if diff := cmp.Diff([]string{"fp-dep"}, fps(d.Blocking)); diff != "" {
		t.Errorf("blocking (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"fp-sast", "fp-low"}, fps(d.Suppressed)); diff != "" {
		t.Errorf("suppressed (-want +got):\n%s", diff)
	}
	if got := d.Suppressed[0].Why; !strings.Contains(got, "owner alice") || !strings.Contains(got, "constant input") {
		t.Errorf("suppressed why = %q, want owner and reason", got)
	}
	if len(d.Expired) != 1 || d.Expired[0].Owner != "bob" {
		t.Errorf("expired = %+v, want bob's", d.Expired)
	}
	if !strings.Contains(d.Blocking[0].Why, "expired on 2026-05-31") {
		t.Errorf("blocking why = %q, want the expiry", d.Blocking[0].Why)
	}
	if len(d.Stale) != 1 || d.Stale[0].Owner != "dave" {
		t.Errorf("stale = %+v, want dave's", d.Stale)
	}
}

func TestDeterministic(t *testing.T) {
	fs := sample()
	for i := range 5 {
		f := fs[i%3]
		f.Fingerprint += string(rune('a' + i))
		fs = append(fs, f)
	}
	sups := []Suppression{
		{Rule: "go.weak-rand", Path: "**/*.go", Reason: "r", Owner: "o", Source: "i:1"},
		{Fingerprint: "fp-depb", Reason: "r", Owner: "o", Source: "i:2"},
		{Fingerprint: "gone", Reason: "r", Owner: "o", Source: "i:3"},
	}
	in := Input{Env: "prod", Policy: &spec.Gates{Mode: "block", Block: "low", Require: []string{"z", "a"}},
		Findings: fs, Suppressions: sups, Now: now}
	want := Evaluate(in)
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		in.Findings = slices.Clone(fs)
		r.Shuffle(len(in.Findings), func(i, j int) { in.Findings[i], in.Findings[j] = in.Findings[j], in.Findings[i] })
		in.Suppressions = slices.Clone(sups)
		r.Shuffle(len(in.Suppressions), func(i, j int) { in.Suppressions[i], in.Suppressions[j] = in.Suppressions[j], in.Suppressions[i] })
		if diff := cmp.Diff(want, Evaluate(in)); diff != "" {
			t.Fatalf("decision depends on input order (-first +now):\n%s", diff)
		}
	}
}

func TestMatchPath(t *testing.T) {
	tests := []struct {
		pat, name string
		want      bool
	}{
		{"**", "a/b/c.go", true},
		{"cmd/**", "cmd/x/main.go", true},
		{"cmd/**", "internal/x.go", false},
		{"**/*_test.go", "a/b/c_test.go", true},
		{"**/*_test.go", "c_test.go", true},
		{"*.go", "a/b.go", false},
		{"a/**/c.go", "a/c.go", true},
		{"[", "[", false},
	}
	for _, tt := range tests {
		if got := MatchPath(tt.pat, tt.name); got != tt.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", tt.pat, tt.name, got, tt.want)
		}
	}
}

func TestInlineIgnoresNeedThePolicy(t *testing.T) {
	fs := sample()
	fs[1].InlineIgnored = true // the high SAST finding
	in := Input{Env: "production", Policy: &spec.Gates{Mode: "block", Block: "high"}, Findings: fs, Now: now}
	d := Evaluate(in)
	if d.Outcome != Block || !slices.Equal(fps(d.Blocking), []string{"fp-sast"}) {
		t.Fatalf("marker honoured without consent: %s, blocking %v", d.Outcome, fps(d.Blocking))
	}
	if !strings.Contains(d.Blocking[0].Why, "not honoured") {
		t.Errorf("why does not say the marker was refused: %s", d.Blocking[0].Why)
	}
	in.Policy.InlineIgnores = true
	d = Evaluate(in)
	if d.Outcome != Pass || len(d.Suppressed) != 1 || !d.Suppressed[0].Inline {
		t.Fatalf("allowed marker: outcome %s, suppressed %+v", d.Outcome, d.Suppressed)
	}
}

func TestKnownExploitedBlocksAtAnySeverity(t *testing.T) {
	fs := sample()
	fs[2].Properties = map[string]string{"known_exploited": "true"} // the low one
	in := Input{Env: "production", Policy: &spec.Gates{Mode: "block", Block: "critical", NewOnly: true, KnownExploited: "block"},
		Findings: fs, Baseline: []string{"fp-low"}, Now: now}
	d := Evaluate(in)
	if d.Outcome != Block || !slices.Equal(fps(d.Blocking), []string{"fp-low"}) || d.Reasons[0].Kind != KindExploited {
		t.Fatalf("known-exploited low finding in the baseline: %s, blocking %v, reasons %+v", d.Outcome, fps(d.Blocking), d.Reasons)
	}
	in.Policy.KnownExploited = "warn"
	if d := Evaluate(in); d.Outcome != Warn {
		t.Errorf("known_exploited: warn gave %s", d.Outcome)
	}
	in.Policy.KnownExploited = ""
	if d := Evaluate(in); d.Outcome != Pass {
		t.Errorf("without the rule, gave %s", d.Outcome)
	}
}

func TestFixableOnly(t *testing.T) {
	fs := sample()
	fs[0].FixedVersion = "" // the dependency has no fix yet
	in := Input{Env: "staging", Policy: &spec.Gates{Mode: "block", Block: "medium", FixableOnly: true}, Findings: fs, Now: now}
	d := Evaluate(in)
	if !slices.Equal(fps(d.Blocking), []string{"fp-sast"}) || !slices.Equal(fps(d.Unfixable), []string{"fp-dep"}) {
		t.Fatalf("blocking %v, unfixable %v", fps(d.Blocking), fps(d.Unfixable))
	}
	in.Policy.FixableOnly = false
	if d := Evaluate(in); !slices.Contains(fps(d.Blocking), "fp-dep") {
		t.Errorf("without fixable_only the unfixable finding must block: %v", fps(d.Blocking))
	}
}
