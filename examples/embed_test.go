package examples

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildOutput(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"dist", true},
		{"dist/goodbooks", true},
		{"cover.out", true},
		{"server.log", true},
		{".sluice/state", true},
		{".sluice/ignore.yaml", false},
		{".sluice/sluice.db", true},
		{".", false},
		{"sluice.yaml", false},
		{"cmd/goodbooks/main.go", false},
		{"internal/books/testdata/x.out", false},
	}
	for _, tt := range tests {
		if got := buildOutput(tt.name); got != tt.want {
			t.Errorf("buildOutput(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestGoodbooksFS(t *testing.T) {
	fsys, err := GoodbooksFS()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if buildOutput(p) {
			t.Errorf("build output %s is visible", p)
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	for _, want := range []string{"sluice.yaml", "Dockerfile", "README.md", "cmd/goodbooks/main.go", "cmd/smoke/main.go", "internal/books/store.go"} {
		if !contains(files, want) {
			t.Errorf("embedded goodbooks lacks %s (has %v)", want, files)
		}
	}
	if contains(files, "go.mod") {
		t.Error("goodbooks must not hold a go.mod: it would leave the main module and break go:embed")
	}
	if _, err := fs.ReadFile(fsys, "cover.out"); err == nil {
		t.Error("cover.out is readable")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestStandaloneCopy does what the demo does: copy goodbooks out, write the
// go.mod, and check that it compiles (tests included) with the standard
// library alone.
func TestStandaloneCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example with the go tool")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	fsys, err := GoodbooksFS()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, fsys); err != nil {
		t.Fatalf("copy: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), GoModFile(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "vet", "./...")
	cmd.Dir = dir
	// GOFLAGS=-mod=mod: no go.sum exists, and none must be needed.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go vet in a standalone copy: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(GoModFile()), "module "+GoodbooksModule+"\n") {
		t.Errorf("GoModFile() = %q", GoModFile())
	}
}
