package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/report/compliance"
	"github.com/sluice-ci/sluice/internal/report/runreport"
	"github.com/sluice-ci/sluice/internal/store"
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
	return runreport.Build(ctx, st, r, time.Now())
}
