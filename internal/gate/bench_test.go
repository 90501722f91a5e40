package gate

import (
	"fmt"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// BenchmarkEvaluate judges 10,000 findings with 200 suppressions and a
// 5,000-finding baseline: a large monorepo's evidence.
func BenchmarkEvaluate(b *testing.B) {
	var in Input
	in.Env, in.Now = "production", now
	in.Policy = &spec.Gates{Mode: "block", Block: "medium", NewOnly: true, KnownExploited: "block", Require: []string{"deps", "sast"}}
	in.Health = ran("deps", "sast")
	for i := range 10000 {
		f := findings.Finding{Fingerprint: fmt.Sprintf("fp-%d", i), Scanner: "sast", RuleID: fmt.Sprintf("R%d", i%50),
			Category: findings.SAST, Severity: findings.Severity(i % 5),
			Location: findings.Location{Path: fmt.Sprintf("pkg%d/file%d.go", i%100, i), StartLine: i % 300}}
		in.Findings = append(in.Findings, f)
		if i%2 == 0 {
			in.Baseline = append(in.Baseline, f.Fingerprint)
		}
	}
	for i := range 200 {
		in.Suppressions = append(in.Suppressions, Suppression{Rule: fmt.Sprintf("R%d", (i*7)%50), Path: fmt.Sprintf("pkg%d/**", i),
			Reason: "r", Owner: "o", Source: fmt.Sprintf("ignore.yaml:%d", i)})
	}
	b.ResetTimer()
	for b.Loop() {
		if d := Evaluate(in); d.Outcome != Block {
			b.Fatal(d.Outcome)
		}
	}
}
