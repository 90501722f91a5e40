package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test start this test binary as the real goodbooks command.
func TestMain(m *testing.M) {
	if os.Getenv("GOODBOOKS_RUN_MAIN") == "1" {
		os.Args = append([]string{"goodbooks"}, strings.Fields(os.Getenv("GOODBOOKS_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		linked  string // value of the linker-set version
		want    config
		wantErr bool
	}{
		{name: "defaults", want: config{addr: "127.0.0.1:8080", version: "dev"}},
		{name: "flags", args: []string{"--addr", "127.0.0.1:0", "--addr-file", "a.txt"},
			want: config{addr: "127.0.0.1:0", addrFile: "a.txt", version: "dev"}},
		{name: "PORT", env: map[string]string{"PORT": "9090"}, want: config{addr: "127.0.0.1:9090", version: "dev"}},
		{name: "flag beats PORT", args: []string{"-addr", ":7070"}, env: map[string]string{"PORT": "9090"},
			want: config{addr: ":7070", version: "dev"}},
		{name: "VERSION env", env: map[string]string{"VERSION": "1.4.0"}, want: config{addr: "127.0.0.1:8080", version: "1.4.0"}},
		{name: "linked version wins", linked: "2.0.0", env: map[string]string{"VERSION": "1.4.0"},
			want: config{addr: "127.0.0.1:8080", version: "2.0.0"}},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: true},
		{name: "stray argument", args: []string{"serve"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := version
			version = tt.linked
			defer func() { version = old }()
			got, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseConfig() error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("parseConfig() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, func(string) string { return "" }, &out); err != nil {
		t.Fatalf("run(-h) = %v, want nil", err)
	}
	if !strings.Contains(out.String(), "-addr-file") {
		t.Errorf("usage does not mention -addr-file:\n%s", out.String())
	}
	_, err := parseConfig([]string{"-h"}, func(string) string { return "" }, io.Discard)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseConfig(-h) = %v, want flag.ErrHelp", err)
	}
}

func TestRunListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"--addr", ln.Addr().String()}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("run on a busy port = %v, want a listen error", err)
	}
}

func TestRunAddrFileError(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "missing-dir", "addr")
	err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--addr-file", bad}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "write addr file") {
		t.Fatalf("run with a bad addr file = %v, want a write error", err)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's and the test's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitAddr polls path until the server wrote its address there.
func waitAddr(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no address in %s after 10s", path)
	return ""
}

func getHealth(t *testing.T, addr string) map[string]string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	defer resp.Body.Close()
	var h map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %d, decode error %v", resp.StatusCode, err)
	}
	return h
}

func TestRunServesAndShutsDown(t *testing.T) {
	addrFile := filepath.Join(t.TempDir(), "addr")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	env := map[string]string{"VERSION": "9.9.9"}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--addr-file", addrFile}, func(k string) string { return env[k] }, &logs)
	}()
	addr := waitAddr(t, addrFile)
	if h := getHealth(t, addr); h["status"] != "ok" || h["version"] != "9.9.9" {
		t.Errorf("health = %v", h)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run() = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if _, err := os.Stat(addrFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("addr file still there after shutdown: %v", err)
	}
	var sawRequest bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == "request" && rec["path"] == "/healthz" && rec["status"] == float64(200) {
			sawRequest = true
		}
	}
	if !sawRequest {
		t.Errorf("no request log line for /healthz in:\n%s", logs.String())
	}
}

// TestSignalStopsProcess runs the real command in a child process and stops
// it with SIGTERM, as a service manager or sluice would.
func TestSignalStopsProcess(t *testing.T) {
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// VERSION= last: a VERSION in the caller's environment must not leak in.
	cmd.Env = append(os.Environ(), "GOODBOOKS_RUN_MAIN=1", "VERSION=",
		"GOODBOOKS_ARGS=--addr 127.0.0.1:0 --addr-file "+addrFile)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	defer cmd.Process.Kill()
	addr := waitAddr(t, addrFile)
	if h := getHealth(t, addr); h["version"] != "dev" {
		t.Errorf("version = %q, want dev", h["version"])
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signal: %v", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("process exit = %v, stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("process did not stop after SIGTERM")
	}
	if !strings.Contains(stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no graceful stop in the logs:\n%s", stderr.String())
	}
}

func TestFaults(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	faultRate, faultDelay = "1", ""
	defer func() { faultRate, faultDelay = "", "" }()
	h, err := faults(ok)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"/books": http.StatusInternalServerError, "/healthz": http.StatusOK, "/books/1": http.StatusOK} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("%s with faultRate=1: %d, want %d", path, rec.Code, want)
		}
	}
	faultRate = "0.25"
	h, err = faults(ok)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for range 100 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/books", nil))
		if rec.Code == http.StatusInternalServerError {
			failed++
		}
	}
	if failed != 25 {
		t.Errorf("faultRate=0.25 failed %d of 100 requests, want 25", failed)
	}
	faultRate = "lots"
	if _, err := faults(ok); err == nil {
		t.Error("a bad fault rate was accepted")
	}
}
