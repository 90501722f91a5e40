// Package e2e runs the real sluice binary as a subprocess, in temporary
// folders, on real pipelines whose steps are real shell commands, and checks
// what a user would see: exit codes, output, the stored runs, logs and files.
//
// TestMain builds the binary once from the module root; every test then
// starts it as a separate process. Run with -update to rewrite golden files.
package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sluiceBin is the path of the binary TestMain built.
var sluiceBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "sluice-e2e-bin-*")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	goTool, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the go tool is needed to build sluice: %v\n", err)
		return 1
	}
	sluiceBin = filepath.Join(tmp, "sluice")
	build := exec.Command(goTool, "build", "-o", sluiceBin, "./cmd/sluice")
	build.Dir = root
	var out bytes.Buffer
	build.Stdout, build.Stderr = &out, &out
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/sluice in %s: %v\n%s", root, err, out.String())
		return 1
	}
	return m.Run()
}

// moduleRoot walks up from the working directory (the package folder under
// go test) to the folder holding sluice's go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/sluice-ci/sluice\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of github.com/sluice-ci/sluice above the working directory")
		}
		dir = parent
	}
}
