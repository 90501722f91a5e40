package iac

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// addSeeds adds every file of the given folders to the fuzz corpus.
func addSeeds(f *testing.F, dirs ...string) {
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// checkDocs fails when a document or a finding points outside the file.
func checkDocs(t *testing.T, set *policySet, scanner string, docs []*document) {
	for _, d := range docs {
		lines := d.file.lineCount()
		if d.span.start < 1 || d.span.end < d.span.start || d.span.end > lines {
			t.Fatalf("%s: span %+v outside the file's %d lines", d.resource, d.span, lines)
		}
		for k, s := range d.locs {
			if s.start < 1 || s.end > lines {
				t.Fatalf("%s: %s at %+v outside the file's %d lines", d.resource, k, s, lines)
			}
		}
		found, errs := set.evaluate(context.Background(), scanner, d, nil)
		if len(errs) > 0 {
			t.Fatalf("%s: built-in checks failed: %v", d.resource, errs)
		}
		for _, f := range found {
			if l := f.Location; l.StartLine < 1 || l.EndLine < l.StartLine || l.EndLine > lines {
				t.Fatalf("%s: lines %d-%d outside the file's %d lines", f.RuleID, l.StartLine, l.EndLine, lines)
			}
		}
	}
}

// FuzzHCL checks that no .tf content makes the HCL-to-input conversion
// or the built-in checks panic or point outside the file. Seeds: the test
// corpora and testdata/fuzz/FuzzHCL.
func FuzzHCL(f *testing.F) {
	addSeeds(f, "testdata/terraform/insecure", "testdata/terraform/clean", "testdata/terraform/suppressed")
	set, err := builtinSets[targetTerraform]()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		blocks, err := parseHCL("f.tf", data)
		if err != nil {
			return
		}
		docs, err := moduleDocuments(blocks)
		if err != nil {
			t.Fatalf("documents of parsed HCL: %v", err)
		}
		checkDocs(t, set, TerraformName, docs)
	})
}

// FuzzManifest checks that no YAML content makes the manifest splitter,
// the YAML conversion or the built-in checks panic or point outside the
// file. Seeds: the test corpora and testdata/fuzz/FuzzManifest.
func FuzzManifest(f *testing.F) {
	addSeeds(f, "testdata/kubernetes/insecure", "testdata/kubernetes/clean", "testdata/kubernetes/suppressed")
	set, err := builtinSets[targetKubernetes]()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range splitDocuments(data) {
			if c.line < 1 || len(c.data) == 0 {
				t.Fatalf("chunk at line %d of %d bytes", c.line, len(c.data))
			}
		}
		docs, _ := manifestDocuments("f.yaml", data)
		checkDocs(t, set, KubernetesName, docs)
	})
}
