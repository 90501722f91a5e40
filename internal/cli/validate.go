package cli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/sluice-ci/sluice/internal/diag"
	"github.com/sluice-ci/sluice/internal/pipeline/lint"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/spf13/cobra"
)

func newValidateCmd(g *globals) *cobra.Command {
	var file, format string
	cmd := &cobra.Command{
		Use:   "validate [-f FILE] [--format text|json]",
		Short: "Check the pipeline file and report every problem at once",
		Long: `Check sluice.yaml (or -f FILE) without running anything.

Every problem is reported, not just the first, each as
file:line:col: severity: field.path: what is wrong (hint: how to fix it)
— unknown keys (with "did you mean"), wrong types, unknown or cyclic needs,
duplicate ids, bad durations, invalid expressions and cron schedules.

Exit status: 0 the file is valid (warnings may be printed), 2 it has errors.`,
		Example: `  sluice validate
  sluice validate -f ci/sluice.yaml
  sluice validate --format json | jq '.diagnostics[] | select(.severity == "error")'`,
		Args: argsBetween(0, 0, "no arguments (use -f FILE)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErr("--format %q: want text or json", format)
			}
			path, err := findPipelineFile(file)
			if err != nil {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return usageErr("read %s: %v", path, err)
			}
			p, diags := spec.Parse(path, src)
			if p != nil {
				diags = append(diags, lint.Check(p)...)
			}
			diags = dedupe(diags)
			diags.Sort()
			nerr := len(diags.Errors())
			if format == "json" {
				out := struct {
					File        string           `json:"file"`
					Valid       bool             `json:"valid"`
					Errors      int              `json:"errors"`
					Warnings    int              `json:"warnings"`
					Diagnostics diag.Diagnostics `json:"diagnostics"`
				}{path, nerr == 0, nerr, len(diags) - nerr, diags}
				if out.Diagnostics == nil {
					out.Diagnostics = diag.Diagnostics{}
				}
				enc := json.NewEncoder(g.s.out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				for _, d := range diags {
					fmt.Fprintln(g.s.out, d.String())
				}
				switch {
				case nerr > 0:
					fmt.Fprintf(g.s.err, "%s: %d %s, %d %s\n", path, nerr, plural(nerr, "error"), len(diags)-nerr, plural(len(diags)-nerr, "warning"))
				default:
					fmt.Fprintf(g.s.out, "%s is valid (%d %s, %d %s", path, len(p.Jobs), plural(len(p.Jobs), "job"),
						len(p.Environments), plural(len(p.Environments), "environment"))
					if w := len(diags); w > 0 {
						fmt.Fprintf(g.s.out, ", %d %s", w, plural(w, "warning"))
					}
					fmt.Fprintln(g.s.out, ")")
				}
			}
			if nerr > 0 {
				return &exitError{code: ExitUsage, quiet: true}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "pipeline file (default sluice.yaml)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// dedupe drops diagnostics reported twice (by the parser and the linter).
func dedupe(ds diag.Diagnostics) diag.Diagnostics {
	seen := map[string]bool{}
	var out diag.Diagnostics
	for _, d := range ds {
		k := d.String()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}

func newSchemaCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of sluice.yaml, for editors",
		Long: `Print the JSON Schema (draft 2020-12) of the pipeline file.

Editors use it to complete and check sluice.yaml as you type. With the YAML
language server (VS Code, Neovim, …) put this first line in the file:

  # yaml-language-server: $schema=./sluice.schema.json`,
		Example: `  sluice schema > sluice.schema.json`,
		Args:    argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := g.s.out.Write(spec.Schema())
			return err
		},
	}
}
