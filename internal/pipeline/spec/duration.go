package spec

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a duration the way sluice.yaml writes it: Go syntax
// ("90s", "1h30m", "250ms") plus "d" for days of 24 hours ("2d", "1d12h").
// Negative durations are rejected; a bare "0" is zero.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if strings.ContainsAny(s, " \t") {
		return 0, errors.New("remove the spaces")
	}
	if strings.HasPrefix(s, "-") {
		return 0, errors.New("must not be negative")
	}
	s = strings.TrimPrefix(s, "+")
	if s == "0" {
		return 0, nil
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] == '.' || rest[i] >= '0' && rest[i] <= '9') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("expected a number at %q", rest)
		}
		num := rest[:i]
		j := i
		for j < len(rest) && !(rest[j] == '.' || rest[j] >= '0' && rest[j] <= '9') {
			j++
		}
		unit := rest[i:j]
		rest = rest[j:]
		if unit == "" {
			return 0, fmt.Errorf("missing unit after %s (use s, m, h or d)", num)
		}
		var part time.Duration
		if unit == "d" {
			days, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("bad number %q", num)
			}
			hours := days * 24 * float64(time.Hour)
			if hours > math.MaxInt64 {
				return 0, errors.New("duration is too long")
			}
			part = time.Duration(hours)
		} else {
			switch unit {
			case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
			default:
				return 0, fmt.Errorf("unknown unit %q (use ms, s, m, h or d)", unit)
			}
			d, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, fmt.Errorf("bad number %q", num)
			}
			part = d
		}
		if total > math.MaxInt64-part {
			return 0, errors.New("duration is too long")
		}
		total += part
	}
	return total, nil
}

// String renders the duration in Go syntax ("1h30m0s"), or "0s".
func (d Duration) String() string { return time.Duration(d).String() }
