package engine_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/executor/local"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
)

// benchPipeline is n jobs running `true`, independent or in a chain.
func benchPipeline(n int, chain bool) string {
	var b strings.Builder
	b.WriteString("version: 1\njobs:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  j%03d:\n", i)
		if chain && i > 0 {
			fmt.Fprintf(&b, "    needs: [j%03d]\n", i-1)
		}
		b.WriteString("    steps: [{ run: \"true\" }]\n")
	}
	return b.String()
}

// BenchmarkEngine reports the time per step (job of one `true` step),
// including the process spawn; compare with BenchmarkShellTrue for the
// engine's own overhead.
func BenchmarkEngine(b *testing.B) {
	for _, shape := range []struct {
		name  string
		chain bool
	}{{"parallel", false}, {"chain", true}} {
		b.Run(shape.name, func(b *testing.B) {
			const n = 50
			src := benchPipeline(n, shape.chain)
			p, diags := spec.Parse("bench.yaml", []byte(src))
			if diags.HasErrors() {
				b.Fatal(diags)
			}
			dir, data := b.TempDir(), b.TempDir()
			st, err := sqlstore.Open(context.Background(), data)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			eng := engine.New(engine.Options{Store: st, Executor: local.New(local.Options{}), StateDir: data})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				run, err := eng.Run(context.Background(), engine.Request{Pipeline: p, Source: []byte(src), File: "bench.yaml", Workdir: dir,
					BaseEnv: map[string]string{"PATH": os.Getenv("PATH")}})
				if err != nil || run.Status != store.StatusSucceeded {
					b.Fatalf("run: %v %v", err, run)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n)/1000, "ms/step")
		})
	}
}
