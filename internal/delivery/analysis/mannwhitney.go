package analysis

import (
	"math"
	"slices"
)

// exactMax is the largest sample size for which MannWhitneyU computes the
// exact p-value (when there are no ties): the distribution of U for two
// samples of 20 has 401 values and C(40,20) ≈ 1.4e11 arrangements, still
// exact in a float64.
const exactMax = 20

// MannWhitneyU runs the two-sided Mann-Whitney U test (Wilcoxon rank-sum)
// on samples a and b. u is the statistic of a: the number of pairs (x in
// a, y in b) with x > y, ties counting one half; it ranges over 0..len(a)*
// len(b), with len(a)*len(b)/2 expected when the samples come from the
// same distribution. p is the two-sided p-value.
//
// Without ties and with both samples of at most 20 values, p is exact
// (from the distribution of U over all arrangements). Otherwise p comes
// from the normal approximation with the tie correction of the variance
// and a continuity correction of 0.5. NaN values are dropped first; when
// either sample is then empty, or all values are equal, there is no
// evidence of a difference: u is 0 or len(a)*len(b)/2 and p is 1.
func MannWhitneyU(a, b []float64) (u float64, p float64) {
	a, b = dropNaN(a), dropNaN(b)
	n1, n2 := len(a), len(b)
	if n1 == 0 || n2 == 0 {
		return 0, 1
	}
	u, ties := rankSumU(a, b)
	if len(ties) == 0 && n1 <= exactMax && n2 <= exactMax {
		return u, exactP(u, n1, n2)
	}
	return u, normalP(u, n1, n2, ties)
}

// CompareLatency tells whether candidate's latencies are significantly
// higher than stable's: the two-sided Mann-Whitney p-value is below alpha
// and the candidate ranks above the stable release (its U is above half
// the pairs). p is that two-sided p-value. An alpha outside (0, 1) is
// taken as 0.05. Samples that are empty after dropping NaN are never
// worse (p 1).
func CompareLatency(candidate, stable []float64, alpha float64) (worse bool, p float64) {
	if !(alpha > 0 && alpha < 1) {
		alpha = 0.05
	}
	u, p := MannWhitneyU(candidate, stable)
	n1, n2 := len(dropNaN(candidate)), len(dropNaN(stable))
	return p < alpha && u > float64(n1)*float64(n2)/2, p
}

func dropNaN(x []float64) []float64 {
	if !slices.ContainsFunc(x, math.IsNaN) {
		return x
	}
	return slices.DeleteFunc(slices.Clone(x), math.IsNaN)
}

// rankSumU ranks a and b together (tied values share their mean rank)
// and returns a's U and the sizes of the tie groups (only those > 1).
func rankSumU(a, b []float64) (u float64, ties []int) {
	type obs struct {
		v     float64
		fromA bool
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, v := range a {
		all = append(all, obs{v, true})
	}
	for _, v := range b {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(x, y obs) int {
		switch {
		case x.v < y.v:
			return -1
		case x.v > y.v:
			return 1
		}
		return 0
	})
	var r1 float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+1+j) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if all[k].fromA {
				r1 += rank
			}
		}
		if j-i > 1 {
			ties = append(ties, j-i)
		}
		i = j
	}
	n1 := float64(len(a))
	return r1 - n1*(n1+1)/2, ties
}

// exactP is the exact two-sided p-value of an integer u for samples of n1
// and n2 without ties: twice the smaller tail, at most 1.
func exactP(u float64, n1, n2 int) float64 {
	freq := uDistribution(n1, n2)
	var total, low, high float64
	for k, f := range freq {
		total += f
		if float64(k) <= u {
			low += f
		}
		if float64(k) >= u {
			high += f
		}
	}
	return min(1, 2*min(low, high)/total)
}

// uDistribution returns how many arrangements of n1 and n2 values give
// each U = 0 … n1*n2, by the recurrence f(i,j,u) = f(i-1,j,u-j) +
// f(i,j-1,u): the largest value comes from the first sample (and beats
// all j of the second) or from the second.
func uDistribution(n1, n2 int) []float64 {
	prev := make([][]float64, n2+1) // prev[j] = f(i-1, j, ·)
	for j := range prev {
		prev[j] = []float64{1} // f(0, j) : U is 0
	}
	for i := 1; i <= n1; i++ {
		cur := make([][]float64, n2+1)
		cur[0] = []float64{1} // f(i, 0)
		for j := 1; j <= n2; j++ {
			f := make([]float64, i*j+1)
			for k, c := range prev[j] { // first sample's value on top: U += j
				f[k+j] += c
			}
			for k, c := range cur[j-1] {
				f[k] += c
			}
			cur[j] = f
		}
		prev = cur
	}
	return prev[n2]
}

// normalP is the two-sided p-value of u under the normal approximation,
// with the variance corrected for ties and a continuity correction.
func normalP(u float64, n1, n2 int, ties []int) float64 {
	fn1, fn2 := float64(n1), float64(n2)
	n := fn1 + fn2
	mu := fn1 * fn2 / 2
	var tieSum float64
	for _, t := range ties {
		ft := float64(t)
		tieSum += ft*ft*ft - ft
	}
	variance := fn1 * fn2 / 12 * ((n + 1) - tieSum/(n*(n-1)))
	if variance <= 0 {
		return 1
	}
	z := (math.Abs(u-mu) - 0.5) / math.Sqrt(variance)
	if z <= 0 {
		return 1
	}
	return min(1, math.Erfc(z/math.Sqrt2))
}
