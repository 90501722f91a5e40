package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/store"
)

// findingJSON is a finding as the run findings API shows it: the finding,
// whether it is new against the baseline its run's gate used, and what
// suppresses it.
type findingJSON struct {
	findings.Finding
	// New is whether the finding is not in the baseline; left out when
	// the run's gate used none (or no gate judged the run yet).
	New          *bool          `json:"new,omitempty"`
	Suppressed   bool           `json:"suppressed"`
	SuppressedBy []suppressedBy `json:"suppressed_by,omitempty"`
}

// suppressedBy is one thing that suppresses a finding.
type suppressedBy struct {
	// Kind is "stored" (a suppression kept in the store, which the next
	// gate decision applies), "file" (an entry of .sluice/ignore.yaml that
	// hid the finding in the run's gate decisions) or "inline" (a marker
	// on the finding's line).
	Kind    string     `json:"kind"`
	ID      int64      `json:"id,omitempty"`
	Source  string     `json:"source,omitempty"`
	Owner   string     `json:"owner,omitempty"`
	Reason  string     `json:"reason,omitempty"`
	Expires *time.Time `json:"expires,omitempty"`
	// CreatedBy is who stored a stored suppression.
	CreatedBy string `json:"created_by,omitempty"`
}

// baselineJSON names the baseline findings are new against.
type baselineJSON struct {
	Env      string `json:"env"`
	Decision int64  `json:"decision"`
	Run      string `json:"run"`
	Number   int64  `json:"number"`
	From     string `json:"from"`
}

// findingQuery is the filter of the run findings API; empty fields match
// every finding.
type findingQuery struct {
	severity, category, scanner, owasp, isNew, suppressed string
}

func parseFindingQuery(r *http.Request) (findingQuery, error) {
	q := r.URL.Query()
	fq := findingQuery{severity: q.Get("severity"), category: q.Get("category"), scanner: q.Get("scanner"),
		owasp: strings.ToUpper(strings.TrimSpace(q.Get("owasp"))), isNew: q.Get("new"), suppressed: q.Get("suppressed")}
	for name, v := range map[string]string{"new": fq.isNew, "suppressed": fq.suppressed} {
		if v != "" && v != "yes" && v != "no" {
			return fq, fmt.Errorf("%s=%q: want yes or no", name, v)
		}
	}
	return fq, nil
}

func (fq findingQuery) keep(f findingJSON) bool {
	switch {
	case fq.severity != "" && f.Severity.String() != fq.severity,
		fq.category != "" && string(f.Category) != fq.category,
		fq.scanner != "" && !fromScanner(f.Finding, fq.scanner),
		fq.owasp != "" && !inOWASP(f.Finding, fq.owasp),
		fq.isNew != "" && (f.New == nil || *f.New != (fq.isNew == "yes")),
		fq.suppressed != "" && f.Suppressed != (fq.suppressed == "yes"):
		return false
	}
	return true
}

// fromScanner reports whether scanner reported f (alone or with others).
func fromScanner(f findings.Finding, scanner string) bool {
	return f.Scanner == scanner || slices.ContainsFunc(f.Sources, func(s findings.Source) bool { return s.Scanner == scanner })
}

// inOWASP reports whether f is in OWASP Top 10 category id: "A03:2021"
// exactly, or "A03" in either edition.
func inOWASP(f findings.Finding, id string) bool {
	for _, c := range append(slices.Clone(f.OWASP2021), f.OWASP2025...) {
		c = strings.ToUpper(c)
		if c == id || strings.HasPrefix(c, id+":") {
			return true
		}
	}
	return false
}

// runFindings lists a run's findings (filtered by the query), each saying
// whether it is new against the baseline the run's gate used and what
// suppresses it, with the scanners' health.
func (s *Server) runFindings(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	run := s.run(w, r)
	if run == nil {
		return
	}
	fq, err := parseFindingQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_query", err.Error())
		return
	}
	ev, err := gatekeeper.RunEvidence(r.Context(), s.o.Store, run.ID, nil)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "evidence", err.Error())
		return
	}
	all, base, err := s.annotate(r.Context(), run, ev.Findings)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	out := []findingJSON{}
	for _, f := range all {
		if fq.keep(f) {
			out = append(out, f)
		}
	}
	body := map[string]any{"run": run.ID, "evidence": ev.Digest, "findings": out, "scanners": ev.Health}
	if base != nil {
		body["baseline"] = base
	}
	writeJSON(w, http.StatusOK, body)
}

// annotate says of each finding of run whether it is new and what
// suppresses it: the standing stored suppressions of the run's project
// (as the next gate decision applies them), the ignore file's entries the
// run's gate decisions recorded, and inline markers.
func (s *Server) annotate(ctx context.Context, run *store.Run, fs []findings.Finding) ([]findingJSON, *baselineJSON, error) {
	now := s.o.Now()
	list, err := s.o.Store.Suppressions().ListSuppressions(ctx, run.Project)
	if err != nil {
		return nil, nil, err
	}
	var stored []*store.Suppression
	for _, x := range list {
		if x.Active(now) {
			stored = append(stored, x)
		}
	}
	fromFile, err := s.fileSuppressed(ctx, run.ID)
	if err != nil {
		return nil, nil, err
	}
	b, err := gatekeeper.UsedBaseline(ctx, s.o.Store, run)
	if err != nil {
		return nil, nil, err
	}
	var base *baselineJSON
	if b != nil {
		base = &baselineJSON{Env: b.Env, Decision: b.Decision, Run: b.Run.ID, Number: b.Run.Number, From: b.From}
	}
	out := make([]findingJSON, 0, len(fs))
	for _, f := range fs {
		fj := findingJSON{Finding: f}
		if b != nil {
			isNew := !b.Fingerprints[f.Fingerprint]
			fj.New = &isNew
		}
		for _, x := range stored {
			if sup := gatekeeper.StoredSuppression(x); sup.Matches(f) {
				fj.SuppressedBy = append(fj.SuppressedBy, suppressedBy{Kind: "stored", ID: x.ID, Source: sup.Source, Owner: x.Owner,
					Reason: x.Reason, Expires: timePtr(x.Expires), CreatedBy: x.CreatedBy})
			}
		}
		fj.SuppressedBy = append(fj.SuppressedBy, fromFile[f.Fingerprint]...)
		if f.InlineIgnored {
			fj.SuppressedBy = append(fj.SuppressedBy, suppressedBy{Kind: "inline", Source: "inline marker"})
		}
		fj.Suppressed = len(fj.SuppressedBy) > 0
		out = append(out, fj)
	}
	return out, base, nil
}

// fileSuppressed lists, by fingerprint, the ignore file's entries that
// suppressed findings in the run's gate decisions.
func (s *Server) fileSuppressed(ctx context.Context, runID string) (map[string][]suppressedBy, error) {
	ds, err := s.o.Store.Decisions().ListDecisions(ctx, runID)
	if err != nil {
		return nil, err
	}
	out := map[string][]suppressedBy{}
	seen := map[string]bool{}
	for _, d := range ds {
		var gd gate.Decision
		if json.Unmarshal(d.Body, &gd) != nil {
			continue
		}
		for _, j := range gd.Suppressed {
			by, fp := j.By, j.Finding.Fingerprint
			if by == nil || by.ID != 0 || seen[fp+"\x00"+by.Source] {
				continue
			}
			seen[fp+"\x00"+by.Source] = true
			out[fp] = append(out[fp], suppressedBy{Kind: "file", Source: by.Source, Owner: by.Owner, Reason: by.Reason, Expires: timePtr(by.Expires)})
		}
	}
	return out, nil
}
