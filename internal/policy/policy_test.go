package policy

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/diag"
	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/scan"
)

// write creates files (name → content) under dir.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// load writes files into a new folder and loads paths from it.
func load(t *testing.T, files map[string]string, paths ...string) *Set {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, files)
	s, err := Load(dir, paths)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// loadErr writes files, loads paths and returns the diagnostics of the
// failure.
func loadErr(t *testing.T, files map[string]string, paths ...string) diag.Diagnostics {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, files)
	s, err := Load(dir, paths)
	if err == nil {
		t.Fatalf("Load succeeded with rules %v, want an error", s.Rules())
	}
	var ds diag.Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("Load error is %T (%v), want diag.Diagnostics", err, err)
	}
	return ds
}

func eval(t *testing.T, s *Set, in Input) []gate.PolicyResult {
	t.Helper()
	res, err := s.Eval(context.Background(), in)
	if err != nil {
		t.Fatalf("Eval: %v", err)
	}
	return res
}

// sample is evidence with a fixable high dependency advisory, a suppressed
// secret, a medium SAST finding and two scanners.
func sample() Input {
	return Input{
		Env: "production",
		Policy: Gates{Mode: "block", Block: "medium", Require: []string{"deps"}, NewOnly: true,
			Categories: map[string]Threshold{"iac": {Block: "high", Max: 3}}},
		Findings: []InputFinding{
			{Finding: findings.Finding{Fingerprint: "fp-net", Scanner: "deps", RuleID: "GHSA-qppj-fm5r-hxr3", Category: findings.Deps,
				Severity: findings.High, Title: "HTTP/2 rapid reset", FixedVersion: "0.17.0",
				Location: findings.Location{Path: "go.mod", Package: "golang.org/x/net", Version: "0.10.0", Ecosystem: "Go"}}},
			{Finding: findings.Finding{Fingerprint: "fp-key", Scanner: "secrets", RuleID: "aws-access-key", Category: findings.Secrets,
				Severity: findings.Critical, Title: "AWS access key", Location: findings.Location{Path: "deploy/env", StartLine: 3}},
				Suppressed: true},
			{Finding: findings.Finding{Fingerprint: "fp-sql", Scanner: "gosec", RuleID: "G201", Category: findings.SAST,
				Severity: findings.Medium, Title: "SQL string formatting", Location: findings.Location{Path: "internal/db.go", StartLine: 40}},
				InBaseline: true},
		},
		Scanners: []scan.Health{
			{Scanner: "secrets", Status: scan.Ran, Files: 12},
			{Scanner: "deps", Status: scan.Ran, Files: 1, Packages: 30, Findings: 1},
		},
		Run: Run{ID: "r1", Number: 7, Commit: "abc123", Branch: "main", Event: "push", Actor: "alice", Pipeline: "goodbooks"},
	}
}

