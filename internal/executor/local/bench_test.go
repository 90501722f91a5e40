//go:build linux

package local

import (
	"context"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/executor"
)

// BenchmarkOutput measures how fast a step's output reaches out (MB/s), from
// the tiny lines of `yes` to lines long enough to be split. The generator
// runs in the step too, sharing the machine's cores.
func BenchmarkOutput(b *testing.B) {
	const size = 64 << 20
	cases := []struct {
		name, gen string
	}{
		{"2B-lines", "yes"},
		{"100B-lines", "yes " + strings.Repeat("x", 99)},
		{"100KB-lines", "yes " + strings.Repeat("x", 99_999)}, // two chunks each
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e := New(Options{})
			dir := b.TempDir()
			step := executor.Step{
				Command: "head -c " + itoa(size) + " <(" + c.gen + ")",
				Dir:     dir, Env: testEnv,
			}
			b.SetBytes(size)
			for b.Loop() {
				var n int64
				res, err := e.Run(context.Background(), step, func(l executor.Line) { n += int64(len(l.Text)) })
				if err != nil || res.ExitCode != 0 || n == 0 {
					b.Fatalf("Run = %+v, %v (%d bytes)", res, err, n)
				}
			}
		})
	}
}
