package gateway

import (
	"io"
	"net/http"
	"testing"
	"time"

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

// BenchmarkObserve is the cost of counting one finished request, the
// part of the request path the per-release statistics add, from one
// goroutine and from all at once (contending for the same counters). The
// requests finish a microsecond apart, so the time series moves to a new
// interval every ten million of them, as a busy gateway's would.
func BenchmarkObserve(b *testing.B) {
	c := &counters{env: "prod", id: "r"}
	start := time.Now()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		d, n := time.Duration(0), 0
		for b.Loop() {
			d = (d + 137*time.Microsecond) % (2 * time.Second)
			n++
			c.observe(class2xx, d, start.Add(time.Duration(n)*time.Microsecond))
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			d, n := time.Duration(0), 0
			for pb.Next() {
				d = (d + 137*time.Microsecond) % (2 * time.Second)
				n++
				c.observe(class2xx, d, start.Add(time.Duration(n)*time.Microsecond))
			}
		})
	})
}
