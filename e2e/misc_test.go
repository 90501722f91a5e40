package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestCommands covers the small commands and the errors of the reading ones.
func TestCommands(t *testing.T) {
	t.Parallel()
	withRun := fixture(t, "misc")
	expectCode(t, sluice(t, withRun, "run", "--plain", "--job", "deps"), 0)
	empty := t.TempDir()

	cases := []struct {
		name   string
		dir    string
		args   []string
		code   int
		stdout string // a substring, or "json" for valid JSON
		stderr string
	}{
		{"version", empty, []string{"version"}, 0, "sluice ", ""},
		{"version json", empty, []string{"version", "--json"}, 0, "json", ""},
		{"completion bash", empty, []string{"completion", "bash"}, 0, "complete -o default -F __start_sluice sluice", ""},
		{"schema", empty, []string{"schema"}, 0, "json", ""},
		{"logs of a missing run", withRun, []string{"logs", "999"}, 2, "", "no run 999"},
		{"show of a missing run", withRun, []string{"show", "999"}, 2, "", "no run 999"},
		{"logs of a missing job", withRun, []string{"logs", "1", "nope"}, 2, "", `no job "nope"`},
		{"runs with no store", empty, []string{"runs"}, 2, "", "no runs here yet"},
		{"runs with no store says what to do", empty, []string{"runs"}, 2, "", "sluice run"},
		{"logs with no store", empty, []string{"logs", "1"}, 2, "", "no runs here yet"},
		{"run with no pipeline", empty, []string{"run"}, 2, "", "no sluice.yaml"},
		{"run of an unknown job", withRun, []string{"run", "--job", "nope"}, 2, "", `no job "nope"`},
		{"run with a bad var", withRun, []string{"run", "--var", "NOEQUALS"}, 2, "", `--var "NOEQUALS"`},
		{"resume of a succeeded run", withRun, []string{"run", "--resume", "1"}, 2, "", "succeeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := sluice(t, tc.dir, tc.args...)
			expectCode(t, r, tc.code)
			switch tc.stdout {
			case "":
			case "json":
				if !json.Valid([]byte(r.stdout)) {
					t.Errorf("stdout is not valid JSON\n%s", r)
				}
			default:
				expectContains(t, r, "stdout", r.stdout, tc.stdout)
			}
			expectContains(t, r, "stderr", r.stderr, tc.stderr)
		})
	}
}

// TestSchemaDescribesPipeline checks that `sluice schema` is a JSON Schema
// of the pipeline file, not just any JSON: it compiles, accepts a valid
// pipeline and rejects one with a misspelt key.
func TestSchemaDescribesPipeline(t *testing.T) {
	t.Parallel()
	r := sluice(t, t.TempDir(), "schema")
	expectCode(t, r, 0)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatalf("schema is not JSON: %v\n%s", err, r)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sluice.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sluice.schema.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}

	valid, err := os.ReadFile(filepath.Join("testdata", "validate", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(yamlAsJSON(t, valid)); err != nil {
		t.Errorf("the schema rejects testdata/validate/valid.yaml: %v", err)
	}
	typo := []byte("version: 1\njobs:\n  build:\n    neds: [lint]\n    steps: [{run: make}]\n")
	if err := schema.Validate(yamlAsJSON(t, typo)); err == nil {
		t.Errorf("the schema accepts a job with the unknown key neds")
	}
}

// yamlAsJSON decodes YAML into the value the schema validator expects.
func yamlAsJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSelectedJobAndMatrix: --job runs only that job and what it needs; a
// matrix job expands into one job per value, each with its own id and log.
func TestSelectedJobAndMatrix(t *testing.T) {
	t.Parallel()
	dir := fixture(t, "misc")

	r := sluice(t, dir, "run", "--plain", "--job", "build")
	expectCode(t, r, 0)
	var ids []string
	for _, j := range show(t, dir, "1").Jobs {
		ids = append(ids, j.ID+"="+j.Status)
	}
	if got, want := strings.Join(ids, " "), "deps=succeeded build=succeeded"; got != want {
		t.Errorf("--job build: want jobs %q, got %q\n%s", want, got, r)
	}

	r = sluice(t, dir, "run", "--plain")
	expectCode(t, r, 0)
	run := show(t, dir, "2")
	if len(run.Jobs) != 5 {
		t.Errorf("want 5 jobs (lint, deps, build and two test instances), got %d", len(run.Jobs))
	}
	for _, v := range []string{"1.22", "1.23"} {
		id := "test[go=" + v + "]"
		j := run.job(t, id)
		if j.Status != "succeeded" || j.Matrix["go"] != v || len(j.Needs) != 1 || j.Needs[0] != "build" {
			t.Errorf("%s: want succeeded with matrix go=%s needing build, got %s %v %v", id, v, j.Status, j.Matrix, j.Needs)
		}
		logs := sluice(t, dir, "logs", "2", id)
		expectCode(t, logs, 0)
		expectContains(t, logs, "logs of "+id, logs.stdout, "testing with go "+v)
	}
}
