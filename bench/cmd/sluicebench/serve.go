package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"
)

// backendBody is the backend's fixed answer: small, like a health check or
// a tiny API response, so the proxies' own cost dominates.
const backendBody = `{"status":"ok","service":"bench-backend"}` + "\n"

// backendHandler answers every request with backendBody.
func backendHandler() http.Handler {
	n := strconv.Itoa(len(backendBody))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", n)
		_, _ = io.WriteString(w, backendBody)
	})
}

// cmdServe runs the backend until ctx ends. It writes its address to
// --addr-file (atomically, so a reader never sees half of it) and says on
// stderr where it listens and with how many Go threads (GOMAXPROCS), which
// the gateway benchmark gives nginx as worker_processes.
func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	addrFile := fs.String("addr-file", "", "write the address listened on to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pick a free address)", *addr, err)
	}
	if *addrFile != "" {
		if err := writeFileAtomic(*addrFile, ln.Addr().String()+"\n"); err != nil {
			ln.Close()
			return err
		}
	}
	fmt.Fprintf(stderr, "backend listening on %s, GOMAXPROCS %d\n", ln.Addr(), runtime.GOMAXPROCS(0))
	srv := &http.Server{Handler: backendHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it.
func writeFileAtomic(path, data string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// cmdPorts prints n free loopback TCP ports, one a line. They are held
// open together while chosen, so the n are distinct; another program may
// still take one before the caller binds it, which on a bench machine is
// unlikely enough.
func cmdPorts(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: ports takes one argument, how many ports", errUsage)
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 || n > 100 {
		return fmt.Errorf("%w: ports: %q is not a count from 1 to 100", errUsage, args[0])
	}
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, ln)
	}
	for _, ln := range lns {
		fmt.Fprintln(stdout, ln.Addr().(*net.TCPAddr).Port)
	}
	return nil
}
