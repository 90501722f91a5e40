package gosast

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// TestScanForBench scans the folder SLUICE_BENCH_DIR (walked like `sluice
// scan` walks it) and writes {"findings": […], "health": […]} to
// SLUICE_BENCH_OUT, the shape of `sluice scan --format json`. bench/gosec.sh
// times the compiled test binary this way while the scanner is not yet
// reachable from the sluice command.
func TestScanForBench(t *testing.T) {
	dir, out := os.Getenv("SLUICE_BENCH_DIR"), os.Getenv("SLUICE_BENCH_OUT")
	if dir == "" || out == "" {
		t.Skip("set SLUICE_BENCH_DIR and SLUICE_BENCH_OUT to scan a folder for bench/gosec.sh")
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	files, _, err := scan.Walk(ctx, root, scan.WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target := &scan.Target{Root: root, Files: files}
	res := scan.Run(ctx, target, []scan.Scanner{New(Options{})}, nil)
	data, err := json.MarshalIndent(map[string]any{"findings": res.Findings, "health": res.Health}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkCorpus scans the insecure corpus: one module, one package, six
// files, most of the time spent by the go command and type checking.
func BenchmarkCorpus(b *testing.B) {
	root, err := filepath.Abs(filepath.Join("testdata", "corpus", "insecure"))
	if err != nil {
		b.Fatal(err)
	}
	s := New(Options{})
	var mu sync.Mutex
	n := 0
	for b.Loop() {
		_, err := s.Scan(context.Background(), &scan.Target{Root: root}, func(findings.Finding) {
			mu.Lock()
			n++
			mu.Unlock()
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "findings/op")
}
