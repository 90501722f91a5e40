package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/report/scanreport"
	"github.com/sluice-ci/sluice/internal/scan"
	"github.com/sluice-ci/sluice/internal/scan/external"
	"github.com/spf13/cobra"
)

func newGateCmd(g *globals) *cobra.Command {
	var (
		file, env, format, baseline, ignore string
		inputs                              []string
	)
	cmd := &cobra.Command{
		Use:   "gate --env NAME [--findings FILE ...]",
		Short: "Decide pass, warn or block for an environment from scan findings",
		Long: `Judge findings against an environment's gates: policy in sluice.yaml and
print a decision a person can act on: each blocking finding with its
location, the threshold it breaks and how to fix or suppress it; required
scanners that are missing or unhealthy; what was suppressed, by whom and why.

Findings come from --findings (sluice's JSON scan reports, SARIF, or another
tool's report) or, by default, from the scan reports of the newest run in the
store. Suppressions come from .sluice/ignore.yaml next to the pipeline file.
With --baseline (a report of the findings already accepted) and new_only:
true, only new findings block.

Exit status: 0 pass or warn, 1 block, 2 usage or configuration error. A gate
never passes because its input could not be read.`,
		Example: `  sluice gate --env production
  sluice scan --json scan.json && sluice gate --env staging --findings scan.json
  sluice gate --env production --findings scan.json --baseline last-release.json --format json`,
		Args: argsBetween(0, 0, "no arguments (use --env and --findings)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if env == "" {
				return usageErr("--env is required")
			}
			if format != "text" && format != "json" {
				return usageErr("--format %q: want text or json", format)
			}
			path, err := findPipelineFile(file)
			if err != nil {
				return err
			}
			p, _, err := loadPipeline(g, path)
			if err != nil {
				return err
			}
			e := p.Environment(env)
			if e == nil {
				var names []string
				for _, x := range p.Environments {
					names = append(names, x.Name)
				}
				return usageErr("--env %q: no such environment in %s (have: %s)", env, path, strings.Join(names, ", "))
			}
			if len(inputs) == 0 {
				inputs, err = latestReports(g.dataDir(path))
				if err != nil {
					return err
				}
			}
			var in gate.Input
			in.Env, in.Policy, in.Now = env, e.Gates, time.Now()
			for _, f := range inputs {
				fs, hs, err := readFindings(f)
				if err != nil {
					return &exitError{code: ExitFailed, err: fmt.Errorf("gate cannot read its evidence %s: %w", f, err)}
				}
				in.Findings = append(in.Findings, fs...)
				in.Health = append(in.Health, hs...)
			}
			if baseline != "" {
				fs, _, err := readFindings(baseline)
				if err != nil {
					return &exitError{code: ExitFailed, err: fmt.Errorf("read baseline %s: %w", baseline, err)}
				}
				for _, f := range fs {
					in.Baseline = append(in.Baseline, f.Fingerprint)
				}
			}
			if ignore == "" {
				ignore = filepath.Join(filepath.Dir(path), ".sluice", "ignore.yaml")
			}
			sups, diags := gate.LoadSuppressions(ignore)
			for _, d := range diags {
				fmt.Fprintln(g.s.err, d.String())
			}
			if diags.HasErrors() {
				return &exitError{code: ExitUsage, err: fmt.Errorf("%s has errors", ignore)}
			}
			in.Suppressions = sups
			d := gate.Evaluate(in)
			if format == "json" {
				if err := writeJSON(g, d); err != nil {
					return err
				}
			} else {
				printDecision(g, d)
			}
			if d.Outcome == gate.Block {
				return failed()
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "pipeline file (default sluice.yaml)")
	cmd.Flags().StringVar(&env, "env", "", "environment whose gates: policy to apply")
	cmd.Flags().StringArrayVar(&inputs, "findings", nil, "a findings report: sluice's JSON, SARIF or another tool's (repeatable)")
	cmd.Flags().StringVar(&baseline, "baseline", "", "a report of the findings already accepted (for new_only)")
	cmd.Flags().StringVar(&ignore, "ignore", "", "suppressions file (default .sluice/ignore.yaml next to the pipeline)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs(&file))
	return cmd
}

// latestReports lists the JSON scan reports of the newest run with any.
func latestReports(data string) ([]string, error) {
	dirs, _ := filepath.Glob(engine.ReportDir(data, "*"))
	type dated struct {
		dir string
		mod time.Time
	}
	var ds []dated
	for _, d := range dirs {
		if info, err := os.Stat(d); err == nil && info.IsDir() {
			ds = append(ds, dated{d, info.ModTime()})
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].mod.After(ds[j].mod) })
	for _, d := range ds {
		files, _ := filepath.Glob(filepath.Join(d.dir, "*.json"))
		if len(files) > 0 {
			sort.Strings(files)
			return files, nil
		}
	}
	return nil, usageErr("no scan reports in %s: run a pipeline with a scan: job, or give --findings", engine.ReportDir(data, ""))
}

// readFindings reads sluice's JSON scan report (findings and scanner
// health) or any report external.ImportFile understands.
func readFindings(file string) ([]findings.Finding, []scan.Health, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	var doc scanreport.Document
	if json.Unmarshal(data, &doc) == nil && doc.Version > 0 && doc.Findings != nil {
		return doc.Findings, doc.Scanners, nil
	}
	_, fs, err := external.ImportFile(file, filepath.Dir(file))
	if err != nil {
		return nil, nil, err
	}
	for i := range fs {
		findings.Classify(&fs[i])
		if fs[i].Fingerprint == "" {
			fs[i].Fingerprint = findings.Fingerprint(&fs[i])
		}
	}
	return fs, nil, nil
}

func printDecision(g *globals, d gate.Decision) {
	out := g.s.out
	fmt.Fprintf(out, "gate %s: %s\n", d.Env, strings.ToUpper(string(d.Outcome)))
	for _, r := range d.Reasons {
		fmt.Fprintf(out, "  - [%s] %s\n", r.Kind, r.Message)
	}
	if len(d.Blocking) > 0 {
		verb := "blocking"
		if d.Outcome == gate.Warn {
			verb = "would block (warn mode)"
		}
		fmt.Fprintf(out, "\n%s:\n", verb)
		for _, j := range d.Blocking {
			fmt.Fprintf(out, "  %-8s %s  %s — %s\n", j.Finding.Severity, j.Finding.RuleID, j.Finding.Location.String(), j.Why)
		}
	}
	if len(d.Suppressed) > 0 {
		fmt.Fprintln(out, "\nsuppressed:")
		for _, j := range d.Suppressed {
			by := ""
			if j.By != nil {
				by = fmt.Sprintf(" (by %s: %s)", j.By.Owner, j.By.Reason)
			}
			fmt.Fprintf(out, "  %s  %s%s\n", j.Finding.RuleID, j.Finding.Location.String(), by)
		}
	}
	if len(d.PreExisting) > 0 {
		fmt.Fprintf(out, "\n%d pre-existing %s (in the baseline) not judged\n", len(d.PreExisting), plural(len(d.PreExisting), "finding"))
	}
	for _, s := range d.Expired {
		fmt.Fprintf(out, "expired suppression %s (owner %s, expired %s) no longer applies\n", s.Source, s.Owner, s.Expires.Format("2006-01-02"))
	}
	for _, s := range d.Stale {
		fmt.Fprintf(out, "stale suppression %s (owner %s) matched nothing\n", s.Source, s.Owner)
	}
}
