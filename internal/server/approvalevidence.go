package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/store"
)

// maxFixedListed bounds the fixed findings an approval's evidence names.
const maxFixedListed = 20

// approvalEvidenceJSON is what an approver weighs besides the gate
// decision: how the run's findings compare with the baseline the
// environment's gate judged against, and what the release changes
// against the one live there.
type approvalEvidenceJSON struct {
	Run       string           `json:"run"`
	RunNumber int64            `json:"run_number"`
	Project   string           `json:"project,omitempty"`
	Env       string           `json:"env"`
	State     string           `json:"state"`
	Findings  findingsDiffJSON `json:"findings"`
	Changes   changesJSON      `json:"changes"`
}

// severityCounts counts findings by severity.
type severityCounts struct {
	Total    int `json:"total"`
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

func (c *severityCounts) add(s findings.Severity) {
	c.Total++
	switch s {
	case findings.Critical:
		c.Critical++
	case findings.High:
		c.High++
	case findings.Medium:
		c.Medium++
	case findings.Low:
		c.Low++
	default:
		c.Info++
	}
}

// fixedJSON names a finding of the baseline the run no longer has.
type fixedJSON struct {
	Fingerprint string `json:"fingerprint"`
	Severity    string `json:"severity"`
	Title       string `json:"title"`
}

// findingsDiffJSON compares a run's findings with the baseline an
// environment's gate judged the run against.
type findingsDiffJSON struct {
	// All and Suppressed count the run's findings as the run findings
	// API lists them.
	All        severityCounts `json:"all"`
	Suppressed int            `json:"suppressed"`
	// Baseline names the baseline; nil when it is unknown, and
	// BaselineNote says why.
	Baseline     *baselineJSON `json:"baseline,omitempty"`
	BaselineNote string        `json:"baseline_note,omitempty"`
	// New counts the run's findings the baseline does not have, Fixed
	// the baseline's findings the run no longer has (FixedFindings names
	// the first of them); both nil when the baseline is unknown.
	New           *severityCounts `json:"new,omitempty"`
	Fixed         *severityCounts `json:"fixed,omitempty"`
	FixedFindings []fixedJSON     `json:"fixed_findings,omitempty"`
	// NewFilter is whether the run findings API's ?new= judges against
	// this same baseline, so that ?new=yes lists exactly the New ones.
	NewFilter bool `json:"new_filter"`
}

// approvalEvidence shows the evidence of a run's approval request for an
// environment beyond its gate decision: the findings diff and the changes.
func (s *Server) approvalEvidence(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	run := s.run(w, r)
	if run == nil {
		return
	}
	env := r.PathValue("env")
	req, err := s.o.Store.Approvals().GetApprovalRequest(r.Context(), run.ID, env)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no_request", fmt.Sprintf("run #%d never waited for approval to %s", run.Number, env))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	out := approvalEvidenceJSON{Run: run.ID, RunNumber: run.Number, Project: run.Project, Env: env, State: req.State}
	fd, err := s.findingsDiff(r.Context(), run, env)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "evidence", err.Error())
		return
	}
	ch, err := s.changes(r.Context(), run, env)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "store", err.Error())
		return
	}
	out.Findings, out.Changes = *fd, *ch
	writeJSON(w, http.StatusOK, out)
}

// findingsDiff compares run's findings (all its scan reports, suppressed
// as the findings API says) with the baseline env's gate judged it
// against, found again and checked by gatekeeper.EnvBaseline.
func (s *Server) findingsDiff(ctx context.Context, run *store.Run, env string) (*findingsDiffJSON, error) {
	ev, err := gatekeeper.RunEvidence(ctx, s.o.Store, run.ID, nil)
	if err != nil {
		return nil, fmt.Errorf("evidence of run %s: %w", run.ID, err)
	}
	all, listed, err := s.annotate(ctx, run, ev.Findings)
	if err != nil {
		return nil, fmt.Errorf("findings of run %s: %w", run.ID, err)
	}
	out := &findingsDiffJSON{}
	here := make(map[string]bool, len(all))
	for _, f := range all {
		out.All.add(f.Severity)
		if f.Suppressed {
			out.Suppressed++
		}
		here[f.Fingerprint] = true
	}
	b, err := gatekeeper.EnvBaseline(ctx, s.o.Store, run, env)
	if err != nil {
		return nil, err
	}
	if b == nil {
		out.BaselineNote, err = s.noBaseline(ctx, run, env)
		return out, err
	}
	out.Baseline = &baselineJSON{Env: b.Env, Decision: b.Decision, Run: b.Run.ID, Number: b.Run.Number, From: b.From}
	out.NewFilter = listed != nil && listed.Run == b.Run.ID
	out.New = &severityCounts{}
	for _, f := range all {
		if !b.Fingerprints[f.Fingerprint] {
			out.New.add(f.Severity)
		}
	}
	if b.Run.Project != run.Project {
		// The gate takes the run last admitted to the environment, of
		// whichever project: another project's findings are not this
		// key's to read.
		out.BaselineNote = "The baseline is a run of another project, so the findings it had are not shown."
		return out, nil
	}
	out.Fixed = &severityCounts{}
	bev, err := gatekeeper.RunEvidence(ctx, s.o.Store, b.Run.ID, nil)
	if err != nil {
		return nil, fmt.Errorf("evidence of the baseline run %s: %w", b.Run.ID, err)
	}
	for _, f := range bev.Findings {
		if here[f.Fingerprint] {
			continue
		}
		out.Fixed.add(f.Severity)
		if len(out.FixedFindings) < maxFixedListed {
			out.FixedFindings = append(out.FixedFindings, fixedJSON{Fingerprint: f.Fingerprint, Severity: f.Severity.String(), Title: f.Title})
		}
	}
	return out, nil
}

// noBaseline says why no baseline of env's gate is known for run.
func (s *Server) noBaseline(ctx context.Context, run *store.Run, env string) (string, error) {
	ds, err := s.o.Store.Decisions().ListDecisions(ctx, run.ID)
	if err != nil {
		return "", fmt.Errorf("decisions of run %s: %w", run.ID, err)
	}
	judged, withBaseline := false, false
	for _, d := range ds {
		if d.Env == env {
			judged = true
			withBaseline = withBaseline || d.Digests["baseline"] != ""
		}
	}
	switch {
	case !judged:
		return fmt.Sprintf("No gate decision of %s was recorded for this run, so its baseline is unknown.", env), nil
	case !withBaseline:
		return fmt.Sprintf("The gate of %s judged this run without a baseline (it has no new_only, or nothing was admitted there before), "+
			"so no finding is counted new or fixed.", env), nil
	}
	return fmt.Sprintf("The baseline the gate of %s judged against cannot be found again (a report given by hand, or a run admitted "+
		"there since), so the new and fixed findings are unknown.", env), nil
}
