package local

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

func TestExpand(t *testing.T) {
	vars := map[string]string{"PORT": "4000", "ARTIFACT": "dist/app", "VERSION": "1.0;rm -rf /", "X": "${PORT}"}
	for _, tc := range []struct{ in, want string }{
		{"--addr=127.0.0.1:${PORT}", "--addr=127.0.0.1:4000"},
		{"${ARTIFACT}", "dist/app"},
		{"v${VERSION}", "v1.0;rm -rf /"},
		{"${X}", "${PORT}"}, // replaced once, not again
		{"${PORT}${PORT}", "40004000"},
		{"$PORT", "$PORT"},
		{"${UNKNOWN}", "${UNKNOWN}"},
		{"${{ env.PORT }}", "${{ env.PORT }}"},
		{"${", "${"},
		{"${PORT", "${PORT"},
		{"$${PORT}", "$4000"},
		{"${1X}", "${1X}"},
		{"plain", "plain"},
		{"", ""},
	} {
		if got := Expand([]string{tc.in}, vars); !reflect.DeepEqual(got, []string{tc.want}) {
			t.Errorf("Expand(%q) = %q, want %q", tc.in, got[0], tc.want)
		}
	}
	in := []string{"a", "${PORT}"}
	out := Expand(in, vars)
	if in[1] != "${PORT}" || out[1] != "4000" {
		t.Errorf("Expand changed its input or missed: %q %q", in, out)
	}
	if got := Expand(nil, vars); len(got) != 0 {
		t.Errorf("Expand(nil) = %q", got)
	}
}

func TestHealthFromSpec(t *testing.T) {
	hc, err := HealthFromSpec(nil)
	if err != nil || hc != DefaultHealth() {
		t.Fatalf("HealthFromSpec(nil) = %+v, %v", hc, err)
	}
	d := DefaultHealth()
	if d.Path != "/healthz" || d.Interval != 500*time.Millisecond || d.Timeout != 2*time.Second ||
		d.HealthyThreshold != 1 || d.UnhealthyThreshold != 3 || d.StartupTimeout != time.Minute {
		t.Errorf("defaults = %+v", d)
	}
	hc, err = HealthFromSpec(map[string]any{
		"path": "/ready", "interval": "2s", "timeout": "750ms", "startup_timeout": "90s",
		"healthy_threshold": uint64(2), "unhealthy_threshold": int64(5),
	})
	want := HealthCheck{Path: "/ready", Interval: 2 * time.Second, Timeout: 750 * time.Millisecond,
		HealthyThreshold: 2, UnhealthyThreshold: 5, StartupTimeout: 90 * time.Second}
	if err != nil || hc != want {
		t.Errorf("HealthFromSpec = %+v, %v; want %+v", hc, err, want)
	}
	if hc, err := HealthFromSpec(map[string]any{"interval": "1s"}); err != nil || hc.Interval != time.Second || hc.Timeout != d.Timeout {
		t.Errorf("partial = %+v, %v", hc, err)
	}
	for _, tc := range []struct {
		m    map[string]any
		want string
	}{
		{map[string]any{"interval": "soon"}, "deploy.health.interval"},
		{map[string]any{"interval": uint64(2)}, "has no unit"},
		{map[string]any{"timeout": "-1s"}, "deploy.health.timeout"},
		{map[string]any{"startup_timeout": "0s"}, "deploy.health.startup_timeout"},
		{map[string]any{"healthy_threshold": uint64(0)}, "deploy.health.healthy_threshold"},
		{map[string]any{"unhealthy_threshold": "many"}, "deploy.health.unhealthy_threshold"},
		{map[string]any{"unhealthy_threshold": 1.5}, "whole number"},
		{map[string]any{"path": "healthz"}, "deploy.health.path"},
		{map[string]any{"path": uint64(1)}, "deploy.health.path"},
		{map[string]any{"port": "8080"}, `unknown key "port"`},
	} {
		if _, err := HealthFromSpec(tc.m); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("HealthFromSpec(%v) = %v, want an error with %q", tc.m, err, tc.want)
		}
	}
}

func TestFreePort(t *testing.T) {
	p, err := FreePort()
	if err != nil || p <= 0 || p > 65535 {
		t.Fatalf("FreePort = %d, %v", p, err)
	}
}
