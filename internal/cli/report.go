package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/report/compliance"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/version"
	"github.com/spf13/cobra"
)

func newReportCmd(g *globals) *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "report [RUN] [--format html|json|md] [-o FILE]",
		Short: "Write the compliance report of a run",
		Long: `Write the compliance report of a run (default: the newest): the run and its
jobs; the gate decision for each environment with its reasons and the
digests of the evidence it judged; the OWASP Top 10 matrix (2021 and 2025
editions) showing, per category, which scanners tested it and what they
found; every finding with its status (open, suppressed by whom, ignored
inline); the scanners and their health; approvals; the run's audit records
with the hash chain's verification; and a GDPR-oriented checklist of what
sluice can attest, with the evidence for each item.

HTML is one self-contained file (no external resources), readable and
printable; JSON carries the same content for other tools; Markdown suits a
pull request or a wiki page.

Exit status: 0 written, 1 the audit chain does not verify (the report is
written anyway and says where it breaks), 2 usage error.`,
		Example: `  sluice report -o report.html
  sluice report 12 --format json -o report.json
  sluice report --format md`,
		Args:              argsBetween(0, 1, "at most one run (number or id)"),
		ValidArgsFunction: completeRuns(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format == "" {
				format = "html"
				if ext := strings.TrimPrefix(filepath.Ext(output), "."); ext == "json" || ext == "md" {
					format = ext
				}
			}
			switch format {
			case "html", "json", "md":
			default:
				return usageErr("--format %q: want html, json or md", format)
			}
			ctx := cmd.Context()
			st, err := g.existingStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			ref := ""
			if len(args) == 1 {
				ref = args[0]
			}
			rep, err := buildReport(ctx, st, ref)
			if err != nil {
				return err
			}
			w := g.s.out
			var f *os.File
			if output != "" && output != "-" {
				if f, err = os.Create(output); err != nil {
					return usageErr("-o %s: %v", output, err)
				}
				w = f
			}
			switch format {
			case "json":
				err = compliance.WriteJSON(w, rep)
			case "md":
				err = compliance.WriteMarkdown(w, rep)
			default:
				err = compliance.WriteHTML(w, rep)
			}
			if f != nil {
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			if f != nil {
				fmt.Fprintf(g.s.err, "wrote the compliance report of run #%d to %s\n", rep.Run.Number, output)
			}
			if !rep.Audit.Verified {
				fmt.Fprintf(g.s.err, "sluice: the audit trail does not verify: %s\n", rep.Audit.VerifyError)
				return failed()
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "html, json or md (default html, or the -o file's extension)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of stdout")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"html", "json", "md"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// buildReport gathers the compliance report of run ref (newest when
// empty) from the store.
func buildReport(ctx context.Context, st store.Store, ref string) (*compliance.Report, error) {
	var r *store.Run
	if ref == "" {
		runs, err := st.Runs().ListRuns(ctx, store.RunFilter{Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(runs) == 0 {
			return nil, usageErr("no runs yet")
		}
		r = runs[0]
	} else {
		var err error
		if r, err = st.Runs().GetRun(ctx, ref); err != nil {
			return nil, usageErr("run %s: %v", ref, err)
		}
	}
	rep := &compliance.Report{
		Tool:        "sluice " + version.Get().Version,
		GeneratedAt: time.Now().UTC().Truncate(time.Second),
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
		return nil, err
	}
	for _, j := range jobs {
		rep.Run.Jobs = append(rep.Run.Jobs, compliance.Job{ID: j.ID, Status: string(j.Status), Reason: j.Reason})
	}
	ev, err := gatekeeper.RunEvidence(ctx, st, r.ID, nil)
	if err != nil {
		return nil, err
	}
	rep.Findings, rep.Scanners = ev.Findings, ev.Health
	ds, err := st.Decisions().ListDecisions(ctx, r.ID)
	if err != nil {
		return nil, err
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
		return nil, err
	}
	for _, v := range vs {
		rep.Approvals = append(rep.Approvals, compliance.Approval{Env: v.Env, Approver: v.Approver, Verdict: v.Verdict, Comment: v.Comment, At: v.CreatedAt})
	}
	if err := auditOf(ctx, st, r, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// auditOf fills the run's audit records and verifies the chain from the
// first record up to the run's last one.
func auditOf(ctx context.Context, st store.Store, r *store.Run, rep *compliance.Report) error {
	mine, err := st.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "run/" + r.ID})
	if err != nil {
		return err
	}
	for _, a := range mine {
		rep.Audit.Entries = append(rep.Audit.Entries, compliance.AuditEntry{Seq: a.Seq, Time: a.Time, Actor: a.Actor,
			Action: a.Action, Subject: a.Subject, Detail: auditDetail(a.Data), Hash: a.Hash})
	}
	if len(mine) == 0 {
		rep.Audit.VerifyError = "the run has no audit records"
		return nil
	}
	checked, _, err := verifyAudit(ctx, st, mine[len(mine)-1].Seq)
	rep.Audit.Checked = checked
	var ce *store.AuditChainError
	switch {
	case errors.As(err, &ce):
		rep.Audit.VerifyError = err.Error()
	case err != nil:
		return err
	default:
		rep.Audit.Verified = true
	}
	return nil
}

func auditDetail(data map[string]string) string {
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
