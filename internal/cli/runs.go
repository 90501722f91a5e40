package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
)

func newRunsCmd(g *globals) *cobra.Command {
	var (
		limit  int
		status []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "runs [--limit N] [--status S] [--json]",
		Short: "List recent runs",
		Long: `List the runs in the store, newest first.

A run that was in progress when sluice stopped (killed, crashed, the machine
went down) shows as interrupted; resume it with 'sluice run --resume RUN'.`,
		Example: `  sluice runs
  sluice runs --status failed --limit 5
  sluice runs --json | jq '.[0].status'`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var sts []store.Status
			for _, s := range status {
				st := store.Status(s)
				if !validStatus(st) {
					return usageErr("--status %q: want pending, running, succeeded, failed, skipped, cancelled or interrupted", s)
				}
				sts = append(sts, st)
			}
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			runs, err := st.Runs().ListRuns(cmd.Context(), store.RunFilter{Status: sts, Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]runJSON, 0, len(runs))
				for _, r := range runs {
					out = append(out, toRunJSON(r))
				}
				return writeJSON(g, out)
			}
			if len(runs) == 0 {
				fmt.Fprintln(g.s.out, "no runs")
				return nil
			}
			tw := tabwriter.NewWriter(g.s.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tID\tSTATUS\tPIPELINE\tBRANCH\tEVENT\tSTARTED\tDURATION")
			for _, r := range runs {
				fmt.Fprintf(tw, "#%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Number, r.ID, r.Status, dash(r.Pipeline), dash(r.Branch), r.Event,
					when(r.StartedAt), runDuration(r))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "show at most N runs (0: all)")
	cmd.Flags().StringSliceVar(&status, "status", nil, "only runs in this status (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func validStatus(s store.Status) bool {
	switch s {
	case store.StatusPending, store.StatusRunning, store.StatusSucceeded, store.StatusFailed,
		store.StatusSkipped, store.StatusCancelled, store.StatusInterrupted:
		return true
	}
	return false
}

// runJSON is the stable JSON shape of a run.
type runJSON struct {
	ID          string            `json:"id"`
	Number      int64             `json:"number"`
	Pipeline    string            `json:"pipeline"`
	File        string            `json:"file"`
	Status      store.Status      `json:"status"`
	Event       string            `json:"event"`
	Branch      string            `json:"branch,omitempty"`
	Commit      string            `json:"commit,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Actor       string            `json:"actor,omitempty"`
	Vars        map[string]string `json:"vars,omitempty"`
	Secrets     []string          `json:"secrets,omitempty"`
	Attempt     int               `json:"attempt"`
	Error       string            `json:"error,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	StartedAt   *time.Time        `json:"started_at,omitempty"`
	FinishedAt  *time.Time        `json:"finished_at,omitempty"`
}

func toRunJSON(r *store.Run) runJSON {
	return runJSON{
		ID: r.ID, Number: r.Number, Pipeline: r.Pipeline, File: r.File, Status: r.Status, Event: r.Event,
		Branch: r.Branch, Commit: r.Commit, Environment: r.Environment, Actor: r.Actor, Vars: r.Vars,
		Secrets: r.SecretNames, Attempt: r.Attempt, Error: r.Error, CreatedAt: r.CreatedAt,
		StartedAt: timePtr(r.StartedAt), FinishedAt: timePtr(r.FinishedAt),
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func writeJSON(g *globals, v any) error {
	enc := json.NewEncoder(g.s.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	lt := t.Local()
	if time.Since(t) < 24*time.Hour {
		return lt.Format("15:04:05")
	}
	return lt.Format("2006-01-02 15:04")
}

func runDuration(r *store.Run) string {
	if r.StartedAt.IsZero() {
		return "-"
	}
	end := r.FinishedAt
	if end.IsZero() {
		if r.Status.Final() {
			return "-"
		}
		end = time.Now()
	}
	return fmtDuration(end.Sub(r.StartedAt))
}

// fmtDuration renders 850ms, 4.2s, 1m03s, 1h02m.
func fmtDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
