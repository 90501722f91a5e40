package analysis

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Condition keys: the metrics a condition can compare, plus MinRequests.
const (
	KeySuccessRate = "success_rate"
	KeyErrorRate   = "error_rate"
	KeyP50         = "p50"
	KeyP90         = "p90"
	KeyP95         = "p95"
	KeyP99         = "p99"
	KeyRPS         = "rps"
	KeyMinRequests = "min_requests"
)

// conditionKeys lists the valid keys in the order conditions are returned.
var conditionKeys = []string{KeySuccessRate, KeyErrorRate, KeyP50, KeyP90, KeyP95, KeyP99, KeyRPS, KeyMinRequests}

// Condition is one comparison of a measured metric with a threshold, such
// as "p99 <= 500ms".
type Condition struct {
	// Key is the metric compared, one of the Key constants.
	Key string
	// Op is ">=", ">", "<=", "<" or "==". For KeyMinRequests it is
	// always ">=".
	Op string
	// Threshold is in the metric's unit: a fraction 0..1 for the rates,
	// seconds for the percentiles, requests per second for rps, a count
	// for min_requests.
	Threshold float64
	// Text is the threshold as written ("99%", "500ms").
	Text string
}

// String returns the condition as a user would write it: "p99 <= 500ms".
func (c Condition) String() string {
	return c.Key + " " + c.Op + " " + c.Text
}

// Value returns the measured value c compares, in c's unit, and false when
// c does not compare a metric (min_requests).
func (c Condition) Value(m Metrics) (float64, bool) {
	switch c.Key {
	case KeySuccessRate:
		return m.SuccessRate, true
	case KeyErrorRate:
		return m.ErrorRate, true
	case KeyP50:
		return m.P50.Seconds(), true
	case KeyP90:
		return m.P90.Seconds(), true
	case KeyP95:
		return m.P95.Seconds(), true
	case KeyP99:
		return m.P99.Seconds(), true
	case KeyRPS:
		return m.RPS, true
	}
	return 0, false
}

// Holds reports whether m meets c; a condition on no metric (min_requests)
// holds when m has at least Threshold requests.
func (c Condition) Holds(m Metrics) bool {
	v, ok := c.Value(m)
	if !ok {
		return float64(m.Requests) >= c.Threshold
	}
	switch c.Op {
	case ">=":
		return v >= c.Threshold
	case ">":
		return v > c.Threshold
	case "<=":
		return v <= c.Threshold
	case "<":
		return v < c.Threshold
	case "==":
		// Measured rates are quotients: equal within rounding.
		return math.Abs(v-c.Threshold) <= 1e-9*max(1, math.Abs(c.Threshold))
	}
	return false
}

// Format writes v in c's unit the way thresholds are written: "97.5%",
// "730ms", "12.3".
func (c Condition) Format(v float64) string {
	switch c.Key {
	case KeySuccessRate, KeyErrorRate:
		return strconv.FormatFloat(math.Round(v*1e4)/1e2, 'f', -1, 64) + "%"
	case KeyP50, KeyP90, KeyP95, KeyP99:
		return formatSeconds(v)
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

func formatSeconds(s float64) string {
	d := seconds(s)
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// ParseConditions parses the conditions of a pipeline's canary analysis
// or monitor, key to threshold text:
//
//	success_rate, error_rate  ">= 99%", "> 2%", "< 0.05" (a fraction 0..1)
//	p50, p90, p95, p99        "<= 500ms", "< 1.5s" (a Go duration with unit)
//	rps                       ">= 10" (requests per second; "10/s" too)
//	min_requests              "100" or ">= 100" (a count)
//
// The operator is one of >=, >, <=, <, ==. The result is in the order of the
// list above. All problems are reported at once, each naming the key and
// the text; an unknown key lists the valid ones.
func ParseConditions(m map[string]string) ([]Condition, error) {
	var errs []error
	var conds []Condition
	for _, k := range slices.Sorted(maps.Keys(m)) {
		c, err := parseCondition(k, m[k])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		conds = append(conds, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortStableFunc(conds, func(a, b Condition) int {
		return slices.Index(conditionKeys, a.Key) - slices.Index(conditionKeys, b.Key)
	})
	return conds, nil
}

func parseCondition(key, text string) (Condition, error) {
	if !slices.Contains(conditionKeys, key) {
		return Condition{}, fmt.Errorf("condition %q: unknown metric; valid keys are %s", key, strings.Join(conditionKeys, ", "))
	}
	op, val := splitOp(strings.TrimSpace(text))
	c := Condition{Key: key, Op: op, Text: val}
	bad := func(format string, args ...any) (Condition, error) {
		return Condition{}, fmt.Errorf("condition %s: %q: %s", key, text, fmt.Sprintf(format, args...))
	}
	if val == "" {
		return bad("no threshold; write for example %s", example(key))
	}
	if key == KeyMinRequests {
		if op != "" && op != ">=" {
			return bad("min_requests is a plain count of requests, such as 100")
		}
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n < 0 {
			return bad("not a count: write a whole number of requests, such as 100")
		}
		c.Op, c.Threshold = ">=", float64(n)
		return c, nil
	}
	if op == "" {
		return bad("no comparison: write for example %s", example(key))
	}
	switch key {
	case KeySuccessRate, KeyErrorRate:
		if pct, ok := strings.CutSuffix(val, "%"); ok {
			f, err := parseNumber(strings.TrimSpace(pct))
			if err != nil || f < 0 || f > 100 {
				return bad("not a percentage between 0%% and 100%%")
			}
			c.Threshold = f / 100
			return c, nil
		}
		f, err := parseNumber(val)
		if err != nil {
			return bad("not a rate: write a percentage (99%%) or a fraction (0.99)")
		}
		if f < 0 || f > 1 {
			return bad("a fraction must be between 0 and 1: write %s%% for a percentage", val)
		}
		c.Threshold = f
	case KeyRPS:
		f, err := parseNumber(strings.TrimSpace(strings.TrimSuffix(val, "/s")))
		if err != nil || f < 0 {
			return bad("not a rate: write requests per second, such as 10")
		}
		c.Threshold = f
	default: // percentiles
		d, err := time.ParseDuration(val)
		if err != nil {
			if _, nerr := parseNumber(val); nerr == nil {
				return bad("a latency needs a unit, such as 500ms or 1.5s")
			}
			return bad("not a duration: write one such as 500ms or 1.5s")
		}
		if d < 0 {
			return bad("a latency cannot be negative")
		}
		c.Threshold = d.Seconds()
	}
	return c, nil
}

// splitOp separates a leading comparison operator from the value.
func splitOp(s string) (op, val string) {
	for _, o := range []string{">=", "<=", "==", ">", "<"} {
		if rest, ok := strings.CutPrefix(s, o); ok {
			return o, strings.TrimSpace(rest)
		}
	}
	return "", s
}

// parseNumber parses a finite decimal number.
func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not a finite number: %s", s)
	}
	return f, nil
}

func example(key string) string {
	switch key {
	case KeySuccessRate:
		return `">= 99%"`
	case KeyErrorRate:
		return `"< 1%"`
	case KeyRPS:
		return `">= 10"`
	case KeyMinRequests:
		return `"100"`
	}
	return `"<= 500ms"`
}
