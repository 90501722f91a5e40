package osv

import (
	"fmt"
	"math"
	"strings"
)

// CVSS3Score computes the base score of a CVSS v3.0 or v3.1 vector such as
// "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" with the specification's
// formula. Temporal and environmental metrics in the vector are accepted
// and ignored. All eight base metrics are required.
func CVSS3Score(vector string) (float64, error) {
	parts := strings.Split(strings.TrimSpace(vector), "/")
	if len(parts) == 0 || (parts[0] != "CVSS:3.0" && parts[0] != "CVSS:3.1") {
		return 0, fmt.Errorf("CVSS vector %q: not CVSS v3", vector)
	}
	m := map[string]string{}
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(p, ":")
		if !ok {
			return 0, fmt.Errorf("CVSS vector %q: bad metric %q", vector, p)
		}
		if _, dup := m[k]; dup {
			return 0, fmt.Errorf("CVSS vector %q: metric %s given twice", vector, k)
		}
		m[k] = val
	}
	changed := false
	switch m["S"] {
	case "U":
	case "C":
		changed = true
	default:
		return 0, fmt.Errorf("CVSS vector %q: scope must be U or C", vector)
	}
	pr := map[string]float64{"N": 0.85, "L": 0.62, "H": 0.27}
	if changed {
		pr = map[string]float64{"N": 0.85, "L": 0.68, "H": 0.5}
	}
	cia := map[string]float64{"H": 0.56, "L": 0.22, "N": 0}
	weights := []struct {
		metric string
		values map[string]float64
	}{
		{"AV", map[string]float64{"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}},
		{"AC", map[string]float64{"L": 0.77, "H": 0.44}},
		{"PR", pr},
		{"UI", map[string]float64{"N": 0.85, "R": 0.62}},
		{"C", cia}, {"I", cia}, {"A", cia},
	}
	w := map[string]float64{}
	for _, x := range weights {
		val, ok := x.values[m[x.metric]]
		if !ok {
			return 0, fmt.Errorf("CVSS vector %q: metric %s has no valid value", vector, x.metric)
		}
		w[x.metric] = val
	}
	iss := 1 - (1-w["C"])*(1-w["I"])*(1-w["A"])
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	if impact <= 0 {
		return 0, nil
	}
	exploitability := 8.22 * w["AV"] * w["AC"] * w["PR"] * w["UI"]
	base := impact + exploitability
	if changed {
		base *= 1.08
	}
	round := roundUp31
	if parts[0] == "CVSS:3.0" {
		round = func(x float64) float64 { return math.Ceil(x*10) / 10 }
	}
	return round(math.Min(base, 10)), nil
}

// roundUp31 is CVSS v3.1's Roundup: the smallest number with one decimal
// that is at least x, computed on integers to avoid floating-point
// surprises (4.000000001 must round to 4.0, not 4.1).
func roundUp31(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}