func TestStringDeny(t *testing.T) {
	s := load(t, map[string]string{"policies/deps.rego": `package sluice.deps

deny contains msg if {
	some f in input.findings
	f.category == "deps"
	f.severity_level >= 3
	msg := sprintf("%s@%s is vulnerable", [f.location.package, f.location.version])
}
`}, "policies")
	got := eval(t, s, sample())
	want := []gate.PolicyResult{{Source: "policies/deps.rego:sluice.deps.deny", Deny: true, Message: "golang.org/x/net@0.10.0 is vulnerable"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if got := eval(t, s, Input{Env: "dev"}); len(got) != 0 {
		t.Errorf("no findings gave %v, want nothing", got)
	}
}

func TestObjectDenyWithFingerprints(t *testing.T) {
	s := load(t, map[string]string{"p.rego": `package fixable

deny contains {"msg": "fixable advisories", "fingerprints": fps} if {
	fps := [f.fingerprint | some f in input.findings; f.fixed_version != ""]
	count(fps) > 0
}

deny contains {"msg": sprintf("%s is unsuppressed and critical", [f.title]), "fingerprint": f.fingerprint} if {
	some f in input.findings
	f.severity == "critical"
}

deny contains {"msg": "both", "fingerprint": "b", "fingerprints": ["c", "a", "b", ""]} if true
`}, "p.rego")
	got := eval(t, s, sample())
	want := []gate.PolicyResult{
		{Source: "p.rego:fixable.deny", Deny: true, Message: "AWS access key is unsuppressed and critical", Fingerprints: []string{"fp-key"}},
		{Source: "p.rego:fixable.deny", Deny: true, Message: "both", Fingerprints: []string{"a", "b", "c"}},
		{Source: "p.rego:fixable.deny", Deny: true, Message: "fixable advisories", Fingerprints: []string{"fp-net"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestWarnAndViolation(t *testing.T) {
	s := load(t, map[string]string{"p.rego": `package checks

warn contains "baseline findings are present" if {
	some f in input.findings
	f.in_baseline
}

violation contains msg if {
	input.run.branch == "main"
	input.run.event == "push"
	msg := sprintf("direct push to main by %s", [input.run.actor])
}

warn_suppressed contains "a critical finding is suppressed" if {
	some f in input.findings
	f.suppressed
	f.severity == "critical"
}
`}, "p.rego")
	got := eval(t, s, sample())
	want := []gate.PolicyResult{
		{Source: "p.rego:checks.violation", Deny: true, Message: "direct push to main by alice"},
		{Source: "p.rego:checks.warn", Deny: false, Message: "baseline findings are present"},
		{Source: "p.rego:checks.warn_suppressed", Deny: false, Message: "a critical finding is suppressed"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestMultiplePackages(t *testing.T) {
	files := map[string]string{
		"policies/b.rego": `package team.b

deny contains "b says no" if input.env == "production"
`,
		"policies/a.rego": `package team.a

import rego.v1

deny contains "a says no" if input.env == "production"

warn contains "a warns" if count(input.findings) > 0
`,
		// A package split over two files: both are named in the source.
		"policies/c1.rego": `package team.c

deny contains "c1 says no" if input.policy.mode == "block"
`,
		"policies/c2.rego": `package team.c

deny contains "c2 says no" if input.policy.new_only
`,
		"policies/a_test.rego": `package team.a_test

test_nothing if true
`,
		"extra/d.rego": `package d

warn contains "d warns" if true
`,
	}
	s := load(t, files, "policies/", "extra/d.rego", "policies/a.rego")
	if diff := cmp.Diff([]string{"extra/d.rego", "policies/a.rego", "policies/b.rego", "policies/c1.rego", "policies/c2.rego"}, s.Files()); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	got := eval(t, s, sample())
	want := []gate.PolicyResult{
		{Source: "extra/d.rego:d.warn", Message: "d warns"},
		{Source: "policies/a.rego:team.a.deny", Deny: true, Message: "a says no"},
		{Source: "policies/a.rego:team.a.warn", Message: "a warns"},
		{Source: "policies/b.rego:team.b.deny", Deny: true, Message: "b says no"},
		{Source: "policies/c1.rego,policies/c2.rego:team.c.deny", Deny: true, Message: "c1 says no"},
		{Source: "policies/c1.rego,policies/c2.rego:team.c.deny", Deny: true, Message: "c2 says no"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestBooleanAndSingleValueRules(t *testing.T) {
	s := load(t, map[string]string{"p.rego": `package single

default deny := false

deny if input.env == "production"

warn := "one warning" if true

violation := {"msg": "one object", "fingerprints": ["x"]} if true
`}, "p.rego")
	got := eval(t, s, sample())
	want := []gate.PolicyResult{
		{Source: "p.rego:single.deny", Deny: true, Message: "rule deny is true (it gives no message; write `deny contains msg if { ... }` to say why)"},
		{Source: "p.rego:single.violation", Deny: true, Message: "one object", Fingerprints: []string{"x"}},
		{Source: "p.rego:single.warn", Message: "one warning"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	in := sample()
	in.Env = "dev"
	if got := eval(t, s, in); len(got) != 2 {
		t.Errorf("with deny false got %v, want only the warn and the violation", got)
	}
}

func TestParseErrorNamesFileLineCol(t *testing.T) {
	ds := loadErr(t, map[string]string{
		"policies/ok.rego":  "package ok\n\nwarn contains \"fine\" if true\n",
		"policies/bad.rego": "package bad\n\ndeny contains msg if {\n\tmsg := \"x\" +\n}\n",
		// v0 syntax is refused with OPA's own explanation.
		"policies/old.rego": "package old\n\ndeny[msg] {\n\tmsg := \"x\"\n}\n",
	}, "policies")
	if len(ds) < 2 {
		t.Fatalf("got %d diagnostics, want one per broken file:\n%v", len(ds), ds)
	}
	files := map[string]bool{}
	for _, d := range ds {
		files[d.File] = true
		if d.Line == 0 || d.Col == 0 || !strings.Contains(d.Summary, "rego_parse_error: ") {
			t.Errorf("diagnostic %q lacks line, column or code", d)
		}
	}
	if !files["policies/bad.rego"] || !files["policies/old.rego"] || files["policies/ok.rego"] {
		t.Errorf("diagnostics name %v, want both broken files and only them", files)
	}
	var bad diag.Diagnostic
	for _, d := range ds {
		if d.File == "policies/bad.rego" {
			bad = d
			break
		}
	}
	if bad.Line != 4 && bad.Line != 5 {
		t.Errorf("bad.rego error at line %d, want the unfinished expression (4 or 5): %s", bad.Line, bad)
	}
	if !strings.HasPrefix(bad.String(), "policies/bad.rego:") {
		t.Errorf("error text %q does not start with the file name", bad)
	}
}

func TestCompileErrorNamesFileLineCol(t *testing.T) {
	ds := loadErr(t, map[string]string{"p.rego": `package typo

deny contains msg if {
	some f in input.findings
	msg := sprintnf("%s", [f.title])
}
`}, "p.rego")
	if len(ds) != 1 || ds[0].Location() != "p.rego:5:9" || ds[0].Summary != "rego_type_error: undefined function sprintnf" {
		t.Errorf("diagnostics %v, want p.rego:5:9 undefined function", ds)
	}
}

func TestEveryProblemAtOnce(t *testing.T) {
	ds := loadErr(t, map[string]string{
		"p/a.rego": "package a\n\ndeny contains if\n",
		"p/b.rego": "package b\n\nwarn contains x if { x := http.send({}) }\n",
	}, "p", "gone")
	got := map[string]bool{}
	for _, d := range ds {
		got[d.File] = true
	}
	if !got["p/a.rego"] || !got["p/b.rego"] || !got["gone"] {
		t.Errorf("diagnostics %v, want one for each of p/a.rego, p/b.rego and gone", ds)
	}
}

func TestRefusedBuiltinsFailToLoad(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"http.send", `deny contains msg if {
	resp := http.send({"method": "GET", "url": "http://127.0.0.1:1/"})
	msg := resp.body
}`, "http.send is not allowed: a gate policy may not reach the network"},
		{"statement", `deny contains "x" if {
	http.send({"method": "GET", "url": "http://127.0.0.1:1/"}, _)
}`, "http.send is not allowed"},
		{"net.lookup_ip_addr", `deny contains msg if {
	addrs := net.lookup_ip_addr("example.invalid")
	msg := sprintf("%v", [addrs])
}`, "net.lookup_ip_addr is not allowed: a gate policy may not reach the network"},
		{"opa.runtime", `deny contains msg if {
	msg := opa.runtime().env.HOME
}`, "opa.runtime is not allowed: a gate policy may not read sluice's environment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := loadErr(t, map[string]string{"net.rego": "package net_test_policy\n\n" + tc.body + "\n"}, "net.rego")
			if len(ds) != 1 {
				t.Fatalf("got %d diagnostics, want 1:\n%v", len(ds), ds)
			}
			d := ds[0]
			if !strings.Contains(d.Summary, tc.want) || d.File != "net.rego" || d.Line < 3 || d.Col == 0 {
				t.Errorf("diagnostic %q, want %q at net.rego:line:col", d, tc.want)
			}
		})
	}
}

func TestPathProblems(t *testing.T) {
	ds := loadErr(t, map[string]string{"empty/README.md": "no policies here", "empty/x_test.rego": "package x_test\n"},
		"empty", "missing", "missing.rego")
	got := make([]string, len(ds))
	for i, d := range ds {
		got[i] = d.File + ": " + d.Summary
	}
	want := []string{
		"empty: policy folder holds no .rego file",
		"missing: policy path does not exist",
		"missing.rego: policy path does not exist",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	for _, d := range ds {
		if d.Hint == "" {
			t.Errorf("%s has no hint", d)
		}
	}
}

func TestNoPathsGiveEmptySet(t *testing.T) {
	s, err := Load(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s.Eval(context.Background(), sample()); err != nil || len(res) != 0 {
		t.Errorf("empty set gave %v, %v", res, err)
	}
	if s.Digest() != "" {
		t.Errorf("empty set digest %q, want empty", s.Digest())
	}
	var none *Set
	if res, err := none.Eval(context.Background(), sample()); err != nil || res != nil || none.Digest() != "" {
		t.Errorf("nil set gave %v, %v, %q", res, err, none.Digest())
	}
}

func TestPolicyWithoutRules(t *testing.T) {
	ds := loadErr(t, map[string]string{
		"silent.rego": "package silent\n\nallow if input.env == \"dev\"\n",
		"fn.rego":     "package fn\n\ndeny(x) := x if true\n",
		"nested.rego": "package nested\n\nwarn.a contains \"x\" if true\n\ndeny contains \"y\" if true\n",
	}, "silent.rego", "fn.rego", "nested.rego")
	got := map[string]string{}
	for _, d := range ds {
		got[d.Location()] = d.Summary
	}
	want := map[string]string{
		"fn.rego:1:1":     "package fn defines no deny, warn or violation rule, so it can never say anything",
		"fn.rego:3:1":     "rule deny cannot be read as a deny rule",
		"nested.rego:3:1": "rule warn.a cannot be read as a warn rule",
		"silent.rego:1:1": "package silent defines no deny, warn or violation rule, so it can never say anything",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestEmptyFile(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "\n\n"} {
		ds := loadErr(t, map[string]string{"empty.rego": src}, "empty.rego")
		if len(ds) != 1 || ds[0].String() != "empty.rego: error: policy file is empty (hint: a policy starts with a package declaration and defines deny, warn or violation rules)" {
			t.Errorf("%q: diagnostics %v", src, ds)
		}
	}
}

func TestLibraryImportedByAPolicyLoads(t *testing.T) {
	s := load(t, map[string]string{
		"lib/helpers.rego": `package lib.helpers

fixable(f) if f.fixed_version != ""
`,
		"lib/nested.rego": `package lib.nested.deep

level := 3
`,
		"deps.rego": `package deps

import data.lib.helpers

deny contains f.fingerprint if {
	some f in input.findings
	helpers.fixable(f)
	f.severity_level >= data.lib.nested.deep.level
}
`,
	}, "lib", "deps.rego")
	got := eval(t, s, sample())
	if len(got) != 1 || got[0].Message != "fp-net" || got[0].Source != "deps.rego:deps.deny" {
		t.Errorf("results %v, want one deny naming fp-net", got)
	}
}

func TestRuntimeErrorsNameTheFile(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"conflict", `package conflict

warn := "one" if true

warn := "two" if true
`},
		{"non-string message", `package nonstring

deny contains count(input.findings) if true
`},
		{"object without msg", `package nomsg

deny contains {"message": "x"} if true
`},
		{"bad fingerprints", `package badfps

deny contains {"msg": "x", "fingerprints": [1]} if true
`},
		{"builtin error", `package builtin

deny contains msg if {
	n := to_number(input.env)
	msg := sprintf("%d", [n])
}
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, map[string]string{"policies/p.rego": tc.src, "policies/fine.rego": "package fine\n\nwarn contains \"ok\" if true\n"}, "policies")
			res, err := s.Eval(context.Background(), sample())
			if err == nil {
				t.Fatalf("Eval gave %v, want an error", res)
			}
			if res != nil {
				t.Errorf("Eval gave results %v with its error", res)
			}
			if !strings.Contains(err.Error(), "policies/p.rego:") || strings.Contains(err.Error(), "fine.rego") {
				t.Errorf("error %q does not name policies/p.rego (and only it)", err)
			}
			t.Log(err)
		})
	}
}

func TestDeterministicForShuffledInput(t *testing.T) {
	s := load(t, map[string]string{"p.rego": `package order

# The message lists findings in input order, so it only stays the same when
# the input document does.
deny contains msg if {
	titles := [f.title | some f in input.findings]
	msg := concat(", ", titles)
}

warn contains msg if {
	names := [h.scanner | some h in input.scanners]
	msg := concat(" ", names)
}

warn contains sprintf("%s has %d findings", [cat, n]) if {
	some cat, sevs in input.counts
	n := sum([c | some c in sevs])
	n > 0
}
`}, "p.rego")
	base := sample()
	for i := range 20 {
		base.Findings = append(base.Findings, InputFinding{Finding: findings.Finding{
			Fingerprint: "same", Category: findings.SAST, Severity: findings.Low, Title: "t" + string(rune('a'+i))}})
	}
	want := eval(t, s, base)
	if len(want) != 4 {
		t.Fatalf("got %v, want a deny, a warn with the scanners and two count warns (deps and sast; the secret is suppressed)", want)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		in := sample()
		in.Findings = slices.Clone(base.Findings)
		in.Scanners = slices.Clone(base.Scanners)
		r.Shuffle(len(in.Findings), func(i, j int) { in.Findings[i], in.Findings[j] = in.Findings[j], in.Findings[i] })
		r.Shuffle(len(in.Scanners), func(i, j int) { in.Scanners[i], in.Scanners[j] = in.Scanners[j], in.Scanners[i] })
		if diff := cmp.Diff(want, eval(t, s, in)); diff != "" {
			t.Fatalf("shuffled input changed the results (-want +got):\n%s", diff)
		}
	}
}

func TestExpensivePolicyStopsAtDeadline(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		// Ten billion iterations: far longer than any test may take.
		{"nested iteration", `deny contains "never" if {
	r := numbers.range(1, 100000)
	some x in r
	some y in r
	x * y == -1
}`},
		{"huge comprehension", `deny contains "never" if {
	count([x | some x in numbers.range(1, 1000000000000)]) == 0
}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, map[string]string{"slow.rego": "package slow\n\n" + tc.body + "\n"}, "slow.rego")
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			res, err := s.Eval(ctx, sample())
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Eval took %s after a 200ms deadline", took)
			}
			if err == nil {
				t.Fatalf("Eval gave %v, want a deadline error", res)
			}
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "slow.rego:slow.deny") || !strings.Contains(err.Error(), "did not finish in time") {
				t.Errorf("error %q does not explain the deadline or name the rule", err)
			}
		})
	}

	// The set's own limit applies when the caller gives none.
	s := load(t, map[string]string{"slow.rego": `package slow

deny contains "never" if {
	count([x | some x in numbers.range(1, 1000000000000)]) == 0
}
`}, "slow.rego")
	s.timeout = 100 * time.Millisecond
	if _, err := s.Eval(context.Background(), sample()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Eval without a deadline gave %v, want the set's timeout", err)
	}
}

func TestNowIsPinned(t *testing.T) {
	s := load(t, map[string]string{"p.rego": `package clock

warn contains sprintf("%d", [time.now_ns()]) if true
`}, "p.rego")
	in := sample()
	in.Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	got := eval(t, s, in)
	if len(got) != 1 || got[0].Message != "1772366400000000000" {
		t.Errorf("time.now_ns gave %v, want the input's Now", got)
	}
}

func TestDigest(t *testing.T) {
	files := map[string]string{
		"p/a.rego": "package a\n\nwarn contains \"a\" if true\n",
		"p/b.rego": "package b\n\nwarn contains \"b\" if true\n",
	}
	d1 := load(t, files, "p").Digest()
	if !strings.HasPrefix(d1, "sha256:") || len(d1) != len("sha256:")+64 {
		t.Fatalf("digest %q is not sha256:<hex>", d1)
	}
	if d2 := load(t, files, "p/b.rego", "p/a.rego").Digest(); d2 != d1 {
		t.Errorf("same files in another order: digest %s, want %s", d2, d1)
	}
	changed := map[string]string{"p/a.rego": files["p/a.rego"] + "# edited\n", "p/b.rego": files["p/b.rego"]}
	if d3 := load(t, changed, "p").Digest(); d3 == d1 {
		t.Error("a changed file kept the digest")
	}
	renamed := map[string]string{"p/a.rego": files["p/a.rego"], "p/c.rego": files["p/b.rego"]}
	if d4 := load(t, renamed, "p").Digest(); d4 == d1 {
		t.Error("a renamed file kept the digest")
	}
}

func TestAbsolutePathsAreNamedRelative(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"policies/a.rego": "package a\n\nwarn contains \"a\" if true\n"})
	s, err := Load(dir, []string{filepath.Join(dir, "policies", "a.rego")})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Rules(); !slices.Equal(got, []string{"policies/a.rego:a.warn"}) {
		t.Errorf("rules %v, want the file named relative to the base folder", got)
	}
}

func TestExamplePolicy(t *testing.T) {
	s, err := Load("../../examples/goodbooks", []string{"policies"})
	if err != nil {
		t.Fatalf("the example policy does not load: %v", err)
	}
	want := []string{"policies/supply-chain.rego:goodbooks.supply_chain.deny", "policies/supply-chain.rego:goodbooks.supply_chain.warn"}
	if diff := cmp.Diff(want, s.Rules()); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}

	in := sample()
	in.Policy.NewOnly = false
	got := eval(t, s, in)
	wantRes := []gate.PolicyResult{{Source: want[0], Deny: true, Fingerprints: []string{"fp-net"},
		Message: "golang.org/x/net 0.10.0 has high advisory GHSA-qppj-fm5r-hxr3, fixed in 0.17.0; upgrade golang.org/x/net to 0.17.0 or later"}}
	if diff := cmp.Diff(wantRes, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}

	// Suppressed or pre-existing under new_only: no deny. No secrets scan: a warning.
	in.Findings[0].InBaseline = true
	in.Policy.NewOnly = true
	in.Scanners = []scan.Health{{Scanner: "secrets", Status: scan.Skipped, Reason: "not asked"}}
	got = eval(t, s, in)
	if len(got) != 1 || got[0].Deny || got[0].Source != want[1] || !strings.Contains(got[0].Message, "secrets scanner did not run") {
		t.Errorf("results %v, want only the secrets warning", got)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("package p\n\ndeny contains \"x\" if true\n")
	f.Add("package p\n\nimport rego.v1\n\nwarn contains msg if { some f in input.findings; msg := f.title }\n")
	f.Add("package p\n\ndeny contains msg if { msg := http.send({})}\n")
	f.Add("package p\n\ndeny[x] { x := 1 }\n")
	f.Add("package p.q\n\nviolation := {\"msg\": 1} if { x := [y | y := numbers.range(1, 3)[_]] }\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, src string) {
		s, ds := build([]source{{name: "fuzz.rego", src: []byte(src)}})
		if (s == nil) == (len(ds) == 0) {
			t.Fatalf("build gave set %v and diagnostics %v", s != nil, ds)
		}
		for _, d := range ds {
			if d.File == "" && d.Summary == "" {
				t.Fatalf("empty diagnostic %+v", d)
			}
		}
		if s != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			_, _ = s.Eval(ctx, sample())
		}
	})
}

// TestDocExamplesLoad loads every Rego example of docs/policies.md and
// evaluates it, so the documentation cannot drift from what Load accepts.
func TestDocExamplesLoad(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policies.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(doc), "```rego\n")[1:]
	if len(blocks) < 5 {
		t.Fatalf("found %d Rego examples in docs/policies.md, want at least 5", len(blocks))
	}
	for i, b := range blocks {
		src, _, _ := strings.Cut(b, "```")
		s := load(t, map[string]string{"example.rego": src}, "example.rego")
		if len(s.Rules()) == 0 {
			t.Errorf("example %d defines no rule", i+1)
		}
		in := sample()
		in.Env = "production"
		in.Run.Branch = "feature"
		if _, err := s.Eval(context.Background(), in); err != nil {
			t.Errorf("example %d: %v", i+1, err)
		}
	}
}
