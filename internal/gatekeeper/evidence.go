// Package gatekeeper puts the gate to work: it gathers a run's evidence
// from the store (scan reports, job results, coverage), loads the
// environment's suppressions and Rego policies, asks the pure gate for a
// decision, and records the decision with the digests of everything it was
// made from, in the store and the audit trail. The engine calls Admit
// before every job bound to an environment; `sluice gate` calls Judge.
package gatekeeper

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/pipeline/plan"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/report/scanreport"
	"github.com/sluice-ci/sluice/internal/scan"
	"github.com/sluice-ci/sluice/internal/scan/external"
	"github.com/sluice-ci/sluice/internal/store"
)

// Evidence is what a gate judges: findings and the health of the scanners
// that looked for them.
type Evidence struct {
	// RunID is the run the evidence belongs to; empty for report files.
	RunID    string
	Findings []findings.Finding
	Health   []scan.Health
	// Sources name where each part came from: "job security" or a file.
	Sources []string
	// Digest identifies the exact evidence: the SHA-256 over the digests
	// of its parts, in order.
	Digest string
}

// RunEvidence loads the scan reports run runID stored, of the jobs in
// jobs only when jobs is not nil, and merges their findings.
func RunEvidence(ctx context.Context, st store.Store, runID string, jobs []string) (*Evidence, error) {
	evs, err := st.Evidence().ListEvidence(ctx, runID)
	if err != nil {
		return nil, err
	}
	ev := &Evidence{RunID: runID}
	var digests []string
	for _, e := range evs {
		if e.Kind != "scan" || jobs != nil && !slices.Contains(jobs, e.JobID) {
			continue
		}
		doc, err := decodeReport(e.Body)
		if err != nil {
			return nil, fmt.Errorf("the scan report of job %s in run %s: %w", e.JobID, runID, err)
		}
		ev.Findings = append(ev.Findings, doc.Findings...)
		ev.Health = append(ev.Health, doc.Scanners...)
		ev.Sources = append(ev.Sources, "job "+e.JobID)
		digests = append(digests, e.Digest)
	}
	ev.Findings = findings.Merge(ev.Findings)
	ev.Digest = combine(digests)
	return ev, nil
}

// FileEvidence reads report files: sluice's JSON scan reports (findings
// and scanner health), or any report external.ImportFile understands
// (SARIF and the JSON of other tools; findings only).
func FileEvidence(files []string) (*Evidence, error) {
	ev := &Evidence{}
	var digests []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		digests = append(digests, digest(data))
		ev.Sources = append(ev.Sources, file)
		if doc, err := decodeReport(data); err == nil {
			ev.Findings = append(ev.Findings, doc.Findings...)
			ev.Health = append(ev.Health, doc.Scanners...)
			continue
		}
		_, fs, err := external.ImportFile(file, filepath.Dir(file))
		if err != nil {
			return nil, err
		}
		for i := range fs {
			findings.Classify(&fs[i])
			if fs[i].Fingerprint == "" {
				fs[i].Fingerprint = findings.Fingerprint(&fs[i])
			}
		}
		ev.Findings = append(ev.Findings, fs...)
	}
	ev.Findings = findings.Merge(ev.Findings)
	ev.Digest = combine(digests)
	return ev, nil
}

// decodeReport reads sluice's JSON scan report; anything else is an error.
func decodeReport(data []byte) (*scanreport.Document, error) {
	var doc scanreport.Document
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a sluice scan report: %w", err)
	}
	if doc.Version < 1 {
		return nil, fmt.Errorf("not a sluice scan report (no version)")
	}
	return &doc, nil
}

// Fingerprints lists the fingerprints of ev's findings.
func (ev *Evidence) Fingerprints() []string {
	out := make([]string, 0, len(ev.Findings))
	for _, f := range ev.Findings {
		out = append(out, f.Fingerprint)
	}
	return out
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// combine digests an ordered list of digests.
func combine(ds []string) string {
	return digest([]byte(strings.Join(ds, "\n")))
}

// JobsFor returns the (matrix-expanded) ids of the jobs whose results the
// gate of env judges: every job the jobs bound to env need, directly or
// not. When no job is bound to env it returns the ids of every job not
// bound to any environment, so a gate asked by hand judges the run's own
// work, not its promotions.
func JobsFor(p *spec.Pipeline, env string) ([]string, error) {
	pl, err := plan.Build(p, plan.Options{})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		for _, n := range pl.Job(id).Needs {
			if !seen[n] {
				seen[n] = true
				walk(n)
			}
		}
	}
	bound := false
	for _, j := range pl.Jobs {
		if j.Spec.Environment == env {
			bound = true
			walk(j.ID)
		}
	}
	if !bound {
		for _, j := range pl.Jobs {
			if j.Spec.Environment == "" {
				seen[j.ID] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}
