package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeAnswersFixedJSON(t *testing.T) {
	addrFile := filepath.Join(t.TempDir(), "addr")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	var log bytes.Buffer
	go func() { errc <- cmdServe(ctx, []string{"--addr-file", addrFile}, &log) }()
	var addr string
	for i := 0; i < 200 && addr == ""; i++ {
		if b, err := os.ReadFile(addrFile); err == nil {
			addr = strings.TrimSpace(string(b))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if addr == "" {
		cancel()
		t.Fatalf("no address written: %v", <-errc)
	}
	res, err := http.Get("http://" + addr + "/any/path")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != backendBody || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q (%s)", res.StatusCode, body, res.Header.Get("Content-Type"))
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("serve returned %v after stop", err)
	}
	if !strings.Contains(log.String(), "GOMAXPROCS") {
		t.Errorf("serve did not say its GOMAXPROCS: %q", log.String())
	}
}

func TestPorts(t *testing.T) {
	var out bytes.Buffer
	if err := cmdPorts([]string{"3"}, &out); err != nil {
		t.Fatal(err)
	}
	ports := strings.Fields(out.String())
	if len(ports) != 3 || ports[0] == ports[1] || ports[1] == ports[2] || ports[0] == ports[2] {
		t.Errorf("ports %q, want 3 distinct", ports)
	}
	for _, bad := range [][]string{nil, {"0"}, {"x"}, {"1", "2"}} {
		if err := cmdPorts(bad, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("ports %q: %v, want a usage error", bad, err)
		}
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"nope"},
		{"trace", "--url", "http://127.0.0.1:1"},
		{"trace", "--url", "http://127.0.0.1:1", "--out", "x", "--env", "prod"},
		{"report"},
		{"report", "rollback", "file"},
		{"report", "switches"},
		{"serve", "--bogus"},
	} {
		if err := run(context.Background(), args, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}
