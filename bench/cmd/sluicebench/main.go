// Command sluicebench is the helper the delivery and gateway benchmarks
// (bench/delivery.sh, bench/gateway.sh) run: a fixed-answer backend, free
// loopback ports, a load generator that records every request (when it
// started and ended, its status and the X-Sluice-Release that answered)
// together with every routing table the gateway was given, and the report
// that turns such a trace into the figures the scripts print.
//
// It is for loopback targets and bounded runs, started by hand; see
// bench/README.md.
//
// Usage:
//
//	sluicebench serve  [--addr 127.0.0.1:0] [--addr-file FILE]
//	sluicebench ports  N
//	sluicebench trace  --url URL --out FILE [--routes FILE --env NAME] [--workers 8] [--pause 10ms] [--for 0]
//	sluicebench report switches FILE...
//	sluicebench report rollback --after LABEL [--interval 5s] [--name NAME] FILE...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errUsage marks a usage error (exit status 2); the message says what to fix.
var errUsage = errors.New("usage")

const usage = `usage:
  sluicebench serve  [--addr 127.0.0.1:0] [--addr-file FILE]
  sluicebench ports  N
  sluicebench trace  --url URL --out FILE [--routes FILE --env NAME] [--workers N] [--pause D] [--for D]
  sluicebench report switches FILE...
  sluicebench report rollback --after LABEL [--interval D] [--name NAME] FILE...`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "sluicebench: %v\n%s\n", err, usage)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "sluicebench: %v\n", err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: name a subcommand", errUsage)
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], stderr)
	case "ports":
		return cmdPorts(args[1:], stdout)
	case "trace":
		return cmdTrace(ctx, args[1:], stderr)
	case "report":
		return cmdReport(args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("%w: unknown subcommand %q", errUsage, args[0])
}

// parseFlags parses a subcommand's flags, turning their errors into usage
// errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
	}
	return nil
}
