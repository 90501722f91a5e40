package analysis

import (
	"math"
	"testing"
)

func TestMannWhitneyUKnownValues(t *testing.T) {
	// Conover's example, also in SciPy's documentation of mannwhitneyu:
	// males 19 22 16 29 24, females 20 11 17 12. Ranks of the males are
	// 5 7 3 9 8 (sum 32), U = 32 - 15 = 17 of 20 pairs. Exact: 7 of the
	// C(9,4) = 126 arrangements give U >= 17, p = 2*7/126 = 0.1111;
	// SciPy's documented values are 17.0 and 0.1111111111111111 (exact)
	// and 0.11134688653314041 (asymptotic).
	males := []float64{19, 22, 16, 29, 24}
	females := []float64{20, 11, 17, 12}
	tests := []struct {
		name  string
		a, b  []float64
		u, p  float64
		pTol  float64
		exact bool
	}{
		{"Conover males vs females", males, females, 17, 1.0 / 9, 1e-12, true},
		{"Conover females vs males", females, males, 3, 1.0 / 9, 1e-12, true},
		// All of a below all of b: 1 of C(6,3) = 20 arrangements, p = 0.1.
		{"separated 3+3", []float64{1, 2, 3}, []float64{4, 5, 6}, 0, 0.1, 1e-12, true},
		// U counts 0..9 for 3+3 occur 1 1 2 3 3 3 3 2 1 1 times: P(U<=3)
		// = 7/20, p = 0.7.
		{"interleaved 3+3", []float64{1, 3, 5}, []float64{2, 4, 6}, 3, 0.7, 1e-12, true},
		// 5+5 separated: 2/C(10,5) = 2/252.
		{"separated 5+5", []float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 5}, 25, 2.0 / 252, 1e-12, true},
		// With ties, by hand: midranks 1, 3, 3, 5.5 for a (sum 12.5),
		// U = 2.5; mean 8; tie groups 3, 2, 2 give sum(t^3-t) = 36;
		// variance = 16/12 * (9 - 36/56) = 11.142857; z = (5.5-0.5)/3.33809
		// = 1.49786; p = erfc(z/sqrt 2) = 0.134169.
		{"ties by hand", []float64{1, 2, 2, 3}, []float64{2, 3, 4, 4}, 2.5, 0.134169180, 1e-8, false},
	}
	for _, tt := range tests {
		u, p := MannWhitneyU(tt.a, tt.b)
		if u != tt.u || !near(p, tt.p, tt.pTol) {
			t.Errorf("%s: u, p = %v, %.12f; want %v, %.12f", tt.name, u, p, tt.u, tt.p)
		}
	}

	// The normal approximation alone on Conover's example gives SciPy's
	// asymptotic value.
	u, ties := rankSumU(males, females)
	if p := normalP(u, 5, 4, ties); !near(p, 0.11134688653314041, 1e-12) {
		t.Errorf("asymptotic p = %.17f, want 0.11134688653314041", p)
	}
}

func TestUDistribution(t *testing.T) {
	for n1 := 1; n1 <= 8; n1++ {
		for n2 := 1; n2 <= 8; n2++ {
			f := uDistribution(n1, n2)
			if len(f) != n1*n2+1 {
				t.Fatalf("%d+%d: %d values", n1, n2, len(f))
			}
			var total float64
			for k := range f {
				total += f[k]
				if f[k] != f[len(f)-1-k] {
					t.Fatalf("%d+%d: not symmetric at %d", n1, n2, k)
				}
			}
			if want := binomial(n1+n2, n1); total != want {
				t.Fatalf("%d+%d: %v arrangements, want C(%d,%d) = %v", n1, n2, total, n1+n2, n1, want)
			}
		}
	}
}

func binomial(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return math.Round(r)
}

func TestMannWhitneyUEdges(t *testing.T) {
	if u, p := MannWhitneyU(nil, []float64{1, 2}); u != 0 || p != 1 {
		t.Errorf("empty sample: %v, %v; want 0, 1", u, p)
	}
	if u, p := MannWhitneyU([]float64{math.NaN()}, []float64{1}); u != 0 || p != 1 {
		t.Errorf("only NaN: %v, %v; want 0, 1", u, p)
	}
	if u, p := MannWhitneyU([]float64{2, 2, 2}, []float64{2, 2}); u != 3 || p != 1 {
		t.Errorf("all equal: %v, %v; want 3, 1", u, p)
	}
	// NaN is dropped, not ranked.
	if u, p := MannWhitneyU([]float64{1, math.NaN(), 2, 3}, []float64{4, 5, 6}); u != 0 || !near(p, 0.1, 1e-12) {
		t.Errorf("with NaN: %v, %v; want 0, 0.1", u, p)
	}
}

// latencies returns n deterministic latencies around base seconds.
func latencies(n int, base float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = base + 0.01*math.Mod(float64(i)*7.31, 10) // spread 0 … 0.1
	}
	return out
}

func TestCompareLatency(t *testing.T) {
	stable := latencies(300, 0.100)
	slower := latencies(300, 0.115)
	faster := latencies(300, 0.085)

	worse, p := CompareLatency(slower, stable, 0.01)
	if !worse || p >= 0.01 {
		t.Errorf("candidate 15ms slower: worse %v p %v; want worse with p < 0.01", worse, p)
	}
	if worse, p := CompareLatency(faster, stable, 0.01); worse || p >= 0.01 {
		t.Errorf("candidate 15ms faster: worse %v p %v; want a significant difference but not worse", worse, p)
	}
	if worse, p := CompareLatency(latencies(300, 0.100), stable, 0.05); worse || p < 0.5 {
		t.Errorf("same latencies: worse %v p %v; want not worse, large p", worse, p)
	}
	// Too few samples to show anything at alpha 0.05: 3+3 cannot go
	// below p = 0.1.
	if worse, p := CompareLatency([]float64{4, 5, 6}, []float64{1, 2, 3}, 0.05); worse || !near(p, 0.1, 1e-12) {
		t.Errorf("3+3 samples: worse %v p %v; want not worse, p 0.1", worse, p)
	}
	// An alpha outside (0,1) means 0.05: 2/252 < 0.05.
	if worse, _ := CompareLatency([]float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 5}, 7); !worse {
		t.Error("alpha 7 taken as 0.05: want worse")
	}
}
