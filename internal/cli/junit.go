package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/sluice-ci/sluice/internal/report/junit"
	"github.com/sluice-ci/sluice/internal/store"
)

// junitTail is how many log lines of a failed step go into its <failure>.
const junitTail = 50

// writeJUnit writes the JUnit XML report of a finished run to path.
func writeJUnit(ctx context.Context, st store.Store, run *store.Run, path string) error {
	jobs, err := st.Jobs().ListJobs(ctx, run.ID)
	if err != nil {
		return err
	}
	steps, err := st.Steps().ListSteps(ctx, run.ID, "")
	if err != nil {
		return err
	}
	var readErr error
	logs := func(jobID string, step int) []string {
		lines, err := st.Logs().ReadLogs(ctx, store.LogQuery{RunID: run.ID, JobID: jobID})
		if err != nil {
			readErr = err
			return nil
		}
		var out []string
		for _, l := range lines {
			if l.Step == step {
				out = append(out, l.Text)
			}
		}
		if len(out) > junitTail {
			out = out[len(out)-junitTail:]
		}
		return out
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := junit.Write(f, run, jobs, steps, logs); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if readErr != nil {
		f.Close()
		return fmt.Errorf("read logs: %w", readErr)
	}
	return f.Close()
}
