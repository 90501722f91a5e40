package local

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HealthCheck says how a replica's health is probed: GET
// http://127.0.0.1:PORT+Path every Interval, each probe allowed Timeout; a
// 2xx or 3xx answer passes (redirects are not followed). A replica is healthy
// after HealthyThreshold passes in a row and unhealthy after
// UnhealthyThreshold failures in a row; a new replica has StartupTimeout to
// become healthy. Zero fields take the defaults of DefaultHealth.
type HealthCheck struct {
	Path               string
	Interval, Timeout  time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
	StartupTimeout     time.Duration
}

// DefaultHealth returns the health check used when deploy.health is absent:
// path /healthz, interval 500ms, timeout 2s, healthy_threshold 1,
// unhealthy_threshold 3, startup_timeout 60s.
func DefaultHealth() HealthCheck {
	return HealthCheck{
		Path:               "/healthz",
		Interval:           500 * time.Millisecond,
		Timeout:            2 * time.Second,
		HealthyThreshold:   1,
		UnhealthyThreshold: 3,
		StartupTimeout:     60 * time.Second,
	}
}

// withDefaults fills the zero fields from DefaultHealth.
func (hc HealthCheck) withDefaults() HealthCheck {
	d := DefaultHealth()
	if hc.Path == "" {
		hc.Path = d.Path
	}
	if hc.Interval <= 0 {
		hc.Interval = d.Interval
	}
	if hc.Timeout <= 0 {
		hc.Timeout = d.Timeout
	}
	if hc.HealthyThreshold <= 0 {
		hc.HealthyThreshold = d.HealthyThreshold
	}
	if hc.UnhealthyThreshold <= 0 {
		hc.UnhealthyThreshold = d.UnhealthyThreshold
	}
	if hc.StartupTimeout <= 0 {
		hc.StartupTimeout = d.StartupTimeout
	}
	return hc
}

// healthKeys are the keys deploy.health accepts.
var healthKeys = []string{"path", "interval", "timeout", "healthy_threshold", "unhealthy_threshold", "startup_timeout"}

// HealthFromSpec reads the deploy.health mapping of sluice.yaml (keys path,
// interval, timeout, healthy_threshold, unhealthy_threshold,
// startup_timeout; durations written like "500ms" or "2s"). Missing keys
// keep their defaults (DefaultHealth); a nil mapping gives the defaults. An
// unknown key or a bad value is an error naming the key.
func HealthFromSpec(m map[string]any) (HealthCheck, error) {
	hc := DefaultHealth()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		var err error
		switch k {
		case "path":
			s, ok := v.(string)
			if !ok || !strings.HasPrefix(s, "/") || strings.ContainsAny(s, " \t\r\n") {
				err = fmt.Errorf("deploy.health.path: %v is not a URL path; write it like \"/healthz\"", v)
			}
			hc.Path = s
		case "interval":
			hc.Interval, err = healthDuration(k, v)
		case "timeout":
			hc.Timeout, err = healthDuration(k, v)
		case "startup_timeout":
			hc.StartupTimeout, err = healthDuration(k, v)
		case "healthy_threshold":
			hc.HealthyThreshold, err = healthCount(k, v)
		case "unhealthy_threshold":
			hc.UnhealthyThreshold, err = healthCount(k, v)
		default:
			err = fmt.Errorf("deploy.health: unknown key %q; the keys are %s", k, strings.Join(healthKeys, ", "))
		}
		if err != nil {
			return HealthCheck{}, err
		}
	}
	return hc, nil
}

func healthDuration(key string, v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("deploy.health.%s: %v has no unit; write a duration like \"500ms\" or \"2s\"", key, v)
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("deploy.health.%s: %q is not a positive duration; write it like \"500ms\" or \"2s\"", key, s)
	}
	return d, nil
}

// healthCount accepts the integer types a YAML decoder produces (and an
// integral float or a string of digits).
func healthCount(key string, v any) (int, error) {
	var n int64
	ok := true
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case uint64:
		if x > math.MaxInt32 {
			ok = false
		}
		n = int64(min(x, math.MaxInt32))
	case float64:
		ok = x == math.Trunc(x) && math.Abs(x) < math.MaxInt32
		n = int64(x)
	case string:
		var err error
		n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 32)
		ok = err == nil
	default:
		ok = false
	}
	if !ok || n < 1 || n > 1000 {
		return 0, fmt.Errorf("deploy.health.%s: %v is not a whole number from 1 to 1000", key, v)
	}
	return int(n), nil
}
