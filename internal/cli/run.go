package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/executor/local"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/pipeline/lint"
	"github.com/sluice-ci/sluice/internal/pipeline/plan"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/ui"
	"github.com/spf13/cobra"
)

type runFlags struct {
	file     string
	jobs     []string
	env      string
	vars     []string
	secrets  []string
	passEnv  []string
	parallel int
	json     bool
	plain    bool
	noColor  bool
	junit    string
	resume   string
	branch   string
	commit   string
	event    string
	grace    time.Duration
}

func newRunCmd(g *globals) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [-f FILE] [--job ID ...] [--env NAME] [--var K=V] [--secret NAME]",
		Short: "Run the pipeline",
		Long: `Run the pipeline in sluice.yaml (or -f FILE).

Jobs start as soon as every job they need has finished, up to --parallel at
once. A failed job skips the jobs that need it. Every state change is stored
(in .sluice next to the pipeline file, or --data), so 'sluice runs', 'show' and
'logs' can look at it later, and a run that sluice could not finish (it was
killed, the machine went down) is marked interrupted and can be resumed with
--resume.

Steps see only what the pipeline gives them: PATH, HOME, USER, LANG, TZ,
TMPDIR and TERM from your environment (add more with --pass-env), sluice's
SLUICE_* variables, env: values, --var values and --secret values. A secret's
value, and its base64, URL-encoded, JSON and hex forms, are masked as *** in
every log line sluice prints or stores; only its name is stored.

On a terminal the run is shown live, one line per job; piped, as plain
timestamped lines; with --json as one JSON event per line.

Exit status: 0 the run succeeded, 1 it failed, 2 the command line or the
pipeline file is wrong, 130 it was cancelled (Ctrl-C).`,
		Example: `  # run every job
  sluice run

  # run the build job and the jobs it needs, in production's configuration
  sluice run --job build --env production

  # variables and secrets (the secret's value comes from your environment)
  DEPLOY_TOKEN=s3cr3t sluice run --var VERSION=1.4.0 --secret DEPLOY_TOKEN

  # machine-readable output and a JUnit report for your CI's test view
  sluice run --json --junit report.xml

  # continue a run that was interrupted: finished jobs are kept
  sluice run --resume 12`,
		Args: argsBetween(0, 0, "no arguments (use -f FILE to name the pipeline file)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPipeline(cmd.Context(), g, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "pipeline file (default sluice.yaml)")
	fl.StringSliceVar(&f.jobs, "job", nil, "run only this job and the jobs it needs (repeatable)")
	fl.StringVar(&f.env, "env", "", "environment to run for (one of the file's environments:)")
	fl.StringArrayVar(&f.vars, "var", nil, "variable NAME=VALUE: vars.NAME in expressions, $NAME in steps (repeatable)")
	fl.StringArrayVar(&f.secrets, "secret", nil, "pass the environment variable NAME to steps as a masked secret (repeatable)")
	fl.StringArrayVar(&f.passEnv, "pass-env", nil, "also pass this variable of your environment to steps (repeatable)")
	fl.IntVarP(&f.parallel, "parallel", "p", 0, "jobs to run at once (default: number of CPUs)")
	fl.BoolVar(&f.json, "json", false, "print one JSON event per line instead of the live view")
	fl.BoolVar(&f.plain, "plain", false, "print plain timestamped lines even on a terminal")
	fl.BoolVar(&f.noColor, "no-color", false, "no colours (also NO_COLOR=1)")
	fl.StringVar(&f.junit, "junit", "", "write a JUnit XML report of jobs and steps to FILE")
	fl.StringVar(&f.resume, "resume", "", "continue the interrupted or failed run RUN (number or id)")
	fl.StringVar(&f.branch, "branch", "", "branch the run is for (default: the git branch of the pipeline's folder)")
	fl.StringVar(&f.commit, "commit", "", "commit the run is for (default: the git HEAD)")
	fl.StringVar(&f.event, "event", "manual", "event that started the run: manual, push, pull_request, schedule")
	fl.DurationVar(&f.grace, "grace", 10*time.Second, "time a cancelled step gets between SIGTERM and SIGKILL")
	_ = cmd.RegisterFlagCompletionFunc("job", completeJobs(&f.file))
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs(&f.file))
	return cmd
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func runPipeline(ctx context.Context, g *globals, f *runFlags) error {
	if f.parallel < 0 {
		return usageErr("--parallel must be at least 1")
	}
	switch f.event {
	case "manual", "push", "pull_request", "schedule":
	default:
		return usageErr("--event %q: want manual, push, pull_request or schedule", f.event)
	}
	vars := map[string]string{}
	for _, kv := range f.vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !varName.MatchString(k) {
			return usageErr("--var %q: want NAME=VALUE with a NAME of letters, digits and _", kv)
		}
		vars[k] = v
	}
	secrets := map[string]string{}
	for _, name := range f.secrets {
		if !varName.MatchString(name) {
			return usageErr("--secret %q: want the name of an environment variable", name)
		}
		v, ok := os.LookupEnv(name)
		if !ok {
			return usageErr("--secret %s: the environment variable %s is not set", name, name)
		}
		secrets[name] = v
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	var (
		file string
		p    *spec.Pipeline
		src  []byte
	)
	if f.resume == "" {
		var err error
		file, err = findPipelineFile(f.file)
		if err != nil {
			return err
		}
		p, src, err = loadPipeline(g, file)
		if err != nil {
			return err
		}
		if _, err := plan.Build(p, plan.Options{Jobs: f.jobs}); err != nil {
			return usageErr("%v", err)
		}
		if f.env != "" && p.Environment(f.env) == nil {
			var names []string
			for _, e := range p.Environments {
				names = append(names, e.Name)
			}
			return usageErr("--env %q: no such environment in %s (have: %s)", f.env, file, strings.Join(names, ", "))
		}
	} else if f.file != "" {
		file = f.file
	}

	dir := g.dataDir(file)
	st, _, err := g.openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()

	mode := ui.ModeAuto
	switch {
	case f.json:
		mode = ui.ModeJSON
	case f.plain:
		mode = ui.ModePlain
	}
	color := ui.ColorAuto
	if f.noColor {
		color = ui.ColorNever
	}
	nt, err := g.loadNotifier(dir, st)
	if err != nil {
		return err
	}
	defer nt.close()
	r := ui.New(g.s.out, ui.Options{Mode: mode, Color: color})
	eng := engine.New(engine.Options{
		Store:    st,
		Executor: local.New(local.Options{}),
		Parallel: f.parallel,
		Observer: r.Handle,
		Logger:   g.logger(),
		Grace:    f.grace,
		StateDir: dir,
		Admit:    gatekeeper.Admitter(st, nt.hooks()),
	})

	var run *store.Run
	if f.resume != "" {
		run, err = eng.Resume(ctx, f.resume, engine.ResumeRequest{Secrets: secrets, BaseEnv: baseEnv(f.passEnv)})
		if errors.Is(err, engine.ErrNotResumable) {
			_ = r.Close()
			return usageErr("%v", err)
		}
	} else {
		workdir := filepath.Dir(file)
		branch, commit := f.branch, f.commit
		if branch == "" || commit == "" {
			gb, gc := gitInfo(ctx, workdir)
			if branch == "" {
				branch = gb
			}
			if commit == "" {
				commit = gc
			}
		}
		if ok, why := plan.Triggered(p, f.event, branch); !ok {
			_ = r.Close()
			fmt.Fprintf(g.s.err, "sluice: not running %s: %s\n", file, why)
			return nil
		}
		var envSec map[string]map[string]string
		if stored, lerr := st.Secrets().ListSecrets(ctx); lerr == nil && len(stored) > 0 {
			absData, aerr := filepath.Abs(dir)
			if aerr != nil {
				_ = r.Close()
				return aerr
			}
			key, kerr := g.sealKey(absData)
			if kerr != nil {
				_ = r.Close()
				return kerr
			}
			if envSec, err = envSecrets(ctx, st, key, p, "", currentUser()); err != nil {
				_ = r.Close()
				return &exitError{code: ExitFailed, err: err}
			}
		}
		run, err = eng.Run(ctx, engine.Request{
			Pipeline: p, Source: src, File: file, Workdir: workdir,
			Jobs: f.jobs, Vars: vars, Secrets: secrets, EnvSecrets: envSec,
			Environment: f.env, Branch: branch, Commit: commit, Event: f.event,
			Actor: currentUser(), BaseEnv: baseEnv(f.passEnv),
		})
	}
	nt.runEnded(run)
	if cerr := r.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if run != nil && f.junit != "" {
		if jerr := writeJUnit(context.WithoutCancel(ctx), st, run, f.junit); jerr != nil {
			fmt.Fprintf(g.s.err, "sluice: write JUnit report: %v\n", jerr)
		}
	}
	if err != nil {
		if run == nil {
			return usageErr("%v", err)
		}
		return &exitError{code: ExitFailed, err: err}
	}
	switch run.Status {
	case store.StatusSucceeded:
		return nil
	case store.StatusCancelled:
		return &exitError{code: ExitCanceled, quiet: true}
	}
	return failed()
}

// loadPipeline reads, parses and checks a pipeline file; problems are
// printed (all of them) and make a usage error.
func loadPipeline(g *globals, file string) (*spec.Pipeline, []byte, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, usageErr("read %s: %v", file, err)
	}
	p, diags := spec.Parse(file, src)
	if !diags.HasErrors() {
		diags = append(diags, lint.Check(p)...)
	}
	diags.Sort()
	for _, d := range diags {
		fmt.Fprintln(g.s.err, d.String())
	}
	if diags.HasErrors() {
		return nil, nil, &exitError{code: ExitUsage, err: fmt.Errorf("%s has %d %s", file, len(diags.Errors()), plural(len(diags.Errors()), "error"))}
	}
	return p, src, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func currentUser() string {
	for _, k := range []string{"SLUICE_ACTOR", "USER", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}
