// Command goodbooks serves the goodbooks catalogue: a small JSON REST API.
//
//	goodbooks [--addr 127.0.0.1:8080] [--addr-file FILE]
//
// With --addr 127.0.0.1:0 the kernel picks a free port; --addr-file then tells
// where the server listens. When --addr is not given, PORT (if set) picks the
// port on 127.0.0.1. The version reported by /healthz is set at build time with
// -ldflags "-X main.version=1.2.3", else read from VERSION, else "dev".
// SIGINT and SIGTERM stop the server gracefully.
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

// version is set by the linker: -ldflags "-X main.version=...".
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "goodbooks:", err)
		os.Exit(1)
	}
}

// config is what the flags and the environment ask for.
type config struct {
	addr     string
	addrFile string
	version  string
}

// parseConfig reads flags from args and fallbacks from getenv. Usage text and
// flag errors go to stderr.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("goodbooks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := config{}
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "`host:port` to listen on; port 0 picks a free one")
	fs.StringVar(&cfg.addrFile, "addr-file", "", "write the bound host:port to this `file` once listening")
	if err := fs.Parse(args); err != nil {
		return config{}, fmt.Errorf("parse flags: %w", err)
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	addrSet := false
	fs.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })
	if port := getenv("PORT"); port != "" && !addrSet {
		cfg.addr = "127.0.0.1:" + port
	}
	cfg.version = version
	if cfg.version == "" {
		cfg.version = getenv("VERSION")
	}
	if cfg.version == "" {
		cfg.version = "dev"
	}
	return cfg, nil
}

// run serves until ctx is done, then shuts down gracefully. -h is not an error.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stderr)
}
