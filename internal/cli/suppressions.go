package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
)

// suppressionFlags are the flags of sluice suppressions add.
type suppressionFlags struct {
	project, rule, path, advisory, pkg, reason, owner, expires string
}

func newSuppressionsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "suppressions",
		Short: "Accept the risk of findings in the store: list, add and revoke suppressions",
		Long: `Suppressions kept in the store, beside those of .sluice/ignore.yaml: each
accepts the risk of the findings it selects in one project (by fingerprint,
by --rule and --path, or by --advisory and --package), with a reason, an
owner and an expiry at most 365 days ahead. Every gate decision on a run of
the project applies the standing ones — the next admission of a job, and
sluice gate --run judging a run again. An expired suppression stops
suppressing and the gate says so; a revoked one is kept, marked. Adding and
revoking are audit records.

These commands work on the data folder (or --database) directly, as its
owner; the runs of a workspace belong to project "" (the default of
--project). A control plane's projects are suppressed the same way through
its API or the web UI's Findings page, by a key with findings:suppress.`,
		Example: `  sluice suppressions add 7d99070e79d68167bd8a03ab5fb5f682 --reason "only in the load test" --owner platform --expires 2027-01-31
  sluice suppressions list --all
  sluice suppressions revoke 3`,
	}
	var f suppressionFlags
	add := &cobra.Command{
		Use:   "add [FINGERPRINT] --reason TEXT --owner NAME --expires DATE",
		Short: "Suppress the findings a fingerprint (or rule and path, or advisory and package) selects",
		Example: `  sluice suppressions add 7d99070e79d68167bd8a03ab5fb5f682 --reason "only used by the load test" \
    --owner platform-team --expires 2027-01-31
  sluice suppressions add --rule G304 --path 'cmd/smoke/**' --reason "reads a path we pass it" --owner alice --expires 2026-12-31
  sluice suppressions add --advisory CVE-2023-32681 --package requests --reason "no proxies" --owner bob --expires 2026-12-31
  sluice suppressions add 3f2a9c0e --project goodbooks --reason "fixed upstream next week" --owner bo --expires 2026-12-01`,
		Args: argsBetween(0, 1, "at most one fingerprint"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			x := &store.Suppression{Project: f.project, Rule: f.rule, Path: f.path, Advisory: f.advisory, Package: f.pkg,
				Reason: strings.TrimSpace(f.reason), Owner: strings.TrimSpace(f.owner), CreatedBy: currentUser(), CreatedAt: time.Now()}
			if len(args) == 1 {
				x.Fingerprint = args[0]
			}
			if f.expires == "" {
				return usageErr("--expires is required: a date like %s, at most %d days ahead",
					time.Now().AddDate(0, 3, 0).Format(time.DateOnly), int(gatekeeper.MaxSuppressionAge.Hours()/24))
			}
			exp, err := gatekeeper.ParseExpiry(f.expires)
			if err != nil {
				return usageErr("--%v", err)
			}
			x.Expires = exp
			if err := gatekeeper.CheckSuppression(x, x.CreatedAt); err != nil {
				return usageErr("%v", err)
			}
			st, err := g.existingStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if x.Fingerprint != "" {
				seen, err := gatekeeper.FingerprintSeen(ctx, st, x.Project, x.Fingerprint)
				if err != nil {
					return err
				}
				if !seen {
					return usageErr("no run of %s reported a finding with fingerprint %s (see the findings of a run: sluice gate --format json, or the web UI)",
						projectText(x.Project), x.Fingerprint)
				}
			}
			if err := st.Suppressions().CreateSuppression(ctx, x, gatekeeper.SuppressionRecord(x, x.CreatedBy, "suppression.create", x.CreatedAt)); err != nil {
				return err
			}
			fmt.Fprintf(g.s.out, "stored suppression %d of %s: %s, owner %s, until %s\n", x.ID, projectText(x.Project), selects(x), x.Owner,
				x.Expires.Local().Format("2006-01-02 15:04"))
			return nil
		},
	}
	fl := add.Flags()
	fl.StringVar(&f.project, "project", "", "project whose findings to suppress (default: the workspace's own runs)")
	fl.StringVar(&f.rule, "rule", "", "rule id the suppression selects (with --path)")
	fl.StringVar(&f.path, "path", "", "path glob the suppression selects (* within a folder, ** across; with --rule)")
	fl.StringVar(&f.advisory, "advisory", "", "advisory id or alias the suppression selects (with --package)")
	fl.StringVar(&f.pkg, "package", "", "package the suppression selects (with --advisory)")
	fl.StringVar(&f.reason, "reason", "", "why the risk is acceptable (required)")
	fl.StringVar(&f.owner, "owner", "", "who answers for the suppression (required)")
	fl.StringVar(&f.expires, "expires", "", "when it stops suppressing: YYYY-MM-DD (end of day, UTC) or RFC 3339, at most 365 days ahead (required)")

	var listProject string
	var all bool
	list := &cobra.Command{
		Use:     "list [--project P] [--all]",
		Short:   "List a project's standing suppressions (--all: the revoked ones too)",
		Example: "  sluice suppressions list\n  sluice suppressions list --project goodbooks --all",
		Args:    argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			xs, err := st.Suppressions().ListSuppressions(cmd.Context(), listProject)
			if err != nil {
				return err
			}
			now := time.Now()
			tw := tabwriter.NewWriter(g.s.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tSELECTS\tOWNER\tEXPIRES\tBY\tREASON")
			n := 0
			for _, x := range xs {
				state := "active"
				switch {
				case !x.RevokedAt.IsZero():
					state = "revoked by " + x.RevokedBy
					if !all {
						continue
					}
				case !x.Active(now):
					state = "expired"
				}
				n++
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, state, selects(x), x.Owner, x.Expires.Local().Format("2006-01-02"),
					dash(x.CreatedBy), truncate(x.Reason, 60))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintf(g.s.out, "no suppressions stored for %s\n", projectText(listProject))
			}
			return nil
		},
	}
	list.Flags().StringVar(&listProject, "project", "", "project whose suppressions to list (default: the workspace's own runs)")
	list.Flags().BoolVar(&all, "all", false, "list revoked suppressions too")

	revoke := &cobra.Command{
		Use:     "revoke ID",
		Short:   "Revoke a stored suppression: the next gate decision no longer applies it",
		Example: "  sluice suppressions revoke 3",
		Args:    argsBetween(1, 1, "one suppression id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id < 1 {
				return usageErr("suppression id %q: a number (sluice suppressions list shows them)", args[0])
			}
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			x, err := st.Suppressions().GetSuppression(cmd.Context(), id)
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return &exitError{code: ExitFailed, err: fmt.Errorf("no suppression %d", id)}
				}
				return err
			}
			now, actor := time.Now(), currentUser()
			err = st.Suppressions().RevokeSuppression(cmd.Context(), id, actor, now, gatekeeper.SuppressionRecord(x, actor, "suppression.revoke", now))
			if errors.Is(err, store.ErrNotFound) {
				return &exitError{code: ExitFailed, err: fmt.Errorf("suppression %d was revoked already, by %s", id, x.RevokedBy)}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.s.out, "revoked suppression %d of %s (%s)\n", id, projectText(x.Project), selects(x))
			return nil
		},
	}
	cmd.AddCommand(list, add, revoke)
	return cmd
}

// selects says what a suppression selects.
func selects(x *store.Suppression) string {
	var parts []string
	for _, p := range [][2]string{{"fingerprint", x.Fingerprint}, {"rule", x.Rule}, {"path", x.Path}, {"advisory", x.Advisory}, {"package", x.Package}} {
		if p[1] != "" {
			parts = append(parts, p[0]+" "+p[1])
		}
	}
	return strings.Join(parts, ", ")
}

// projectText names a project for messages; "" is the workspace's runs.
func projectText(p string) string {
	if p == "" {
		return "this workspace's runs"
	}
	return "project " + p
}
