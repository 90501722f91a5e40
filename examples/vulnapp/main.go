// Command vulnapp is a DELIBERATELY VULNERABLE web application, a test
// fixture for sluice's DAST scanner (internal/scan/dast) and nothing
// else. Every route plants one vulnerability the scanner must find:
// reflected XSS, SQL injection (error and time based), path traversal,
// open redirect, command injection (echo and time based), SSRF, an API
// route that declares a key but never checks it, a directory listing, an
// exposed .env and .git/HEAD, a stack trace, permissive CORS, missing
// security headers and a versioned Server banner.
//
// The vulnerabilities are simulated, never real: there is no database
// (SQL errors and SLEEP delays are produced by matching the input), no
// shell (";echo X" is answered by printing X, ";sleep N" by sleeping at
// most five seconds), files are served only from a temporary folder the
// program fills with fakes at startup (its etc/passwd is a fake too, and
// os.Root keeps every read inside that folder), the fetch route reaches
// loopback addresses only, and the program refuses to listen on anything
// but a loopback address. Do not deploy it, do not copy its code.
//
//	vulnapp [--addr 127.0.0.1:0] [--addr-file FILE]
//
// With --addr 127.0.0.1:0 the kernel picks a free port; --addr-file then
// tells where the server listens. SIGINT and SIGTERM stop it and remove
// its fixture folder.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vulnapp:", err)
		os.Exit(1)
	}
}

// run parses flags and serves until ctx is done. -h is not an error.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("vulnapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `host:port` to listen on; port 0 picks a free one")
	addrFile := fs.String("addr-file", "", "write the bound host:port to this `file` once listening")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("parse flags: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	return serve(ctx, *addr, *addrFile, stderr)
}

// checkLoopback refuses any listen address but a loopback one: this
// program is vulnerable on purpose and must never be reachable from
// another machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q: vulnapp is deliberately vulnerable and listens on a loopback IP only (127.0.0.1 or ::1)", addr)
	}
	return nil
}
