package gate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// ignoreFile is where suppressions live, for hints.
const ignoreFile = ".sluice/ignore.yaml"

// defaultBlock is the threshold when neither gates.block nor the category's
// block is set: critical findings always block.
const defaultBlock = findings.Critical

// Evaluate decides the gate for in. It never reads files or the clock.
func Evaluate(in Input) Decision {
	d := Decision{Env: in.Env, Outcome: Pass}
	p := in.Policy
	if p == nil || p.Mode == "off" {
		msg := fmt.Sprintf("gates are off for environment %s; no finding was judged", in.Env)
		if p == nil {
			msg = fmt.Sprintf("environment %s has no gates configured; no finding was judged", in.Env)
		}
		d.Reasons = []Reason{{Kind: KindMode, Effect: Pass, Message: msg}}
		return d
	}
	fail := Block
	switch p.Mode {
	case "warn":
		fail = Warn
	case "block", "":
	default:
		d.add(Reason{Kind: KindMode, Effect: Block, Message: fmt.Sprintf(
			"environment %s has gate mode %q; use off, warn or block (blocking until fixed)", in.Env, p.Mode)})
	}

	fs := slices.Clone(in.Findings)
	slices.SortFunc(fs, compareFindings)
	sups := slices.Clone(in.Suppressions)
	slices.SortStableFunc(sups, func(a, b Suppression) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.selector(), b.selector()))
	})

	judged := d.suppress(in, fs, sups)
	judged = d.inline(in, judged)
	blocked := map[string]int{} // Blocking by fingerprint
	d.exploited(in, judged, fail, blocked)
	judged = d.baseline(in, judged)
	judged = d.fixable(in, judged)
	d.Judged = len(judged)
	d.thresholds(in, judged, fail, blocked)
	d.require(in, fail)
	for _, r := range in.PolicyResults {
		eff := Warn
		if r.Deny {
			eff = fail
		}
		fps := slices.Clone(r.Fingerprints)
		slices.Sort(fps)
		d.add(Reason{Kind: KindPolicy, Effect: eff, Message: fmt.Sprintf("policy %s: %s", r.Source, r.Message), Fingerprints: fps})
	}

	slices.SortStableFunc(d.Reasons, func(a, b Reason) int {
		return cmp.Or(cmp.Compare(b.Effect.rank(), a.Effect.rank()), cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)),
			cmp.Compare(a.Message, b.Message))
	})
	return d
}

// block lists j among the blocking findings once; blocked indexes
// d.Blocking by fingerprint.
func (d *Decision) block(j Judged, blocked map[string]int) {
	if fp := j.Finding.Fingerprint; fp != "" {
		if i, ok := blocked[fp]; ok {
			d.Blocking[i].Why += "; and " + j.Why
			return
		}
		blocked[fp] = len(d.Blocking)
	}
	d.Blocking = append(d.Blocking, j)
}

// supIndex finds the suppressions that may match a finding without trying
// every one: each is filed under its most selective field.
type supIndex struct {
	byFP, byRule, byAdvisory, byPackage map[string][]int
	rest                                []int
}

func indexSuppressions(sups []Suppression) *supIndex {
	x := &supIndex{byFP: map[string][]int{}, byRule: map[string][]int{}, byAdvisory: map[string][]int{}, byPackage: map[string][]int{}}
	for i, s := range sups {
		switch {
		case s.Fingerprint != "":
			x.byFP[s.Fingerprint] = append(x.byFP[s.Fingerprint], i)
		case s.Rule != "":
			x.byRule[s.Rule] = append(x.byRule[s.Rule], i)
		case s.Advisory != "":
			k := strings.ToLower(s.Advisory)
			x.byAdvisory[k] = append(x.byAdvisory[k], i)
		case s.Package != "":
			x.byPackage[s.Package] = append(x.byPackage[s.Package], i)
		default:
			x.rest = append(x.rest, i)
		}
	}
	return x
}

