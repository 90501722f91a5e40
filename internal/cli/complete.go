package cli

import (
	"fmt"
	"os"

	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
)

// completeJobs completes job ids from the pipeline file.
func completeJobs(file *string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		p := completionPipeline(*file)
		if p == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, j := range p.Jobs {
			out = append(out, j.ID)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeEnvs completes environment names from the pipeline file.
func completeEnvs(file *string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		p := completionPipeline(*file)
		if p == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, e := range p.Environments {
			out = append(out, e.Name)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func completionPipeline(file string) *spec.Pipeline {
	path, err := findPipelineFile(file)
	if err != nil {
		return nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	p, _ := spec.Parse(path, src)
	return p
}

// completeRuns completes run numbers (first argument) and job ids (second).
func completeRuns(g *globals) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 1 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		st, err := g.existingStore(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer st.Close()
		var out []string
		if len(args) == 0 {
			runs, err := st.Runs().ListRuns(cmd.Context(), store.RunFilter{Limit: 30})
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			for _, r := range runs {
				out = append(out, fmt.Sprintf("%d\t%s %s", r.Number, r.Status, r.Pipeline))
			}
			return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
		}
		run, err := st.Runs().GetRun(cmd.Context(), args[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		jobs, err := st.Jobs().ListJobs(cmd.Context(), run.ID)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		for _, j := range jobs {
			out = append(out, j.ID+"\t"+string(j.Status))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
