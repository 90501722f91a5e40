package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
)

func newShowCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Show a run: its jobs, steps, outputs and artifacts",
		Long: `Show one run (by number, like 12, or by id or a unique id prefix): its
status, every job with its status, duration and — for a skipped or failed
job — the reason, the steps of each job, outputs and artifacts.`,
		Example: `  sluice show 12
  sluice show 7f3a --json`,
		Args:              argsBetween(1, 1, "one RUN (number or id)"),
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
			jobs, err := st.Jobs().ListJobs(ctx, run.ID)
			if err != nil {
				return err
			}
			steps, err := st.Steps().ListSteps(ctx, run.ID, "")
			if err != nil {
				return err
			}
			byJob := map[string][]*store.Step{}
			for _, s := range steps {
				byJob[s.JobID] = append(byJob[s.JobID], s)
			}
			arts := map[string][]*store.Artifact{}
			for _, j := range jobs {
				a, err := st.Artifacts().ListArtifacts(ctx, run.ID, j.ID)
				if err != nil {
					return err
				}
				arts[j.ID] = a
			}
			if asJSON {
				return writeJSON(g, showJSON(run, jobs, byJob, arts))
			}
			out := g.s.out
			fmt.Fprintf(out, "run #%d  %s  %s\n", run.Number, run.ID, run.Status)
			fmt.Fprintf(out, "  pipeline  %s (%s)\n", dash(run.Pipeline), run.File)
			fmt.Fprintf(out, "  event     %s   branch %s   commit %s\n", run.Event, dash(run.Branch), dash(short(run.Commit)))
			if run.Environment != "" {
				fmt.Fprintf(out, "  env       %s\n", run.Environment)
			}
			fmt.Fprintf(out, "  started   %s   duration %s   attempt %d\n", when(run.StartedAt), runDuration(run), run.Attempt)
			if run.Error != "" {
				fmt.Fprintf(out, "  reason    %s\n", run.Error)
			}
			fmt.Fprintln(out)
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "JOB\tSTATUS\tDURATION\tDETAIL")
			for _, j := range jobs {
				detail := j.Reason
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", j.ID, j.Status, span(j.StartedAt, j.FinishedAt, j.Status), detail)
				for _, s := range byJob[j.ID] {
					d := s.Reason
					if s.Attempts > 1 {
						d = fmt.Sprintf("%d attempts; %s", s.Attempts, d)
					}
					fmt.Fprintf(tw, "  %d. %s\t%s\t%s\t%s\n", s.Index+1, s.Name, s.Status, span(s.StartedAt, s.FinishedAt, s.Status), d)
				}
				for _, k := range sortedKeys(j.Outputs) {
					fmt.Fprintf(tw, "  output %s\t%s\t\t\n", k, j.Outputs[k])
				}
				for _, a := range arts[j.ID] {
					fmt.Fprintf(tw, "  artifact %s\t%d bytes\tsha256:%s\t\n", a.Path, a.Size, short(a.SHA256))
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// span is a job's or step's duration, or "-" when it has not started.
func span(start, end time.Time, status store.Status) string {
	if start.IsZero() || status == store.StatusPending || status == store.StatusSkipped {
		return "-"
	}
	if end.IsZero() {
		end = time.Now()
	}
	return fmtDuration(end.Sub(start))
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// findRun looks a run up by number, id or unique id prefix.
func findRun(ctx context.Context, st store.Store, ref string) (*store.Run, error) {
	run, err := st.Runs().GetRun(ctx, strings.TrimPrefix(ref, "#"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, usageErr("no run %s (see 'sluice runs')", ref)
	}
	if err != nil {
		return nil, usageErr("run %s: %v", ref, err)
	}
	return run, nil
}

type stepJSON struct {
	Index      int          `json:"index"`
	Name       string       `json:"name"`
	Status     store.Status `json:"status"`
	Reason     string       `json:"reason,omitempty"`
	ExitCode   int          `json:"exit_code"`
	Attempts   int          `json:"attempts"`
	StartedAt  *time.Time   `json:"started_at,omitempty"`
	FinishedAt *time.Time   `json:"finished_at,omitempty"`
}

type artifactJSON struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

type jobJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Needs      []string          `json:"needs,omitempty"`
	Matrix     map[string]string `json:"matrix,omitempty"`
	Status     store.Status      `json:"status"`
	Reason     string            `json:"reason,omitempty"`
	ExitCode   int               `json:"exit_code"`
	Attempt    int               `json:"attempt"`
	Outputs    map[string]string `json:"outputs,omitempty"`
	StartedAt  *time.Time        `json:"started_at,omitempty"`
	FinishedAt *time.Time        `json:"finished_at,omitempty"`
	Steps      []stepJSON        `json:"steps"`
	Artifacts  []artifactJSON    `json:"artifacts,omitempty"`
}

func showJSON(run *store.Run, jobs []*store.Job, steps map[string][]*store.Step, arts map[string][]*store.Artifact) any {
	out := struct {
		runJSON
		Jobs []jobJSON `json:"jobs"`
	}{runJSON: toRunJSON(run), Jobs: []jobJSON{}}
	for _, j := range jobs {
		jj := jobJSON{ID: j.ID, Name: j.Name, Needs: j.Needs, Matrix: j.Matrix, Status: j.Status, Reason: j.Reason,
			ExitCode: j.ExitCode, Attempt: j.Attempt, Outputs: j.Outputs, StartedAt: timePtr(j.StartedAt),
			FinishedAt: timePtr(j.FinishedAt), Steps: []stepJSON{}}
		for _, s := range steps[j.ID] {
			jj.Steps = append(jj.Steps, stepJSON{Index: s.Index, Name: s.Name, Status: s.Status, Reason: s.Reason,
				ExitCode: s.ExitCode, Attempts: s.Attempts, StartedAt: timePtr(s.StartedAt), FinishedAt: timePtr(s.FinishedAt)})
		}
		for _, a := range arts[j.ID] {
			jj.Artifacts = append(jj.Artifacts, artifactJSON{Path: a.Path, Size: a.Size, SHA256: a.SHA256})
		}
		out.Jobs = append(out.Jobs, jj)
	}
	return out
}
