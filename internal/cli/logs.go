package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
)

func newLogsCmd(g *globals) *cobra.Command {
	var (
		follow     bool
		timestamps bool
		step       int
	)
	cmd := &cobra.Command{
		Use:   "logs RUN [JOB]",
		Short: "Print the logs of a run, or of one of its jobs",
		Long: `Print the stored log lines of a run (every job, in order) or of one job.
Secrets were masked before the lines were stored. With --follow, keep
printing new lines until the run ends.`,
		Example: `  sluice logs 12
  sluice logs 12 build
  sluice logs 12 'test[go=1.23]' --step 2 --timestamps
  sluice logs 13 --follow`,
		Args:              argsBetween(1, 2, "RUN and optionally a JOB"),
		ValidArgsFunction: completeRuns(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := g.existingStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			run, err := findRun(ctx, st, args[0])
			if err != nil {
				return err
			}
			jobID := ""
			if len(args) == 2 {
				jobID = args[1]
				if _, err := st.Jobs().GetJob(ctx, run.ID, jobID); err != nil {
					jobs, _ := st.Jobs().ListJobs(ctx, run.ID)
					var ids []string
					for _, j := range jobs {
						ids = append(ids, j.ID)
					}
					return usageErr("run #%d has no job %q (jobs: %v)", run.Number, jobID, ids)
				}
			}
			return printLogs(ctx, g, st, run, jobID, step, follow, timestamps)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "F", false, "keep printing new lines until the run ends")
	cmd.Flags().BoolVarP(&timestamps, "timestamps", "t", false, "prefix each line with its time")
	cmd.Flags().IntVar(&step, "step", 0, "only this step (1-based) of the job")
	return cmd
}

func printLogs(ctx context.Context, g *globals, st store.Store, run *store.Run, jobID string, step int, follow, timestamps bool) error {
	after := map[string]int64{} // job -> last seq printed
	for {
		// Read the job list each round: with --follow, a resumed run may
		// add lines to any job.
		var jobs []string
		width := 0
		if jobID != "" {
			jobs = []string{jobID}
		} else {
			all, err := st.Jobs().ListJobs(ctx, run.ID)
			if err != nil {
				return err
			}
			for _, j := range all {
				jobs = append(jobs, j.ID)
				width = max(width, len(j.ID))
			}
		}
		printed := 0
		for _, id := range jobs {
			lines, err := st.Logs().ReadLogs(ctx, store.LogQuery{RunID: run.ID, JobID: id, AfterSeq: after[id]})
			if err != nil {
				return err
			}
			for _, l := range lines {
				after[id] = l.Seq
				if step > 0 && l.Step != step-1 {
					continue
				}
				printed++
				prefix := ""
				if timestamps {
					prefix = l.Time.Local().Format("15:04:05.000 ")
				}
				if jobID == "" {
					prefix += fmt.Sprintf("%-*s | ", width, l.JobID)
				}
				marker := ""
				if l.Stream == store.System {
					marker = "sluice: "
				}
				fmt.Fprintf(g.s.out, "%s%s%s\n", prefix, marker, l.Text)
			}
		}
		if !follow {
			return nil
		}
		cur, err := st.Runs().GetRun(ctx, run.ID)
		if err != nil {
			return err
		}
		if cur.Status.Final() && printed == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(250 * time.Millisecond):
		}
	}
}