// candidates appends to out, in suppression order and without repeats,
// the suppressions that may match f; Matches decides.
func (x *supIndex) candidates(f findings.Finding, out []int) []int {
	out = append(out, x.byFP[f.Fingerprint]...)
	out = append(out, x.byRule[f.RuleID]...)
	for _, src := range f.Sources {
		if src.RuleID != f.RuleID {
			out = append(out, x.byRule[src.RuleID]...)
		}
	}
	if len(x.byAdvisory) > 0 {
		out = append(out, x.byAdvisory[strings.ToLower(f.RuleID)]...)
		for _, a := range f.Aliases {
			out = append(out, x.byAdvisory[strings.ToLower(a)]...)
		}
	}
	out = append(out, x.byPackage[f.Location.Package]...)
	out = append(out, x.rest...)
	slices.Sort(out)
	return slices.Compact(out)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// add records r and raises the outcome to r's effect.
func (d *Decision) add(r Reason) {
	d.Reasons = append(d.Reasons, r)
	if r.Effect.rank() > d.Outcome.rank() {
		d.Outcome = r.Effect
	}
}

func kindRank(k string) int {
	for i, s := range []string{KindMode, KindRequire, KindExploited, KindThreshold, KindCount, KindPolicy, KindInline, KindExpired} {
		if s == k {
			return i
		}
	}
	return 99
}

// suppress moves suppressed findings to d.Suppressed and returns the rest,
// each with a note when an expired suppression would have matched it.
func (d *Decision) suppress(in Input, fs []findings.Finding, sups []Suppression) []Judged {
	used := make([]bool, len(sups))
	idx := indexSuppressions(sups)
	rest := make([]Judged, 0, len(fs))
	var cands []int
	for _, f := range fs {
		j := Judged{Finding: f}
		hidden := false
		cands = idx.candidates(f, cands[:0])
		for _, i := range cands {
			s := &sups[i]
			if !s.Matches(f) {
				continue
			}
			used[i] = true
			if s.Expired(in.Now) {
				if j.Why == "" {
					j.Why = fmt.Sprintf("%s expired on %s; ", s.name(), s.Expires.Format(time.DateOnly))
				}
				continue
			}
			if !hidden {
				hidden = true
				by := *s
				d.Suppressed = append(d.Suppressed, Judged{Finding: f, By: &by, Why: fmt.Sprintf(
					"suppressed by %s (owner %s): %s", s.Source, s.Owner, s.Reason)})
			}
		}
		if !hidden {
			rest = append(rest, j)
		}
	}
	for i, s := range sups {
		switch {
		case s.Expired(in.Now):
			d.Expired = append(d.Expired, s)
			msg := fmt.Sprintf("%s (%s, owner %s) expired on %s and no longer suppresses anything; %s",
				s.name(), s.selector(), s.Owner, s.Expires.Format(time.DateOnly), s.renewHint())
			d.add(Reason{Kind: KindExpired, Effect: Pass, Message: msg})
		case !used[i]:
			d.Stale = append(d.Stale, s)
		}
	}
	return rest
}

// inline moves findings an inline marker ignores to d.Suppressed when the
// policy allows inline ignores; otherwise they stay and say why.
func (d *Decision) inline(in Input, js []Judged) []Judged {
	rest := make([]Judged, 0, len(js))
	honoured, refused := 0, 0
	for _, j := range js {
		if !j.Finding.InlineIgnored {
			rest = append(rest, j)
			continue
		}
		if in.Policy.InlineIgnores {
			honoured++
			j.Inline = true
			j.Why = "ignored by an inline sluice:ignore marker on its line; environment " + in.Env + " allows inline ignores"
			d.Suppressed = append(d.Suppressed, j)
			continue
		}
		refused++
		j.Why += "its inline sluice:ignore marker is not honoured in environment " + in.Env +
			" (gates.inline_ignores is false); suppress it in " + ignoreFile + " with a reason and an owner instead. "
		rest = append(rest, j)
	}
	if honoured > 0 {
		d.add(Reason{Kind: KindInline, Effect: Pass, Message: fmt.Sprintf(
			"%d %s ignored by inline markers, which environment %s allows (gates.inline_ignores)", honoured, plural(honoured, "finding"), in.Env)})
	}
	if refused > 0 {
		d.add(Reason{Kind: KindInline, Effect: Pass, Message: fmt.Sprintf(
			"%d inline %s not honoured: environment %s does not allow inline ignores; they are judged like any other finding",
			refused, plural(refused, "marker"), in.Env)})
	}
	return rest
}

// exploited blocks (or warns about) findings known to be exploited in the
// wild, whatever their severity and whether or not they are in the
// baseline, when the policy says so.
func (d *Decision) exploited(in Input, js []Judged, fail Outcome, blocked map[string]int) {
	var eff Outcome
	switch in.Policy.KnownExploited {
	case "block":
		eff = fail
	case "warn":
		eff = Warn
	default:
		return
	}
	var fps, names []string
	for _, j := range js {
		if !KnownExploited(j.Finding) {
			continue
		}
		fps = append(fps, j.Finding.Fingerprint)
		names = append(names, describe(j.Finding))
		if eff == fail {
			j.Why += fmt.Sprintf("known to be exploited in the wild, which environment %s blocks at any severity; %s", in.Env, remedy(j.Finding))
			d.block(j, blocked)
		}
	}
	if len(fps) == 0 {
		return
	}
	slices.Sort(fps)
	d.add(Reason{Kind: KindExploited, Effect: eff, Fingerprints: fps, Message: fmt.Sprintf(
		"environment %s %ss findings known to be exploited in the wild (gates.known_exploited); found %d: %s. Fix them first",
		in.Env, in.Policy.KnownExploited, len(fps), strings.Join(names, "; "))})
}

// KnownExploited says whether f is known to be exploited in the wild
// (property known_exploited, set from a known-exploited catalog such as
// CISA's KEV, or by an imported report).
func KnownExploited(f findings.Finding) bool {
	v := strings.ToLower(f.Properties["known_exploited"])
	return v == "true" || v == "yes"
}

// fixable moves dependency findings without a fixed version to
// d.Unfixable when the policy has fixable_only.
func (d *Decision) fixable(in Input, js []Judged) []Judged {
	if !in.Policy.FixableOnly {
		return js
	}
	rest := make([]Judged, 0, len(js))
	for _, j := range js {
		if j.Finding.Location.Package != "" && j.Finding.FixedVersion == "" {
			j.Why += "no fixed version is available yet; not judged because the gate has fixable_only"
			d.Unfixable = append(d.Unfixable, j)
			continue
		}
		rest = append(rest, j)
	}
	return rest
}

// baseline moves pre-existing findings to d.PreExisting when new_only is set.
func (d *Decision) baseline(in Input, js []Judged) []Judged {
	if !in.Policy.NewOnly {
		return js
	}
	known := make(map[string]bool, len(in.Baseline))
	for _, fp := range in.Baseline {
		known[fp] = true
	}
	rest := make([]Judged, 0, len(js))
	for _, j := range js {
		if j.Finding.Fingerprint != "" && known[j.Finding.Fingerprint] {
			j.Why += "in the baseline of environment " + in.Env + "; not judged because the gate has new_only"
			d.PreExisting = append(d.PreExisting, j)
			continue
		}
		rest = append(rest, j)
	}
	return rest
}

// thresholds judges the remaining findings per category.
func (d *Decision) thresholds(in Input, js []Judged, fail Outcome, blocked map[string]int) {
	byCat := map[findings.Category][]Judged{}
	var cats []findings.Category
	for _, j := range js {
		c := j.Finding.Category
		if _, ok := byCat[c]; !ok {
			cats = append(cats, c)
		}
		byCat[c] = append(byCat[c], j)
	}
	slices.Sort(cats)
	for _, c := range cats {
		min, max, on, err := d.threshold(in, c)
		if err != nil {
			d.add(Reason{Kind: KindPolicy, Effect: fail, Message: err.Error()})
			continue
		}
		if !on {
			continue
		}
		var over []Judged
		for _, j := range byCat[c] {
			if j.Finding.Severity >= min {
				over = append(over, j)
			}
		}
		if len(over) == 0 || len(over) <= max {
			continue
		}
		rule := fmt.Sprintf("environment %s blocks %s findings at or above %s", in.Env, c, min)
		kind := KindThreshold
		if max > 0 {
			rule = fmt.Sprintf("environment %s allows at most %d %s findings at or above %s", in.Env, max, c, min)
			kind = KindCount
		}
		fps := make([]string, len(over))
		names := make([]string, len(over))
		for i, j := range over {
			fps[i] = j.Finding.Fingerprint
			names[i] = describe(j.Finding)
			j.Why += fmt.Sprintf("%s (%s); %s", rule, j.Finding.Severity, remedy(j.Finding))
			d.block(j, blocked)
		}
		slices.Sort(fps)
		d.add(Reason{Kind: kind, Effect: fail, Fingerprints: fps, Message: fmt.Sprintf(
			"%s; found %d: %s. Fix them, or suppress each in %s with a reason and an owner",
			rule, len(over), strings.Join(names, "; "), ignoreFile)})
	}
	slices.SortStableFunc(d.Blocking, func(a, b Judged) int { return compareFindings(a.Finding, b.Finding) })
}

// threshold returns the blocking severity and maximum count for c; on is
// false when the category is switched off with block: none.
func (d *Decision) threshold(in Input, c findings.Category) (min findings.Severity, max int, on bool, err error) {
	p := in.Policy
	name, where := p.Block, "gates.block"
	t, ok := p.Categories[string(c)]
	if ok && t.Block != "" {
		name, where = t.Block, "gates."+string(c)+".block"
	}
	if ok && t.MaxCount != nil {
		max = *t.MaxCount
	}
	switch strings.ToLower(name) {
	case "":
		return defaultBlock, max, true, nil
	case "none", "off":
		return 0, 0, false, nil
	}
	sev, perr := findings.ParseSeverity(name)
	if perr != nil {
		return 0, 0, false, fmt.Errorf("environment %s: %s: %v; %s findings are blocked until it is fixed", in.Env, where, perr, c)
	}
	return sev, max, true, nil
}

// require checks that every required scanner ran, whole and fresh.
func (d *Decision) require(in Input, fail Outcome) {
	names := slices.Clone(in.Policy.Require)
	slices.Sort(names)
	names = slices.Compact(names)
	for _, name := range names {
		var hs []scan.Health
		for _, h := range in.Health {
			if h.Scanner == name {
				hs = append(hs, h)
			}
		}
		if len(hs) == 0 {
			d.add(Reason{Kind: KindRequire, Effect: fail, Message: fmt.Sprintf(
				"environment %s requires scanner %s, which did not run on this commit; enable it in the pipeline's scan step", in.Env, name)})
			continue
		}
		for _, h := range hs {
			if msg := unhealthy(in, h); msg != "" {
				d.add(Reason{Kind: KindRequire, Effect: fail, Message: fmt.Sprintf(
					"environment %s requires scanner %s, which %s", in.Env, name, msg)})
			}
		}
	}
}

// unhealthy says what is wrong with h, or "" when it ran whole and fresh.
func unhealthy(in Input, h scan.Health) string {
	why := ""
	if h.Reason != "" {
		why = ": " + h.Reason
	}
	switch {
	case h.Status == scan.Skipped:
		return "was skipped" + why + "; make its inputs available or install it, then rerun"
	case h.Status == scan.Failed:
		return "failed" + why + "; fix the failure and rerun"
	case h.Status != scan.Ran:
		return fmt.Sprintf("reported unknown status %q", h.Status)
	case h.Partial:
		msg := fmt.Sprintf("produced a partial result (%d inputs could not be scanned", len(h.Errors))
		if len(h.Errors) > 0 {
			msg += fmt.Sprintf("; first: %s: %s", h.Errors[0].Path, h.Errors[0].Err)
		}
		return msg + "); fix those inputs and rerun"
	case in.MaxDBAge > 0 && !h.DBUpdated.IsZero() && in.Now.Sub(h.DBUpdated) > in.MaxDBAge:
		return fmt.Sprintf("used a vulnerability database last updated %s, older than the allowed %s; update the database and rerun",
			h.DBUpdated.UTC().Format(time.RFC3339), in.MaxDBAge)
	}
	return ""
}

// describe names a finding: rule and location.
func describe(f findings.Finding) string {
	s := f.RuleID
	if s == "" {
		s = f.Title
	}
	s += " (" + f.Severity.String() + ")"
	if loc := location(f.Location); loc != "" {
		s += " at " + loc
	}
	return s
}

func location(l findings.Location) string {
	var parts []string
	if l.Path != "" {
		p := l.Path
		if l.StartLine > 0 {
			p += fmt.Sprintf(":%d", l.StartLine)
		}
		parts = append(parts, p)
	}
	if l.Package != "" {
		p := l.Package
		if l.Version != "" {
			p += "@" + l.Version
		}
		parts = append(parts, p)
	}
	for _, v := range []string{l.Image, l.Resource} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	if l.URL != "" {
		parts = append(parts, strings.TrimSpace(l.Method+" "+l.URL))
	}
	return strings.Join(parts, " ")
}

// remedy says how to fix or suppress f.
func remedy(f findings.Finding) string {
	fix := strings.TrimRight(strings.TrimSpace(f.Fix), ".")
	if f.FixedVersion != "" && f.Location.Package != "" {
		fix = fmt.Sprintf("upgrade %s to %s", f.Location.Package, f.FixedVersion)
	}
	if fix == "" {
		fix = "fix it"
	}
	return fmt.Sprintf("%s, or suppress it in %s with fingerprint: %s, a reason and an owner", fix, ignoreFile, f.Fingerprint)
}

// compareFindings orders findings worst first, then by category, rule,
// location and fingerprint, so decisions do not depend on input order.
func compareFindings(a, b findings.Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(a.Category, b.Category),
		cmp.Compare(a.RuleID, b.RuleID),
		cmp.Compare(a.Location.Path, b.Location.Path),
		cmp.Compare(a.Location.StartLine, b.Location.StartLine),
		cmp.Compare(a.Location.Package, b.Location.Package),
		cmp.Compare(a.Fingerprint, b.Fingerprint),
		cmp.Compare(a.Title, b.Title),
	)
}
