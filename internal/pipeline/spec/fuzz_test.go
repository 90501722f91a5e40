package spec_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluice-ci/sluice/internal/pipeline/lint"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// FuzzParse feeds arbitrary bytes to Parse and lint.Check: they must never
// panic, and every diagnostic must point into the file (unless it is empty).
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*.yaml", "testdata/invalid/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{
		"",
		"\n",
		"%YAML 1.2\n---\nversion: 1\n...\n",
		"? [a, b]\n: c\n",
		": x\n",
		"version: !!str 1\njobs: !!map {a: {steps: [{run: !custom x}]}}\n",
		"version: 1\njobs:\n  a:\n    steps:\n      - run: |\n          echo\n        env: {A: !!binary aGk=}\n",
		"version: 1\njobs: {a: {steps: [{run: x}], needs: [[a]], matrix: {x: [[1]], include: [[]]}}}\n",
		"version: 1\nenvironments: {p: {strategy: {canary: {steps: [a, 0, 101]}}, waf: [1]}}\n",
		"version: 1\n# comment only after\n",
		"&a version: 1\n",
		"version: 1\njobs: *undefined\n",
		"version: 1\n<<: {name: merged}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, ds := spec.Parse("fuzz.yaml", data)
		if p == nil {
			t.Fatal("Parse returned a nil pipeline")
		}
		ds = append(ds, lint.Check(p)...)
		// YAML breaks lines at \n, \r\n and a lone \r.
		norm := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		lines := bytes.Count(norm, []byte("\n")) + bytes.Count(norm, []byte("\r")) + 1
		for _, d := range ds {
			if len(bytes.TrimSpace(data)) == 0 {
				continue
			}
			if d.Line <= 0 || d.Col <= 0 || d.Line > lines {
				t.Errorf("diagnostic outside the file (%d lines): %s", lines, d)
			}
		}
	})
}
