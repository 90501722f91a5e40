//go:build linux

package local

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWaitHealthyCrashOnStart(t *testing.T) {
	inst := start(t, appSpec(t, "-crash"))
	began := time.Now()
	err := WaitHealthy(context.Background(), inst, fastHealth) // 30s startup timeout
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("crash noticed after %v", d)
	}
	if !isHealthErr(err, ErrExited) {
		t.Fatalf("err = %v, want ErrExited", err)
	}
	for _, want := range []string{"crashing on purpose", "exit status 3", "release r1 replica 0", inst.LogFile} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestWaitHealthyStartupTimeout(t *testing.T) {
	inst := start(t, appSpec(t, "-fail-health"))
	hc := fastHealth
	hc.StartupTimeout = 600 * time.Millisecond
	began := time.Now()
	err := WaitHealthy(context.Background(), inst, hc)
	d := time.Since(began)
	if !isHealthErr(err, ErrStartupTimeout) {
		t.Fatalf("err = %v, want ErrStartupTimeout", err)
	}
	if d < hc.StartupTimeout || d > 5*time.Second {
		t.Errorf("gave up after %v, startup timeout %v", d, hc.StartupTimeout)
	}
	for _, want := range []string{"503", "listening on " + inst.Addr, "startup_timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if !Alive(inst) {
		t.Error("WaitHealthy must leave the process to the caller")
	}
}

func TestWaitHealthyThreshold(t *testing.T) {
	inst := start(t, appSpec(t))
	hc := fastHealth
	hc.HealthyThreshold = 4
	began := time.Now()
	if err := WaitHealthy(context.Background(), inst, hc); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d < 3*hc.Interval {
		t.Errorf("4 passes in a row took only %v at a %v interval", d, hc.Interval)
	}
}

func TestProbe(t *testing.T) {
	inst := start(t, appSpec(t, "-fail-health"))
	ctx := context.Background()
	hc := fastHealth
	hc.Path = "/hello"
	if err := WaitHealthy(ctx, inst, hc); err != nil {
		t.Fatal(err)
	}
	if err := Probe(ctx, inst.Addr, HealthCheck{Path: "/hello"}); err != nil {
		t.Errorf("Probe /hello: %v", err)
	}
	if err := Probe(ctx, inst.Addr, HealthCheck{}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("Probe /healthz of a failing app = %v", err)
	}
	if err := Probe(ctx, inst.Addr, HealthCheck{Path: "/nope"}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Probe /nope = %v", err)
	}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if err := Probe(ctx, "127.0.0.1:"+itoa(port), HealthCheck{}); err == nil {
		t.Error("Probe of a closed port succeeded")
	}
}

func TestStartHealthyRetriesTakenPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := busy.Addr().(*net.TCPAddr).Port

	spec := appSpec(t)
	spec.Port = taken
	_, err = StartHealthy(context.Background(), spec, fastHealth, 1)
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "taken 1 times") {
		t.Fatalf("one attempt on a taken port: %v", err)
	}

	inst, err := StartHealthy(context.Background(), spec, fastHealth, 3)
	if err != nil {
		t.Fatal(err)
	}
	cleanupStop(t, inst)
	if inst.Port == taken {
		t.Fatalf("replica claims the taken port %d", taken)
	}
	get(t, "http://"+inst.Addr+"/hello")
	if log := readLog(t, inst); !strings.Contains(log, "address already in use") || !strings.Contains(log, "listening on "+inst.Addr) {
		t.Errorf("log:\n%s", log)
	}
}

func TestStartHealthyStopsUnhealthy(t *testing.T) {
	hc := fastHealth
	hc.StartupTimeout = 300 * time.Millisecond
	spec := appSpec(t, "-fail-health")
	_, err := StartHealthy(context.Background(), spec, hc, 3)
	var he *HealthError
	if !errors.As(err, &he) || !errors.Is(err, ErrStartupTimeout) {
		t.Fatalf("err = %v", err)
	}
	if Alive(he.Instance) {
		t.Error("StartHealthy left an unhealthy replica running")
		cleanupStop(t, he.Instance)
	}
}

func TestSupervisorReportsCrash(t *testing.T) {
	var mu sync.Mutex
	var crashes []Crash
	got := make(chan struct{}, 10)
	sup := NewSupervisor(func(c Crash) {
		mu.Lock()
		crashes = append(crashes, c)
		mu.Unlock()
		got <- struct{}{}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sup.Run(ctx)

	stopped := startHealthy(t, appSpec(t))
	crashing := startHealthy(t, appSpec(t, "-exit-after", "300ms"))
	steady := startHealthy(t, appSpec(t))
	for _, inst := range []*Instance{stopped, crashing, steady} {
		sup.Watch(inst)
	}
	if err := sup.Stop(context.Background(), stopped, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no crash reported")
	}
	time.Sleep(2 * SupervisorInterval) // a deliberate stop must stay unreported
	mu.Lock()
	defer mu.Unlock()
	if len(crashes) != 1 {
		t.Fatalf("crashes = %+v", crashes)
	}
	c := crashes[0]
	if c.Instance != crashing || c.Status != "exit status 2" || len(c.LogTail) == 0 || c.LogTail[len(c.LogTail)-1] != "exiting as told" {
		t.Errorf("crash = %+v", c)
	}
	if w := sup.Watched(); len(w) != 1 || w[0] != steady {
		t.Errorf("watched = %v, want only the steady replica", w)
	}
}
