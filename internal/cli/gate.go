package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/report/sarif"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/version"
	"github.com/spf13/cobra"
)

type gateFlags struct {
	file, env, format, baseline, ignore, run string
	inputs                                   []string
	failOnStale, simulate                    bool
	last                                     int
}

func newGateCmd(g *globals) *cobra.Command {
	var f gateFlags
	cmd := &cobra.Command{
		Use:   "gate --env NAME [--run N | --findings FILE ...]",
		Short: "Decide pass, warn or block for an environment from a run's evidence",
		Long: `Judge findings against an environment's gates: policy in sluice.yaml and
print a decision a person can act on: each blocking finding with its
location, the threshold or policy it breaks and how to fix or suppress it;
required scanners that are missing or unhealthy; what was suppressed, by
whom and why.

The evidence is, by default, what the newest run stored (the scan reports
of its scan: jobs, its failed jobs and coverage); --run picks another run,
which is how a release already scanned is promoted to a stricter
environment without rescanning. --findings judges report files instead
(sluice's JSON scan reports, SARIF, or another tool's report).

Suppressions come from .sluice/ignore.yaml next to the pipeline file and,
for a stored run, from the store (sluice suppressions, the API, the web UI).
Custom Rego policies come from the environment's gates.policies. With
new_only: true only findings that are not in the baseline block: by default
the findings of the run last admitted to the environment, or --baseline.

A decision on a stored run is recorded with the digests of its inputs and
written to the audit trail. Pipelines do this by themselves before every
job bound to an environment (environment: in the job).

--simulate judges the stored evidence of the last N runs with the policy
as it is now in the pipeline file (edit it, or give -f proposed.yaml) and
shows which runs would have been blocked and by what; nothing is recorded.

Exit status: 0 pass or warn, 1 block (or, with --fail-on-stale, a stale
suppression), 2 usage or configuration error. A gate never passes because
its input could not be read.`,
		Example: `  sluice gate --env production
  sluice gate --env production --run 12 --format md
  sluice scan --json scan.json && sluice gate --env staging --findings scan.json
  sluice gate --env production --findings scan.json --baseline last-release.json --format json
  sluice gate --env production --simulate --last 20 -f proposed.yaml`,
		Args: argsBetween(0, 0, "no arguments (use --env and --run or --findings)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGate(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "pipeline file (default sluice.yaml)")
	fl.StringVar(&f.env, "env", "", "environment whose gates: policy to apply")
	fl.StringVar(&f.run, "run", "", "judge the evidence of this run (number or id; default the newest with evidence)")
	fl.StringArrayVar(&f.inputs, "findings", nil, "judge a findings report instead: sluice's JSON, SARIF or another tool's (repeatable)")
	fl.StringVar(&f.baseline, "baseline", "", "a report of the findings already accepted (for new_only)")
	fl.StringVar(&f.ignore, "ignore", "", "suppressions file (default .sluice/ignore.yaml next to the pipeline)")
	fl.StringVar(&f.format, "format", "text", "output format: text, json, md or sarif")
	fl.BoolVar(&f.failOnStale, "fail-on-stale", false, "exit 1 when a suppression matched no finding")
	fl.BoolVar(&f.simulate, "simulate", false, "backtest: judge the stored evidence of the last runs, record nothing")
	fl.IntVar(&f.last, "last", 10, "with --simulate, how many runs to judge")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs(&f.file))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json", "md", "sarif"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runGate(ctx context.Context, g *globals, f gateFlags) error {
	if f.env == "" {
		return usageErr("--env is required")
	}
	switch f.format {
	case "text", "json", "md", "sarif":
	default:
		return usageErr("--format %q: want text, json, md or sarif", f.format)
	}
	if f.simulate && (len(f.inputs) > 0 || f.run != "") {
		return usageErr("--simulate judges stored runs; it does not take --findings or --run")
	}
	if f.simulate && f.last < 1 {
		return usageErr("--last %d: want 1 or more", f.last)
	}
	if len(f.inputs) > 0 && f.run != "" {
		return usageErr("give --run or --findings, not both")
	}
	path, err := findPipelineFile(f.file)
	if err != nil {
		return err
	}
	p, _, err := loadPipeline(g, path)
	if err != nil {
		return err
	}
	if p.Environment(f.env) == nil {
		var names []string
		for _, x := range p.Environments {
			names = append(names, x.Name)
		}
		return usageErr("--env %q: no such environment in %s (have: %s)", f.env, path, strings.Join(names, ", "))
	}
	k := &gatekeeper.Keeper{Pipeline: p, Dir: filepath.Dir(path), IgnoreFile: f.ignore, Actor: currentUser()}

	var opts gatekeeper.Options
	if f.baseline != "" {
		bev, err := gatekeeper.FileEvidence([]string{f.baseline})
		if err != nil {
			return &exitError{code: ExitFailed, err: fmt.Errorf("read baseline %s: %w", f.baseline, err)}
		}
		opts.Baseline, opts.BaselineFrom = bev.Fingerprints(), f.baseline
	}

	var (
		ev  *gatekeeper.Evidence
		run *store.Run
	)
	if len(f.inputs) > 0 {
		if ev, err = gatekeeper.FileEvidence(f.inputs); err != nil {
			return &exitError{code: ExitFailed, err: fmt.Errorf("gate cannot read its evidence: %w", err)}
		}
	} else {
		dir := g.dataDir(path)
		if _, err := os.Stat(filepath.Join(dir, "sluice.db")); err != nil && g.database == "" {
			return usageErr("no runs in %s yet: run the pipeline first, or give --findings", dir)
		}
		st, _, err := g.openStore(ctx, dir)
		if err != nil {
			return err
		}
		defer st.Close()
		k.Store = st
		if f.simulate {
			return simulate(ctx, g, k, f, opts)
		}
		if run, err = evidenceRun(ctx, st, f.run); err != nil {
			return err
		}
		if ev, opts, err = runJudgeInputs(ctx, st, run, f.env, opts); err != nil {
			return err
		}
	}
	j, err := k.Judge(ctx, f.env, ev, opts)
	if err != nil {
		return &exitError{code: ExitUsage, err: fmt.Errorf("gate %s cannot judge, so nothing passes: %w", f.env, err)}
	}
	if run != nil {
		if err := k.Record(ctx, run, "", j); err != nil {
			return err
		}
	}
	if err := writeDecision(g, f.format, j, run); err != nil {
		return err
	}
	if j.Decision.Outcome == gate.Block {
		return failed()
	}
	if f.failOnStale && len(j.Decision.Stale) > 0 {
		fmt.Fprintf(g.s.err, "sluice: %d stale %s (--fail-on-stale)\n", len(j.Decision.Stale), plural(len(j.Decision.Stale), "suppression"))
		return failed()
	}
	return nil
}

// runJudgeInputs loads the evidence of run r that the gate of env judges:
// that of the jobs the run's own pipeline binds to env, as the pipeline's
// gate would (see gatekeeper.JobsFor).
func runJudgeInputs(ctx context.Context, st store.Store, r *store.Run, env string, opts gatekeeper.Options) (*gatekeeper.Evidence, gatekeeper.Options, error) {
	rp, diags := spec.Parse(r.File, r.Spec)
	if diags.HasErrors() {
		return nil, opts, fmt.Errorf("run #%d's pipeline: %s", r.Number, diags.Error())
	}
	jobs, err := gatekeeper.JobsFor(rp, env)
	if err != nil {
		return nil, opts, fmt.Errorf("run #%d's pipeline: %w", r.Number, err)
	}
	ev, err := gatekeeper.RunEvidence(ctx, st, r.ID, jobs)
	if err != nil {
		return nil, opts, &exitError{code: ExitFailed, err: fmt.Errorf("gate cannot read the evidence of run #%d: %w", r.Number, err)}
	}
	opts.Run, opts.Jobs = r, jobs
	return ev, opts, nil
}

// evidenceRun finds the run named by ref, or the newest run with evidence.
func evidenceRun(ctx context.Context, st store.Store, ref string) (*store.Run, error) {
	if ref != "" {
		r, err := st.Runs().GetRun(ctx, ref)
		if err != nil {
			return nil, usageErr("--run %s: %v", ref, err)
		}
		return r, nil
	}
	runs, err := st.Runs().ListRuns(ctx, store.RunFilter{Limit: 50})
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		evs, err := st.Evidence().ListEvidence(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		if len(evs) > 0 {
			return r, nil
		}
	}
	return nil, usageErr("no run has scan evidence: run a pipeline with a scan: job, or give --findings")
}

func writeDecision(g *globals, format string, j *gatekeeper.Judgement, run *store.Run) error {
	switch format {
	case "json":
		out := struct {
			gate.Decision
			Run      string            `json:"run,omitempty"`
			Digests  map[string]string `json:"digests"`
			Baseline string            `json:"baseline,omitempty"`
		}{Decision: j.Decision, Digests: j.Digests, Baseline: j.Baseline}
		if run != nil {
			out.Run = fmt.Sprintf("#%d %s", run.Number, run.ID)
		}
		return writeJSON(g, out)
	case "md":
		j.Decision.WriteMarkdown(g.s.out)
	case "sarif":
		return writeDecisionSARIF(g, j)
	default:
		if run != nil {
			fmt.Fprintf(g.s.out, "run #%d (%s)\n", run.Number, shortCommit(run.Commit))
		}
		j.Decision.WriteText(g.s.out)
		if j.Baseline != "" {
			fmt.Fprintf(g.s.out, "baseline: %s\n", j.Baseline)
		}
	}
	return nil
}

func shortCommit(c string) string {
	if c == "" {
		return "no commit"
	}
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// simulate backtests the environment's current policy over stored runs.
func simulate(ctx context.Context, g *globals, k *gatekeeper.Keeper, f gateFlags, opts gatekeeper.Options) error {
	runs, err := k.Store.Runs().ListRuns(ctx, store.RunFilter{Limit: f.last})
	if err != nil {
		return err
	}
	type row struct {
		Run      int64             `json:"run"`
		ID       string            `json:"id"`
		Commit   string            `json:"commit,omitempty"`
		Date     time.Time         `json:"date"`
		Recorded string            `json:"recorded,omitempty"`
		Outcome  gate.Outcome      `json:"outcome"`
		Reason   string            `json:"reason"`
		Blocking int               `json:"blocking"`
		Digests  map[string]string `json:"digests"`
	}
	var rows []row
	counts := map[gate.Outcome]int{}
	changed := 0
	for _, r := range runs {
		evs, err := k.Store.Evidence().ListEvidence(ctx, r.ID)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			continue
		}
		ev, o, err := runJudgeInputs(ctx, k.Store, r, f.env, opts)
		if err != nil {
			return err
		}
		j, err := k.Judge(ctx, f.env, ev, o)
		if err != nil {
			return &exitError{code: ExitUsage, err: fmt.Errorf("gate %s cannot judge: %w", f.env, err)}
		}
		rec := ""
		ds, err := k.Store.Decisions().ListDecisions(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if d.Env == f.env {
				rec = d.Outcome
			}
		}
		if rec != "" && rec != string(j.Decision.Outcome) {
			changed++
		}
		counts[j.Decision.Outcome]++
		rows = append(rows, row{Run: r.Number, ID: r.ID, Commit: shortCommit(r.Commit), Date: r.CreatedAt,
			Recorded: rec, Outcome: j.Decision.Outcome, Reason: j.Decision.Summary(), Blocking: len(j.Decision.Blocking), Digests: j.Digests})
	}
	if len(rows) == 0 {
		return usageErr("no stored run has scan evidence to simulate on")
	}
	if f.format == "json" {
		return writeJSON(g, struct {
			Env     string `json:"env"`
			Runs    []row  `json:"runs"`
			Pass    int    `json:"pass"`
			Warn    int    `json:"warn"`
			Block   int    `json:"block"`
			Changed int    `json:"changed"`
		}{f.env, rows, counts[gate.Pass], counts[gate.Warn], counts[gate.Block], changed})
	}
	if f.format != "text" {
		return usageErr("--simulate writes text or json")
	}
	fmt.Fprintf(g.s.out, "backtest of environment %s's gate as it is now, over the last %d %s with evidence:\n\n",
		f.env, len(rows), plural(len(rows), "run"))
	tw := tabwriter.NewWriter(g.s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tCOMMIT\tDATE\tRECORDED\tNOW\tBLOCKING\tWHY")
	for _, r := range rows {
		rec := r.Recorded
		if rec == "" {
			rec = "-"
		}
		fmt.Fprintf(tw, "#%d\t%s\t%s\t%s\t%s\t%d\t%s\n", r.Run, r.Commit, r.Date.Local().Format("2006-01-02 15:04"),
			rec, strings.ToUpper(string(r.Outcome)), r.Blocking, truncate(r.Reason, 100))
	}
	_ = tw.Flush()
	fmt.Fprintf(g.s.out, "\n%d would pass, %d warn, %d block; %d differ from the decision recorded at the time\n",
		counts[gate.Pass], counts[gate.Warn], counts[gate.Block], changed)
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// writeDecisionSARIF writes the findings that block (or would block) as a
// SARIF log, one result each, for code scanning annotations; a passing
// gate writes a log with no results.
func writeDecisionSARIF(g *globals, j *gatekeeper.Judgement) error {
	fs := make([]findings.Finding, 0, len(j.Decision.Blocking))
	for _, b := range j.Decision.Blocking {
		f := b.Finding
		f.Message = strings.TrimSpace(f.Message + " Gate " + j.Decision.Env + ": " + b.Why)
		fs = append(fs, f)
	}
	return sarif.WriteSARIF(g.s.out, fs, nil, sarif.ToolInfo{Name: "sluice-gate", Version: version.Get().Version,
		InformationURI: "https://github.com/sluice-ci/sluice"})
}
