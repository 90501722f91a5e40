package lint

import (
	"os"
	"testing"
)

// TestExamplePipeline checks the example project's pipeline, which every
// demo uses, loads with no diagnostics.
func TestExamplePipeline(t *testing.T) {
	const path = "../../../examples/goodbooks/sluice.yaml"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not present: %v", path, err)
	}
	_, ds := Load(path)
	for _, d := range ds {
		t.Errorf("%s", d)
	}
}
