package web

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// TestLogStreamProxy: the UI's event stream passes a line appended to the
// store while the browser is connected, live, and ends with the run. The
// line comes after the server's read timeout (one second) has passed,
// which must not cut the stream.
func TestLogStreamProxy(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser()
	b.mustLogin(fx.key("ana", "viewer"))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fx.srv.URL+"/ui/api/runs/"+fx.run.ID+"/logs/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); csp != cspHeader {
		t.Errorf("stream CSP %q", csp)
	}
	events := make(chan string, 100)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var ev strings.Builder
		for sc.Scan() {
			if sc.Text() == "" {
				events <- ev.String()
				ev.Reset()
				continue
			}
			ev.WriteString(sc.Text() + "\n")
		}
	}()
	next := func(want string) string {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("the stream ended before %q", want)
				}
				if strings.Contains(ev, want) {
					return ev
				}
			case <-ctx.Done():
				t.Fatalf("no event with %q", want)
			}
		}
	}
	next(`"text":"built dist/goodbooks"`)
	time.Sleep(1500 * time.Millisecond) // past the server's read timeout
	fx.must(fx.st.Logs().AppendLogs(t.Context(), []*store.LogLine{{RunID: fx.run.ID, JobID: "deploy", Time: time.Now(),
		Stream: store.Stdout, Text: "appended while connected"}}))
	ev := next(`"text":"appended while connected"`)
	if !strings.HasPrefix(ev, "event: line\n") || !strings.Contains(ev, `"job":"deploy"`) {
		t.Errorf("the live line's event:\n%s", ev)
	}
	fx.run.Status = store.StatusSucceeded
	fx.run.FinishedAt = time.Now()
	fx.must(fx.st.Runs().UpdateRun(t.Context(), fx.run))
	next(`"status":"succeeded"`)

	// A key that may not read the run gets the API's refusal, not a stream.
	o := fx.browser()
	o.mustLogin(fx.key("outsider", "viewer@other"))
	p := o.get("/ui/api/runs/" + fx.run.ID + "/logs/stream")
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "runs:read") {
		t.Errorf("an outsider's stream: %d %s", p.status, p.body)
	}
}
