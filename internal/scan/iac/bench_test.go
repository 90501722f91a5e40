package iac

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// The scanner benchmarks read SLUICE_BENCH_IAC when set (bench/iac.sh
// generates a tree there), else the test corpora, and write the findings
// of their last run to SLUICE_BENCH_IAC_REPORT as {"findings": […]} when
// that is set, the shape of `sluice scan --format json`.
func benchScanner(b *testing.B, s scan.Scanner, def string) {
	root := os.Getenv("SLUICE_BENCH_IAC")
	if root == "" {
		root = def
	}
	files, _, err := scan.Walk(context.Background(), root, scan.WalkOptions{})
	if err != nil {
		b.Fatal(err)
	}
	target := &scan.Target{Root: root, Files: files}
	var (
		h   scan.Health
		mu  sync.Mutex
		all []findings.Finding
	)
	for b.Loop() {
		all = all[:0]
		h, err = s.Scan(context.Background(), target, func(f findings.Finding) {
			mu.Lock()
			all = append(all, f)
			mu.Unlock()
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(h.Files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(h.Findings), "findings")
	b.ReportMetric(float64(h.Files), "files")
	if out := os.Getenv("SLUICE_BENCH_IAC_REPORT"); out != "" {
		data, err := json.Marshal(map[string]any{"findings": all, "health": h})
		if err == nil {
			err = os.WriteFile(out, data, 0o644)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTerraform(b *testing.B) {
	benchScanner(b, NewTerraform(Options{}), "testdata/terraform")
}

func BenchmarkKubernetes(b *testing.B) {
	benchScanner(b, NewKubernetes(Options{}), "testdata/kubernetes")
}
