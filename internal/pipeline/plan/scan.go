package plan

import (
	"strings"

	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// ScanStep is the step a job with scan: runs: sluice's own scanner over the
// workspace, printing a table to the log and saving a SARIF report where
// the engine says ($SLUICE_REPORTS). Scanner names were validated by the
// parser; everything else comes from the environment, so nothing is
// interpolated into the shell.
func ScanStep(scanners []string) *spec.Step {
	return &spec.Step{
		Name: "scan: " + strings.Join(scanners, ", "),
		Run: `"$SLUICE_BIN" scan --scanners ` + strings.Join(scanners, ",") +
			` --sarif "$SLUICE_REPORTS/$SLUICE_JOB_FILE.sarif" --json "$SLUICE_REPORTS/$SLUICE_JOB_FILE.json" .`,
	}
}
