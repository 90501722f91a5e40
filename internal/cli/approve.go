package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
)

func newVerdictCmd(g *globals, verdict string) *cobra.Command {
	var env, comment string
	short := map[string]string{
		gatekeeper.Approve: "Approve a run's release to an environment",
		gatekeeper.Reject:  "Reject a run's release to an environment",
	}[verdict]
	cmd := &cobra.Command{
		Use:   verdict + " RUN --env NAME [--comment TEXT]",
		Short: short,
		Long: short + `. A job bound to an environment with approval: waits
until enough people approve (min), none rejects, and before its timeout;
with not_author: true, whoever started the run may not approve it (the
four-eyes rule). Every verdict, and every refused one, is in the audit trail.

On the command line your identity is SLUICE_ACTOR, else your user name; as
the data folder's owner you act in every role. Through the API, your key's
role and environment scope decide.`,
		Example: "  sluice " + verdict + " 12 --env production --comment \"checked the canary plan\"",
		Args:    argsBetween(1, 1, "one run (number or id)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if env == "" {
				return usageErr("--env is required")
			}
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			run, err := st.Runs().GetRun(cmd.Context(), args[0])
			if err != nil {
				return usageErr("run %s: %v", args[0], err)
			}
			who := currentUser()
			err = gatekeeper.Decide(cmd.Context(), st, run, env, who, "local", verdict, comment, time.Now())
			switch {
			case errors.Is(err, gatekeeper.ErrSelfApprove), errors.Is(err, gatekeeper.ErrNotAllowed), errors.Is(err, store.ErrConflict):
				return &exitError{code: ExitFailed, err: err}
			case errors.Is(err, gatekeeper.ErrNoRequest):
				return usageErr("%v", err)
			case err != nil:
				return err
			}
			fmt.Fprintf(g.s.out, "%s: %s run #%d's release to %s\n", who, map[string]string{"approve": "approved", "reject": "rejected"}[verdict], run.Number, env)
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "environment the release waits to enter")
	cmd.Flags().StringVar(&comment, "comment", "", "why (kept with the verdict)")
	cmd.ValidArgsFunction = completeRuns(g)
	return cmd
}

func newApprovalsCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:     "approvals [--all]",
		Short:   "List releases waiting for approval",
		Example: "  sluice approvals\n  sluice approvals --all",
		Args:    argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			state := store.ApprovalPending
			if all {
				state = ""
			}
			reqs, err := st.Approvals().ListApprovalRequests(cmd.Context(), state)
			if err != nil {
				return err
			}
			if len(reqs) == 0 {
				fmt.Fprintln(g.s.out, "nothing waits for approval")
				return nil
			}
			tw := tabwriter.NewWriter(g.s.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tENV\tSTATE\tNEEDS\tAPPROVED BY\tAUTHOR\tUNTIL")
			for _, r := range reqs {
				run, err := st.Runs().GetRun(cmd.Context(), r.RunID)
				if err != nil {
					continue
				}
				vs, _ := st.Approvals().ListApprovals(cmd.Context(), r.RunID, r.Env)
				by := ""
				for _, v := range vs {
					if by != "" {
						by += ", "
					}
					by += v.Approver + " (" + v.Verdict + ")"
				}
				fmt.Fprintf(tw, "#%d\t%s\t%s\t%d\t%s\t%s\t%s\n", run.Number, r.Env, r.State, r.Min, by, r.Author, r.Deadline.Local().Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also decided and expired requests")
	return cmd
}
