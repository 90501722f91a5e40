package secrets

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func benchSecrets(n int) []string {
	r := rand.New(rand.NewPCG(3, 4))
	var out []string
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "tok%d-", i)
		for range 16 + r.IntN(24) {
			b.WriteByte(byte('!' + r.IntN(94)))
		}
		out = append(out, b.String())
	}
	return out
}

// BenchmarkMask masks 100-byte log lines against 20 secrets (about 300
// patterns); one line in ten holds a secret.
func BenchmarkMask(b *testing.B) {
	secrets := benchSecrets(20)
	m := NewMasker(secrets...)
	lines := make([]string, 10)
	for i := range lines {
		l := fmt.Sprintf("%03d go: downloading example.com/module v1.2.%d (build step output, ordinary text, padded to 100 bytes)", i, i)
		if i == 0 {
			l = "export TOKEN=" + secrets[7] + " # " + l
		}
		lines[i] = l[:100]
	}
	n := 0
	for b.Loop() {
		_ = m.Mask(lines[n%len(lines)])
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/line")
}
