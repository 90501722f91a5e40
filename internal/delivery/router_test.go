package delivery

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/release"
	"github.com/sluice-ci/sluice/internal/gateway"
)

// TestGatewayRouterTakenAddress routes an environment, through a real
// gateway, to an address another program holds: the router says so (the
// controller then picks another address for a new environment), and a
// free address serves.
func TestGatewayRouterTakenAddress(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- gateway.Run(ctx, gateway.Options{Dir: dir, Logger: slog.New(slog.DiscardHandler), Grace: time.Second, EventLog: "off"})
	}()
	defer func() {
		cancel()
		<-done
	}()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, _, err := gateway.ReadAdmin(dir); err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the gateway did not start")
		}
	}

	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	r := GatewayRouter{Dir: dir}
	err = r.Route(ctx, "prod", held.Addr().String(), nil, release.RouteOptions{})
	if !errors.Is(err, release.ErrListenBusy) {
		t.Fatalf("route to a held address: %v; want ErrListenBusy", err)
	}

	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	if err := r.Route(ctx, "prod", addr, nil, release.RouteOptions{}); err != nil {
		t.Fatalf("route to a free address: %v", err)
	}
	res, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("the gateway does not serve prod at %s: %v", addr, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("prod without releases answers %d; want 503 from the gateway", res.StatusCode)
	}
}
