// Package cli builds sluice's command line. Each command lives in its own
// file and stays thin: it parses flags, calls the packages that do the work,
// and prints.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, as conventional for command-line tools.
const (
	ExitOK       = 0   // the work succeeded
	ExitFailed   = 1   // the work ran and failed (a job failed, a check found problems)
	ExitUsage    = 2   // the command line or a configuration file is wrong
	ExitCanceled = 130 // interrupted by the user (Ctrl-C)
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
	// quiet means the message was already printed.
	quiet bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr is a command-line or configuration error (exit 2).
func usageErr(format string, a ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

// failed means the work ran and failed (exit 1), already reported.
func failed() error { return &exitError{code: ExitFailed, quiet: true} }

// streams are the process's standard files, injectable for tests.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// globals are flags every command shares.
type globals struct {
	data      string
	database  string
	logLevel  string
	logFormat string
	s         streams
}

func (g *globals) logger() *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		lvl = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if g.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(g.s.err, opts))
	}
	return slog.New(slog.NewTextHandler(g.s.err, opts))
}

// Main runs sluice with args and returns the process exit code.
func Main(args []string, in io.Reader, out, errw io.Writer) int {
	g := &globals{s: streams{in: in, out: out, err: errw}}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errw)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.quiet && ee.err != nil {
			fmt.Fprintf(errw, "sluice: %v\n", ee.err)
		}
		return ee.code
	}
	// Anything cobra itself rejects (unknown command or flag, wrong number
	// of arguments) is a usage error.
	fmt.Fprintf(errw, "sluice: %v\n", err)
	if !strings.Contains(err.Error(), "--help") {
		fmt.Fprintln(errw, "Run 'sluice --help' for usage.")
	}
	return ExitUsage
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "sluice",
		Short: "A commit goes in; a verified release comes out, or a clear \"blocked, because …\"",
		Long: `sluice is a self-hosted DevSecOps delivery engine in one binary.

It runs the pipeline in sluice.yaml — jobs in a dependency graph, in parallel
where they can — and keeps every run, job, step and log line in an embedded
store (the .sluice folder next to the pipeline file, or --data). Its scanners
find secrets, vulnerable dependencies, misconfigured Dockerfiles, Terraform
and Kubernetes files, insecure Go code and vulnerable container images.`,
		Example: `  # check the pipeline file and run it
  sluice validate
  sluice run

  # run only the build job (and what it needs), with a variable and a secret
  API_TOKEN=... sluice run --job build --var VERSION=1.2.3 --secret API_TOKEN

  # see what happened
  sluice runs
  sluice show 3
  sluice logs 3 build

  # scan for secrets, vulnerable dependencies and misconfigurations
  sluice scan --fail-on high

  # try everything on the example project
  sluice demo`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.data, "data", os.Getenv("SLUICE_DATA"), "data folder of the store (default: .sluice next to the pipeline file; env SLUICE_DATA)")
	root.PersistentFlags().StringVar(&g.database, "database", os.Getenv("SLUICE_DATABASE"), "a PostgreSQL URL (postgres://…) to keep the store in instead of SQLite in the data folder (env SLUICE_DATABASE)")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", envOr("SLUICE_LOG_FORMAT", "text"), "format of sluice's own diagnostics: text or json (env SLUICE_LOG_FORMAT)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "level of sluice's own diagnostics on stderr: debug, info, warn, error")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr("%v\nRun '%s --help' for usage.", err, c.CommandPath())
	})
	root.AddCommand(
		newRunCmd(g),
		newValidateCmd(g),
		newSchemaCmd(g),
		newRunsCmd(g),
		newShowCmd(g),
		newLogsCmd(g),
		newDemoCmd(g),
		newScanCmd(g),
		newDBCmd(g),
		newSBOMCmd(g),
		newGateCmd(g),
		newReportCmd(g),
		newAuditCmd(g),
		newVerdictCmd(g, "approve"),
		newVerdictCmd(g, "reject"),
		newApprovalsCmd(g),
		newDeployCmd(g),
		newRequestCmd(g, "promote"),
		newRequestCmd(g, "abort"),
		newRollbackCmd(g),
		newStatusCmd(g),
		newHistoryCmd(g),
		newGatewayCmd(g),
		newDownCmd(g),
		newUpCmd(g),
		newKeysCmd(g),
		newUsersCmd(g),
		newLoginCmd(g),
		newAPICmd(g),
		newSecretsCmd(g),
		newSuppressionsCmd(g),
		newTFCmd(g),
		newDASTCmd(g),
		newEventsCmd(g),
		newBackupCmd(g),
		newRestoreCmd(g),
		newProjectCmd(g),
		newLoadCmd(g),
		newVersionCmd(g),
	)
	root.CompletionOptions.HiddenDefaultCmd = false
	return root
}

// exactArgs is cobra.ExactArgs with a message that says what is expected.
func argsBetween(minN, maxN int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < minN || len(args) > maxN {
			return usageErr("%s expects %s\nRun '%s --help' for usage.", cmd.CommandPath(), what, cmd.CommandPath())
		}
		return nil
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
