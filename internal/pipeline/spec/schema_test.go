package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// examplePipeline is the example project's pipeline, written by its own
// package; the schema test validates it when it is there.
const examplePipeline = "../../../examples/goodbooks/sluice.yaml"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatalf("schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

// yamlToJSON converts a YAML file to the value a JSON parser would give.
func yamlToJSON(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchemaValidatesValidFiles(t *testing.T) {
	s := compileSchema(t)
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/valid files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := s.Validate(yamlToJSON(t, f)); err != nil {
				t.Errorf("%s does not match the schema: %v", f, err)
			}
		})
	}
	t.Run("examples/goodbooks", func(t *testing.T) {
		if _, err := os.Stat(examplePipeline); err != nil {
			t.Skipf("%s not present: %v", examplePipeline, err)
		}
		if err := s.Validate(yamlToJSON(t, examplePipeline)); err != nil {
			t.Errorf("example pipeline does not match the schema: %v", err)
		}
	})
}

// TestSchemaRejects checks that the schema catches mistakes the parser
// catches too, so editors flag them as the user types.
func TestSchemaRejects(t *testing.T) {
	s := compileSchema(t)
	for _, f := range []string{"environments.yaml", "triggers.yaml", "matrix.yaml", "shorthand.yaml", "edge.yaml"} {
		if err := s.Validate(yamlToJSON(t, filepath.Join("testdata/invalid", f))); err == nil {
			t.Errorf("%s passes the schema", f)
		}
	}
}

// TestSchemaKeysMatchParser keeps schema.json and the parser in step: each
// closed definition's properties are exactly the keys the parser accepts.
func TestSchemaKeysMatchParser(t *testing.T) {
	var schema struct {
		Defs map[string]map[string]any `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	props := func(def string) []string {
		m, _ := schema.Defs[def]["properties"].(map[string]any)
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	}
	for kind, keys := range knownKeys {
		if _, ok := schema.Defs[kind]; !ok {
			t.Errorf("schema has no definition %q", kind)
			continue
		}
		want := slices.Sorted(slices.Values(keys))
		if got := props(kind); !slices.Equal(got, want) {
			t.Errorf("%s: schema properties %v, parser keys %v", kind, got, want)
		}
		if schema.Defs[kind]["additionalProperties"] != false {
			t.Errorf("%s: schema allows keys the parser rejects (set additionalProperties: false)", kind)
		}
	}
	for name, def := range schema.Defs {
		if def["additionalProperties"] == false {
			if _, ok := knownKeys[name]; !ok {
				t.Errorf("schema definition %q is closed but the parser has no key list for it", name)
			}
		}
	}
	if got := props("matrix"); !slices.Equal(got, slices.Sorted(slices.Values(matrixKeys))) {
		t.Errorf("matrix: schema properties %v, parser keys %v", got, matrixKeys)
	}
}

// TestSchemaDescriptions checks that every property has a description, so
// editors show help for each key.
func TestSchemaDescriptions(t *testing.T) {
	var root any
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ps, ok := x["properties"].(map[string]any); ok {
				for name, p := range ps {
					pm, _ := p.(map[string]any)
					if d, _ := pm["description"].(string); d == "" {
						t.Errorf("%s.properties.%s has no description", path, name)
					}
				}
			}
			for k, c := range x {
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range x {
				walk(path+"[]", c)
			}
		}
	}
	walk("schema", root)
}
