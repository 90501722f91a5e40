// Command smoke checks a running goodbooks server end to end: health, then
// create, read and delete a book. It exits non-zero on the first failure.
//
//	smoke --addr-file FILE   # wait for the server to write its address there
//	smoke --url http://127.0.0.1:8080
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "smoke:", err)
		os.Exit(1)
	}
}

// run parses flags, finds the server and runs the checks within --timeout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "", "base `URL` of the server, e.g. http://127.0.0.1:8080")
	addrFile := fs.String("addr-file", "", "read host:port from this `file`, waiting until it exists")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("parse flags: %w", err)
	}
	if (*base == "") == (*addrFile == "") {
		return errors.New("give exactly one of --url and --addr-file")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if *addrFile != "" {
		addr, err := waitAddrFile(ctx, *addrFile)
		if err != nil {
			return err
		}
		*base = "http://" + addr
	}
	c := &checker{client: &http.Client{Timeout: 10 * time.Second}, base: strings.TrimRight(*base, "/"), out: stdout}
	if err := c.waitHealthy(ctx); err != nil {
		return err
	}
	if err := c.crud(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "smoke: all checks passed against", c.base)
	return nil
}

// waitAddrFile polls path until it holds an address or ctx ends.
func waitAddrFile(ctx context.Context, path string) (string, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("wait for address in %s: %w", path, ctx.Err())
		case <-tick.C:
		}
	}
}
