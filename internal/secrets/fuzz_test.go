package secrets

import (
	"strings"
	"testing"
)

// FuzzMask checks that a secret of minDerived or more bytes never survives
// masking, wherever it sits in arbitrary text. Seeds live in
// testdata/fuzz/FuzzMask.
func FuzzMask(f *testing.F) {
	f.Add("hunter22", "password: hunter22\n")
	f.Fuzz(func(t *testing.T, secret, text string) {
		if len(secret) < minDerived {
			return
		}
		m := NewMasker(secret)
		for _, in := range []string{text, secret + text, text + secret, text + secret + text} {
			if out := m.Mask(in); strings.Contains(out, secret) {
				t.Fatalf("secret %q survives masking %q: %q", secret, in, out)
			}
		}
	})
}
