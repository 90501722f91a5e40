// Package runreport gathers a run's compliance report from the store: the
// run and its jobs, findings and scanner health, gate decisions,
// approvals, the run's audit records and the verification of the audit
// chain up to the last of them. sluice report and the API's report route
// both build it here, so they can never disagree.
package runreport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/report/compliance"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/version"
)

// Build gathers the compliance report of run r, generated at now.
func Build(ctx context.Context, st store.Store, r *store.Run, now time.Time) (*compliance.Report, error) {
	rep := &compliance.Report{
		Tool:        "sluice " + version.Get().Version,
		GeneratedAt: now.UTC().Truncate(time.Second),
		Run: compliance.Run{ID: r.ID, Number: r.Number, Pipeline: r.Pipeline, Commit: r.Commit, Branch: r.Branch,
			Event: r.Event, Actor: r.Actor, Status: string(r.Status), StartedAt: r.StartedAt, FinishedAt: r.FinishedAt},
		Facts: compliance.Facts{
			SecretNames:   slices.Clone(r.SecretNames),
			SecretsMasked: true,
			// Secrets given per run (--secret) are never stored; stored
			// secrets (sluice secrets) are sealed with AES-256-GCM.
			SecretsEncrypted: true,
			AuditRetention:   "kept indefinitely in the store; no retention limit is configured",
			FindingsRedacted: true,
		},
	}
	jobs, err := st.Jobs().ListJobs(ctx, r.ID)
	if err != nil {
		return nil, fmt.Errorf("load jobs of run #%d: %w", r.Number, err)
	}
	for _, j := range jobs {
		rep.Run.Jobs = append(rep.Run.Jobs, compliance.Job{ID: j.ID, Status: string(j.Status), Reason: j.Reason})
	}
	ev, err := gatekeeper.RunEvidence(ctx, st, r.ID, nil)
	if err != nil {
		return nil, fmt.Errorf("load evidence of run #%d: %w", r.Number, err)
	}
	rep.Findings, rep.Scanners = ev.Findings, ev.Health
	ds, err := st.Decisions().ListDecisions(ctx, r.ID)
	if err != nil {
		return nil, fmt.Errorf("load decisions of run #%d: %w", r.Number, err)
	}
	for _, d := range ds {
		cd := compliance.Decision{DecidedAt: d.CreatedAt, Actor: d.Actor, Digests: d.Digests}
		if err := json.Unmarshal(d.Body, &cd.Decision); err != nil {
			return nil, fmt.Errorf("decision %d of run #%d: %w", d.ID, r.Number, err)
		}
		rep.Decisions = append(rep.Decisions, cd)
	}
	vs, err := st.Approvals().ListApprovals(ctx, r.ID, "")
	if err != nil {
		return nil, fmt.Errorf("load approvals of run #%d: %w", r.Number, err)
	}
	for _, v := range vs {
		rep.Approvals = append(rep.Approvals, compliance.Approval{Env: v.Env, Approver: v.Approver, Verdict: v.Verdict, Comment: v.Comment, At: v.CreatedAt})
	}
	mine, err := st.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "run/" + r.ID})
	if err != nil {
		return nil, fmt.Errorf("load audit records of run #%d: %w", r.Number, err)
	}
	for _, a := range mine {
		rep.Audit.Entries = append(rep.Audit.Entries, compliance.AuditEntry{Seq: a.Seq, Time: a.Time, Actor: a.Actor,
			Action: a.Action, Subject: a.Subject, Detail: AuditDetail(a.Data), Hash: a.Hash})
	}
	if len(mine) == 0 {
		rep.Audit.VerifyError = "the run has no audit records"
		return rep, nil
	}
	checked, _, err := store.VerifyTrail(ctx, st.Audit(), mine[len(mine)-1].Seq)
	rep.Audit.Checked = checked
	var ce *store.AuditChainError
	switch {
	case errors.As(err, &ce):
		rep.Audit.VerifyError = err.Error()
	case err != nil:
		return nil, err
	default:
		rep.Audit.Verified = true
	}
	return rep, nil
}

// AuditDetail writes an audit record's data as sorted key=value pairs,
// leaving out empty values.
func AuditDetail(data map[string]string) string {
	keys := make([]string, 0, len(data))
	for k, v := range data {
		if v != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + data[k]
	}
	return strings.Join(parts, " ")
}
