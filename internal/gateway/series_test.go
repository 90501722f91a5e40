package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// latencyIndex is the histogram bucket of a latency in seconds.
func latencyIndex(t *testing.T, secs float64) int {
	t.Helper()
	for i, b := range latencyBounds {
		if secs <= b {
			return i
		}
	}
	return len(latencyBounds)
}

// pointsOf writes points as "hh:mm:ss requests/errors" for comparison.
func pointsOf(pts []SeriesPoint) []string {
	var out []string
	for _, p := range pts {
		out = append(out, fmt.Sprintf("%s %d/%d", p.Time.Format("15:04:05"), p.Requests, p.Errors))
	}
	return out
}

// TestSeriesRotation drives the time series with a made-up clock: requests
// land in their interval, an interval an hour old gives its slot to the
// new one, reads see only the last hour, and a clock that went back an
// hour counts nothing.
func TestSeriesRotation(t *testing.T) {
	var c counters
	t0 := time.Date(2025, 3, 1, 12, 0, 3, 0, time.UTC) // in the interval from 12:00:00
	c.observe(class2xx, 3*time.Millisecond, t0)
	c.observe(class5xx, 3*time.Millisecond, t0.Add(2*time.Second))
	c.observe(classError, 40*time.Millisecond, t0.Add(12*time.Second)) // the gateway's own 502
	c.observe(class4xx, 700*time.Millisecond, t0.Add(30*time.Minute))  // a 4xx is no error of the release
	c.observe(class2xx, time.Minute, t0.Add(30*time.Minute))           // above every bound

	pts := c.series.points(t0.Add(30 * time.Minute))
	if got, want := fmt.Sprint(pointsOf(pts)), "[12:00:00 2/1 12:00:10 1/1 12:30:00 2/0]"; got != want {
		t.Fatalf("points %s, want %s", got, want)
	}
	if p := pts[0]; len(p.Latency) != len(latencyBounds)+1 || p.Latency[latencyIndex(t, 0.003)] != 2 {
		t.Errorf("first interval's latencies %v: want both 3ms requests at bound 0.004", p.Latency)
	}
	if p := pts[1]; p.Latency[latencyIndex(t, 0.040)] != 1 {
		t.Errorf("second interval's latencies %v: want the 40ms request at bound 0.064", p.Latency)
	}
	if p := pts[2]; p.Latency[latencyIndex(t, 0.7)] != 1 || p.Latency[len(latencyBounds)] != 1 {
		t.Errorf("third interval's latencies %v: want 0.7s at bound 1.024 and a minute above the last bound", p.Latency)
	}
	if !pts[0].Time.Equal(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)) || pts[0].Time.Location() != time.UTC {
		t.Errorf("first interval starts %v", pts[0].Time)
	}

	// An hour later the slot of 12:00:00 counts 13:00:00, from zero; the
	// interval from 12:00:10 is still in the hour.
	c.observe(class2xx, time.Millisecond, t0.Add(time.Hour))
	if got, want := fmt.Sprint(pointsOf(c.series.points(t0.Add(time.Hour)))), "[12:00:10 1/1 12:30:00 2/0 13:00:00 1/0]"; got != want {
		t.Errorf("after an hour: %s, want %s", got, want)
	}
	// A clock that went back an hour finds its slot holding a later
	// interval: the request is not counted, nothing is overwritten.
	c.observe(class5xx, time.Millisecond, t0)
	// Read half an hour later, with nothing new, intervals older than an
	// hour are left out even though their slots were not reused.
	if got, want := fmt.Sprint(pointsOf(c.series.points(t0.Add(90*time.Minute)))), "[13:00:00 1/0]"; got != want {
		t.Errorf("half an hour later: %s, want %s", got, want)
	}
	// The cumulative counters count every request, the late one too.
	if c.requests.Load() != 7 {
		t.Errorf("%d requests counted, want 7", c.requests.Load())
	}
	// The memory docs/gateway.md states.
	if n := unsafe.Sizeof(c.series.buckets); n != 28800 {
		t.Errorf("a release's series takes %d bytes, want 28,800", n)
	}
}

