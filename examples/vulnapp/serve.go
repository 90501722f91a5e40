package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// serve creates the fixture folder, listens on addr and serves until ctx
// is done.
func serve(ctx context.Context, addr, addrFile string, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	dir, err := makeFixtures()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open fixture folder: %w", err)
	}
	defer root.Close()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	bound := ln.Addr().String()
	if addrFile != "" {
		if err := writeAddrFile(addrFile, bound); err != nil {
			ln.Close()
			return err
		}
		defer os.Remove(addrFile)
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	app := &app{root: root, public: filepath.Join(dir, "public"), apiKey: hex.EncodeToString(key)}
	srv := &http.Server{
		Handler:           app.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Warn("deliberately vulnerable test fixture listening", "addr", bound)
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", bound, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve on %s: %w", bound, err)
	}
	return nil
}

// fixtures are the fake files the app serves, relative to its folder.
var fixtures = map[string]string{
	"public/readme.txt":   "Welcome to vulnapp, a deliberately vulnerable test fixture.\n",
	"public/notes.txt":    "Nothing to see here.\n",
	"public/docs/faq.txt": "Q: Is this safe to deploy?\nA: No.\n",
	// A fake passwd file, so path traversal has something to find
	// without the real one ever being read.
	"etc/passwd": "root:x:0:0:vulnapp fixture root:/home/fixture:/bin/sh\n" +
		"nobody:x:65534:65534:vulnapp fixture:/nonexistent:/usr/sbin/nologin\n",
}

// makeFixtures writes the fake files into a new temporary folder.
func makeFixtures() (string, error) {
	dir, err := os.MkdirTemp("", "vulnapp-fixture-")
	if err != nil {
		return "", fmt.Errorf("create fixture folder: %w", err)
	}
	for name, body := range fixtures {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("create fixture folder: %w", err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("write fixture %s: %w", name, err)
		}
	}
	return dir, nil
}

// writeAddrFile writes addr to path atomically.
func writeAddrFile(path, addr string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".addr-*")
	if err != nil {
		return fmt.Errorf("write addr file: %w", err)
	}
	_, werr := tmp.WriteString(addr + "\n")
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write addr file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write addr file %s: %w", path, err)
	}
	return nil
}
