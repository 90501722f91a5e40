package gateway

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

func TestTableReload(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	dir := t.TempDir()
	listen := freeAddr(t)
	if err := route.Save(dir, oneEnv(5, listen, rel("ra", route.RoleStable, 100, a))); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	c := newClient(t)
	url := "http://" + listen + "/"
	if r := get(t, c, url); r.release != "ra" {
		t.Fatalf("served by %q, want ra", r.release)
	}

	// The poller picks up a new table without being told.
	if err := route.Save(dir, oneEnv(6, listen, rel("rb", route.RoleStable, 100, b))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "generation 6", func() bool { return g.Generation() == 6 })
	if r := get(t, c, url); r.release != "rb" {
		t.Fatalf("after reload served by %q, want rb", r.release)
	}

	// An older table is ignored.
	if err := route.Save(dir, oneEnv(4, listen, rel("ra", route.RoleStable, 100, a))); err != nil {
		t.Fatal(err)
	}
	err := Reload(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "generation 4") {
		t.Fatalf("Reload of an older table: %v, want an error naming generation 4", err)
	}
	if r := get(t, c, url); r.release != "rb" || g.Generation() != 6 {
		t.Fatalf("older table applied: served by %q at generation %d", r.release, g.Generation())
	}

	// An invalid table is ignored: bad JSON, then weights not adding up.
	if err := os.WriteFile(filepath.Join(dir, route.TableFile), []byte(`{"generation": 9, "environ`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Reload(context.Background(), dir); err == nil {
		t.Fatal("Reload of broken JSON succeeded")
	}
	bad := `{"generation": 9, "environments": {"prod": {"listen": "` + listen + `", "releases": [{"id": "ra", "role": "stable", "weight": 50, "backends": ["` + hostOf(a) + `"]}]}}}`
	if err := os.WriteFile(filepath.Join(dir, route.TableFile), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Reload(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "add up to 50") {
		t.Fatalf("Reload of a table with weights adding to 50: %v", err)
	}
	if r := get(t, c, url); r.release != "rb" || g.Generation() != 6 {
		t.Fatalf("invalid table applied: served by %q at generation %d", r.release, g.Generation())
	}
	if g.reloadErrors.Load() < 2 {
		t.Errorf("reload errors counted %d, want >= 2", g.reloadErrors.Load())
	}

	// A removed file keeps the last table serving.
	if err := os.Remove(filepath.Join(dir, route.TableFile)); err != nil {
		t.Fatal(err)
	}
	if err := Reload(context.Background(), dir); err == nil {
		t.Fatal("Reload without a table file succeeded")
	}
	if r := get(t, c, url); r.release != "rb" {
		t.Fatalf("after the file vanished served by %q, want rb", r.release)
	}
}

func TestStartWithoutTable(t *testing.T) {
	a := newBackend(t, "a")
	dir := t.TempDir()
	g := startGateway(t, dir)
	if h := g.Health(); h.Loaded || len(h.Listeners) != 0 || h.Generation != 0 {
		t.Fatalf("health without a table: %+v", h)
	}
	if err := route.Save(dir, oneEnv(1, "127.0.0.1:0", rel("ra", route.RoleStable, 100, a))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the table to appear", func() bool { return g.ListenAddr("prod") != "" })
	if r := get(t, newClient(t), "http://"+g.ListenAddr("prod")+"/"); r.release != "ra" {
		t.Fatalf("served by %q, want ra", r.release)
	}
}

func TestListenersFollowTable(t *testing.T) {
	a := newBackend(t, "a")
	dir := t.TempDir()
	la, lb, lb2 := freeAddr(t), freeAddr(t), freeAddr(t)
	tab := &route.Table{Generation: 1, Environments: map[string]*route.Environment{
		"a": {Listen: la, Releases: []route.Release{rel("ra", route.RoleStable, 100, a)}},
	}}
	if err := route.Save(dir, tab); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	c := newClient(t)
	c.Transport.(*http.Transport).DisableKeepAlives = true // see listeners close

	tab.Generation = 2
	tab.Environments["b"] = &route.Environment{Listen: lb, Releases: []route.Release{rel("rb", route.RoleStable, 100, a)}}
	apply(t, dir, tab)
	if r := get(t, c, "http://"+lb+"/"); r.release != "rb" {
		t.Fatalf("new environment b served by %q", r.release)
	}
	if r := get(t, c, "http://"+la+"/"); r.release != "ra" {
		t.Fatalf("environment a served by %q", r.release)
	}

	// Remove a, move b.
	tab.Generation = 3
	delete(tab.Environments, "a")
	tab.Environments["b"].Listen = lb2
	apply(t, dir, tab)
	for _, addr := range []string{la, lb} {
		if _, err := c.Get("http://" + addr + "/"); err == nil || !isRefused(err) {
			t.Errorf("%s still accepts after its listener went away: %v", addr, err)
		}
	}
	if r := get(t, c, "http://"+lb2+"/"); r.release != "rb" {
		t.Fatalf("moved environment b served by %q", r.release)
	}
	if ls := g.Listeners(); len(ls) != 1 || ls["b"].Addr != lb2 {
		t.Errorf("listeners %+v, want only b on %s", ls, lb2)
	}
}

func TestPortTaken(t *testing.T) {
	a := newBackend(t, "a")
	dir := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	free := freeAddr(t)
	tab := &route.Table{Generation: 1, Environments: map[string]*route.Environment{
		"ok":   {Listen: free, Releases: []route.Release{rel("r1", route.RoleStable, 100, a)}},
		"busy": {Listen: taken.Addr().String(), Releases: []route.Release{rel("r2", route.RoleStable, 100, a)}},
	}}
	if err := route.Save(dir, tab); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	if r := get(t, newClient(t), "http://"+free+"/"); r.release != "r1" {
		t.Fatalf("healthy environment served by %q", r.release)
	}
	h := g.Health()
	if h.Status != "degraded" || h.Listeners["busy"].Error == "" || h.Listeners["busy"].Addr != "" {
		t.Fatalf("health with a taken port: %+v", h)
	}
	code, body := adminGet(t, g, "/healthz", "")
	if code != http.StatusOK || !strings.Contains(body, "address already in use") {
		t.Errorf("/healthz = %d %s, want 200 naming the taken address", code, body)
	}

	// Once the port is free the gateway takes it.
	taken.Close()
	waitFor(t, "the freed port to be taken", func() bool { return g.ListenAddr("busy") != "" })
	if r := get(t, newClient(t), "http://"+tab.Environments["busy"].Listen+"/"); r.release != "r2" {
		t.Fatalf("retried environment served by %q", r.release)
	}
	if h := g.Health(); h.Status != "ok" {
		t.Errorf("health after retry: %+v", h)
	}
}