// TestSeriesConcurrent: requests counted from many goroutines across
// interval changes while others read; run with -race. A read never shows
// more errors than requests nor latencies that do not add up, and the
// counts end exact.
func TestSeriesConcurrent(t *testing.T) {
	var c counters
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	const writers, each = 4, 3000
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, p := range c.series.points(t0.Add(time.Minute)) {
					var sum int64
					for _, n := range p.Latency {
						sum += n
					}
					if p.Errors > p.Requests || sum != p.Requests {
						t.Errorf("inconsistent point %+v", p)
						return
					}
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				class := class2xx
				if i%10 == 0 {
					class = class5xx
				}
				// Three intervals: 12:00:00, 12:00:10, 12:00:20.
				c.observe(class, time.Duration(w+1)*time.Millisecond, t0.Add(time.Duration(i)*30*time.Second/each))
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	var req, errs int64
	pts := c.series.points(t0.Add(time.Minute))
	for _, p := range pts {
		req += p.Requests
		errs += p.Errors
	}
	if len(pts) != 3 || req != writers*each || errs != writers*each/10 {
		t.Errorf("%d points, %d requests, %d errors; want 3, %d, %d", len(pts), req, errs, writers*each, writers*each/10)
	}
}

// TestSeriesAdmin reads the series of a real gateway through its admin
// API: errors are the release's 5xx answers, never the requests the edge
// protection refused, and ?env= selects the environment.
func TestSeriesAdmin(t *testing.T) {
	s, c1 := newBackend(t, "s"), newBackend(t, "c")
	dir := t.TempDir()
	tab := oneEnv(1, "127.0.0.1:0", rel("stable", route.RoleStable, 90, s), rel("cand", route.RoleCandidate, 10, c1))
	tab.Environments["prod"].Header = "X-Sluice-Version"
	tab.Environments["prod"].Edge = []byte(`{"rate_limit":{"mode":"enforce","limit":6,"window":"1m"}}`)
	if err := route.Save(dir, tab); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	base := "http://" + g.ListenAddr("prod")
	c := newClient(t)
	for _, x := range []struct {
		path, release string
		code          int
	}{
		{"/status/500", "cand", 500}, {"/status/503", "cand", 503}, {"/status/500", "cand", 500},
		{"/", "cand", 200}, {"/status/404", "cand", 404}, {"/", "stable", 200},
		// The limit of 6 a minute is reached: the edge refuses these.
		{"/status/500", "cand", 429}, {"/", "cand", 429},
	} {
		if r := get(t, c, base+x.path, "X-Sluice-Version", x.release); r.code != x.code {
			t.Fatalf("%s to %s: %d, want %d", x.path, x.release, r.code, x.code)
		}
	}
	ss, err := FetchSeries(context.Background(), dir, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if ss.Interval != 10 || len(ss.Bounds) != len(latencyBounds) || ss.Time.IsZero() || !ss.Started.Equal(g.started) {
		t.Errorf("series head: interval %v, %d bounds, time %v, started %v", ss.Interval, len(ss.Bounds), ss.Time, ss.Started)
	}
	total := func(env, release string) (req, errs, lat int64) {
		rs := ss.Environments[env][release]
		if rs == nil {
			return -1, -1, -1
		}
		for _, p := range rs.Points {
			req += p.Requests
			errs += p.Errors
			for _, n := range p.Latency {
				lat += n
			}
		}
		return req, errs, lat
	}
	if req, errs, lat := total("prod", "cand"); req != 5 || errs != 3 || lat != 5 {
		t.Errorf("canary: %d requests, %d errors, %d latencies; want 5, 3, 5 (refusals are not counted)", req, errs, lat)
	}
	if req, errs, _ := total("prod", "stable"); req != 1 || errs != 0 {
		t.Errorf("stable: %d requests, %d errors; want 1, 0", req, errs)
	}
	if v := ss.Environments["prod"]["cand"].Version; v != "v-cand" {
		t.Errorf("canary version %q", v)
	}
	other, err := FetchSeries(context.Background(), dir, "staging")
	if err != nil || len(other.Environments) != 0 {
		t.Errorf("series of another environment: %v %+v", err, other)
	}
	_, token, _ := ReadAdmin(dir)
	if code, _ := adminGet(t, g, "/v1/series", ""); code != http.StatusUnauthorized {
		t.Errorf("/v1/series without the token: %d, want 401", code)
	}
	if code, body := adminGet(t, g, "/v1/series", token); code != http.StatusOK || !strings.Contains(body, `"cand"`) {
		t.Errorf("/v1/series of every environment: %d %s", code, body)
	}
}
