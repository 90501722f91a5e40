package external

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// fakeTools makes the only tools on PATH fakes written as shell scripts,
// for injecting faults a real tool does not produce on demand: a crash, a
// hang, no report, a garbage report. Each fake acts as $FAKE_MODE says.
func fakeTools(t *testing.T, names ...string) Options {
	t.Helper()
	dir := t.TempDir()
	for _, name := range names {
		script := "#!/bin/sh\n# Fake " + name + " for fault injection (runner_test.go).\n" + fakeScript
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	return Options{ToolsDirs: []string{}}
}

// fakeScript writes its report to the file after -o (Bandit's flag) or to
// standard output.
const fakeScript = `out=""
while [ $# -gt 0 ]; do
  case "$1" in -o) out="$2"; shift ;; esac
  shift
done
report() { if [ -n "$out" ]; then printf '%s\n' "$1" > "$out"; else printf '%s\n' "$1"; fi; }
case "$FAKE_MODE" in
crash)
  echo "Traceback (most recent call last):" >&2
  echo "  File \"/usr/bin/bandit\", line 33, in <module>" >&2
  echo "ValueError: boom" >&2
  exit 2 ;;
noreport)
  echo "could not start" >&2
  exit 1 ;;
hang)
  /bin/sleep 30 &
  wait ;;
garbage)
  report 'this is not JSON'
  exit 0 ;;
findings)
  report '{"errors": [{"filename": "bad.py", "reason": "syntax error"}], "generated_at": "now", "results": [
    {"test_id": "B602", "filename": "app.py", "line_number": 3, "issue_severity": "HIGH", "issue_text": "shell=True", "code": "3 os.system(x)\n"},
    {"test_id": "B101", "line_number": "three"}]}'
  exit 1 ;;
hadolint)
  report '[{"code": "DL3007", "column": 1, "file": "Dockerfile", "level": "warning", "line": 1, "message": "latest"}]'
  exit 1 ;;
esac
exit 0
`

// target writes files (name → content) under a temporary root.
func target(t *testing.T, files map[string]string) *scan.Target {
	t.Helper()
	root := t.TempDir()
	tg := &scan.Target{Root: root}
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		tg.Files = append(tg.Files, name)
	}
	slices.Sort(tg.Files)
	return tg
}

func scanner(t *testing.T, o Options, name string) scan.Scanner {
	t.Helper()
	for _, s := range Tools(o) {
		if s.Name() == name {
			return s
		}
	}
	t.Fatalf("no %s scanner", name)
	return nil
}

func TestToolsNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	tg := target(t, map[string]string{"a.py": "x = 1\n"})
	var names []string
	for _, s := range Tools(Options{ToolsDirs: []string{}}) {
		names = append(names, s.Name())
		ok, why := s.Applies(context.Background(), tg)
		if ok || !strings.HasSuffix(why, " not installed") {
			t.Errorf("%s: Applies = %v, %q; want false, \"… not installed\"", s.Name(), ok, why)
		}
	}
	want := []string{"bandit", "eslint", "semgrep", "gitleaks", "gosec", "hadolint", "trivy", "checkov", "kube-linter", "tfsec"}
	if !slices.Equal(names, want) {
		t.Errorf("Tools() = %q, want %q", names, want)
	}
}

func TestToolsApplies(t *testing.T) {
	o := fakeTools(t, "bandit", "semgrep", "gosec", "hadolint", "kube-linter", "tfsec", "checkov")
	notManifest := target(t, map[string]string{".github/workflows/ci.yml": "on: push\njobs: {}\n", "node_modules/x/a.py": "x = 1\n"})
	manifest := target(t, map[string]string{"deploy/web.yaml": "# web\napiVersion: apps/v1\nkind: Deployment\n", "main.go": "package main\n", "Dockerfile": "FROM alpine\n"})
	for _, c := range []struct {
		tool string
		tg   *scan.Target
		want string // "" applies
	}{
		{"bandit", notManifest, "no Python files"}, // vendored files do not count
		{"semgrep", manifest, "semgrep needs local rules"},
		{"gosec", manifest, "no go.mod at the root"},
		{"kube-linter", notManifest, "no Kubernetes manifests"},
		{"kube-linter", manifest, ""},
		{"hadolint", manifest, ""},
		{"hadolint", notManifest, "no Dockerfile"},
		{"tfsec", manifest, "no Terraform files"},
		{"checkov", manifest, ""},
	} {
		ok, why := scanner(t, o, c.tool).Applies(context.Background(), c.tg)
		if ok != (c.want == "") || !strings.HasPrefix(why, c.want) {
			t.Errorf("%s: Applies = %v, %q; want %q", c.tool, ok, why, c.want)
		}
	}
}

func TestToolFaults(t *testing.T) {
	o := fakeTools(t, "bandit")
	o.Timeout = 500 * time.Millisecond
	tg := target(t, map[string]string{"app.py": "import os\nx = 1\nos.system(x)\n"})
	for _, c := range []struct{ mode, want string }{
		{"crash", "bandit exited with status 2: Traceback (most recent call last): | File \"/usr/bin/bandit\", line 33, in <module> | ValueError: boom"},
		{"noreport", "bandit wrote no report: could not start"},
		{"garbage", "bandit report: not valid JSON at line 1, column 2"},
		{"hang", "bandit timed out after 500ms"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			t.Setenv("FAKE_MODE", c.mode)
			start := time.Now()
			_, err := scanner(t, o, "bandit").Scan(context.Background(), tg, func(findings.Finding) {
				t.Error("a failed tool reported a finding")
			})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Scan error = %v, want %q", err, c.want)
			}
			// The hang's child holds the output pipe: only killing the
			// whole process group ends the run before WaitDelay.
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("Scan took %s", d)
			}
		})
	}
}

func TestToolRun(t *testing.T) {
	o := fakeTools(t, "bandit", "hadolint")
	tg := target(t, map[string]string{"app.py": "x\n", "Dockerfile": "FROM alpine:latest\n"})
	t.Setenv("FAKE_MODE", "findings")
	var got []findings.Finding
	h, err := scanner(t, o, "bandit").Scan(context.Background(), tg, func(f findings.Finding) { got = append(got, f) })
	if err != nil {
		t.Fatalf("exit status 1 with a report is success: %v", err)
	}
	if len(got) != 1 || got[0].RuleID != "B602" || got[0].Location.Path != "app.py" || got[0].CWE[0] != 78 {
		t.Errorf("findings = %+v", got)
	}
	if h.Files != 1 || len(h.Errors) != 2 || h.Errors[0].Path != "bad.py" ||
		!strings.Contains(h.Errors[1].Err, "results[1]: line_number: got JSON string") {
		t.Errorf("health = %+v", h)
	}

	t.Setenv("FAKE_MODE", "hadolint")
	got = nil
	if _, err := scanner(t, o, "hadolint").Scan(context.Background(), tg, func(f findings.Finding) { got = append(got, f) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RuleID != "DL3007" || got[0].Category != findings.IaC {
		t.Errorf("hadolint findings = %+v", got)
	}
}

func TestBatch(t *testing.T) {
	files := []string{"aaaa", "bbbb", "cccc", "dddd", "eeeeeeeeeeee"}
	got := batch(files, 10)
	want := [][]string{{"aaaa", "bbbb"}, {"cccc", "dddd"}, {"eeeeeeeeeeee"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batch = %q, want %q", got, want)
	}
	if args := fileArgs([]string{"-rf", "a/b.py"}); args[0] != "./-rf" || args[1] != filepath.FromSlash("a/b.py") {
		t.Errorf("fileArgs = %q", args)
	}
}
