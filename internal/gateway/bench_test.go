package gateway

import (
	"io"
	"net/http"
	"testing"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// BenchmarkProxy compares a request straight to a backend with the same
// request through the gateway; the difference is the gateway's overhead.
func BenchmarkProxy(b *testing.B) {
	backend := newBackend(b, "b")
	dir := b.TempDir()
	if err := route.Save(dir, oneEnv(1, "127.0.0.1:0", rel("r", route.RoleStable, 100, backend))); err != nil {
		b.Fatal(err)
	}
	g := startGateway(b, dir)
	for _, bc := range []struct{ name, url string }{
		{"direct", backend.URL + "/"},
		{"gateway", "http://" + g.ListenAddr("prod") + "/"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := newClient(b)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := c.Get(bc.url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("status %d", res.StatusCode)
						return
					}
				}
			})
		})
	}
}
