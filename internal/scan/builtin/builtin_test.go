package builtin

import (
	"slices"
	"sort"
	"testing"

	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// TestPipelineKnowsEveryScanner keeps the names sluice.yaml's scan: accepts
// equal to the scanners registered here.
func TestPipelineKnowsEveryScanner(t *testing.T) {
	known := slices.Clone(spec.Scanners)
	sort.Strings(known)
	if got := Names(); !slices.Equal(got, known) {
		t.Fatalf("registered scanners %v, but spec.Scanners is %v: update internal/pipeline/spec/keys.go", got, known)
	}
}
