package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestValidateGolden runs `sluice validate -f FILE` on each pipeline in
// testdata/validate and compares the exit code and output with FILE's
// .golden (rewrite them with -update).
func TestValidateGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		code int
	}{
		{"broken.yaml", 2},
		{"syntax.yaml", 2},
		{"valid.yaml", 0},
	}
	dir := fixture(t, "validate")
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			r := sluice(t, dir, "validate", "-f", tc.file)
			if r.code != tc.code {
				t.Errorf("want exit code %d, got %d\n%s", tc.code, r.code, r)
			}
			got := "exit " + itoa(r.code) + "\n--- stdout ---\n" + r.stdout + "--- stderr ---\n" + r.stderr
			golden := filepath.Join("testdata", "validate", strings.TrimSuffix(tc.file, ".yaml")+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("validate -f %s differs from %s (-want +got):\n%s", tc.file, golden, diff)
			}
		})
	}
}

// planted are the mistakes in testdata/validate/broken.yaml, each with the
// position and field path validate must name. The golden file shows the
// whole output; this list is what makes a wrong -update visible.
var planted = []struct {
	line, col int
	path      string
	what      string
}{
	{8, 13, "on.schedule[0].cron", "invalid cron"},
	{12, 5, "jobs.lint.neds", `did you mean "needs"`},
	{16, 14, "jobs.test.timeout", `invalid duration "soon"`},
	{17, 13, "jobs.test.needs[0]", `unknown job "compile"`},
	{20, 28, "jobs.test.steps[0].retry.attempts", "expected a whole number"},
	{22, 13, "jobs.a.needs[0]", "cycle"},
	{34, 9, "jobs.deploy.if", "invalid if expression"},
	{35, 24, "jobs.deploy.continue_on_error", "expected true or false"},
	{37, 9, "jobs.deploy.steps[0]", "no run"},
	{38, 14, "jobs.deploy.steps[1].run", "${{ }}"},
	{39, 3, "jobs.lint", `duplicate job id "lint"`},
	{45, 20, "environments.production.gates.mode", `"strict"`},
}

// TestValidatePlantedErrors checks that every planted mistake is reported
// at its file:line:col with its field path, in text and in JSON, and
// nothing else is.
func TestValidatePlantedErrors(t *testing.T) {
	t.Parallel()
	dir := fixture(t, "validate")

	t.Run("text", func(t *testing.T) {
		t.Parallel()
		r := sluice(t, dir, "validate", "-f", "broken.yaml")
		expectCode(t, r, 2)
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if strings.Contains(l, ": error: ") {
				lines = append(lines, l)
			}
		}
		for _, p := range planted {
			prefix := "broken.yaml:" + itoa(p.line) + ":" + itoa(p.col) + ": error: " + p.path + ": "
			found := false
			for _, l := range lines {
				if strings.HasPrefix(l, prefix) && strings.Contains(l, p.what) {
					found = true
				}
			}
			if !found {
				t.Errorf("no line starting %q and containing %q\n%s", prefix, p.what, r)
			}
		}
		if len(lines) != len(planted) {
			t.Errorf("want %d errors (one per planted mistake), got %d\n%s", len(planted), len(lines), r)
		}
		if cycle := "a -> c -> b -> a"; !strings.Contains(r.stdout, cycle) {
			t.Errorf("the cycle error does not name the path %q\n%s", cycle, r)
		}
		expectContains(t, r, "stderr", r.stderr, "broken.yaml: "+itoa(len(planted))+" errors")
	})

	t.Run("json", func(t *testing.T) {
		t.Parallel()
		r := sluice(t, dir, "validate", "-f", "broken.yaml", "--format", "json")
		expectCode(t, r, 2)
		var out struct {
			File        string `json:"file"`
			Valid       bool   `json:"valid"`
			Errors      int    `json:"errors"`
			Diagnostics []struct {
				Severity string `json:"severity"`
				Summary  string `json:"summary"`
				Path     string `json:"path"`
				File     string `json:"file"`
				Line     int    `json:"line"`
				Col      int    `json:"col"`
			} `json:"diagnostics"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("validate --format json is not JSON: %v\n%s", err, r)
		}
		if out.Valid || out.Errors != len(planted) || len(out.Diagnostics) != len(planted) {
			t.Errorf("want valid=false and %d errors and diagnostics, got valid=%v errors=%d diagnostics=%d\n%s",
				len(planted), out.Valid, out.Errors, len(out.Diagnostics), r)
		}
		for _, p := range planted {
			found := false
			for _, d := range out.Diagnostics {
				if d.Severity == "error" && d.File == "broken.yaml" && d.Line == p.line && d.Col == p.col && d.Path == p.path {
					found = true
				}
			}
			if !found {
				t.Errorf("no error diagnostic at broken.yaml:%d:%d for %s\n%s", p.line, p.col, p.path, r)
			}
		}
	})

	t.Run("syntax error", func(t *testing.T) {
		t.Parallel()
		r := sluice(t, dir, "validate", "-f", "syntax.yaml")
		expectCode(t, r, 2)
		expectContains(t, r, "stdout", r.stdout, "syntax.yaml:7:5: error: YAML syntax error")
	})
}

// TestValidateUsageErrors covers what goes wrong before any pipeline is read.
func TestValidateUsageErrors(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"missing file", []string{"validate", "-f", "nope.yaml"}, "pipeline file nope.yaml does not exist"},
		{"no sluice.yaml here", []string{"validate"}, "no sluice.yaml in this folder"},
		{"unknown flag", []string{"validate", "--strict"}, "unknown flag: --strict"},
		{"bad format", []string{"validate", "--format", "xml"}, `--format "xml"`},
		{"unknown command", []string{"vaildate"}, `unknown command "vaildate"`},
		{"unknown global flag", []string{"--colour", "runs"}, "unknown flag: --colour"},
		{"extra argument", []string{"validate", "sluice.yaml"}, "-f FILE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := sluice(t, empty, tc.args...)
			expectCode(t, r, 2)
			expectContains(t, r, "stderr", r.stderr, tc.want)
		})
	}
}
