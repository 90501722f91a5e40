package dast

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The scan tests run the example applications as real processes, built
// once per test binary.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dast-test-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildApp builds a command of this module (once) and returns its path.
func buildApp(t *testing.T, pkg string) string {
	t.Helper()
	bin := filepath.Join(binDir, filepath.Base(pkg))
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build %s: %v", pkg, err)
	}
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/sluice-ci/sluice/"+pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// startApp runs a built example on a free loopback port and returns its
// base URL; the process is stopped when the test ends.
func startApp(t *testing.T, pkg string) string {
	t.Helper()
	bin := buildApp(t, pkg)
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--addr-file", addrFile)
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", pkg, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if f, err := os.Open(addrFile); err == nil {
			line, _ := bufio.NewReader(f).ReadString('\n')
			f.Close()
			if addr := strings.TrimSpace(line); addr != "" {
				return "http://" + addr + "/"
			}
		}
		select {
		case err := <-done:
			t.Fatalf("%s exited before listening: %v\n%s", pkg, err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not write its address within 15s\n%s", pkg, logs.String())
	return ""
}

// scanCtx bounds one scan in a test.
func scanCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
