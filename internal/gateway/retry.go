package gateway

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// retryTransport sends a request to the backend chosen for it and, when
// connecting to that backend fails, to the release's other backends and
// then to the other releases with weight (stable first), so a replica that
// died before the routing table caught up costs no request.
//
// Only dial errors are retried: then nothing of the request was sent and
// the body has not been read (trackedBody checks it, it is never
// buffered). Any error after the connection was made goes to the client.
type retryTransport struct {
	g    *Gateway
	base http.RoundTripper
}

// candidate is one place to send a request.
type candidate struct {
	rel *release
	b   *backend
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateOf(req.Context())
	if st == nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errors.New("sluice gateway: request has no routing state")
	}
	var body *trackedBody
	if req.Body != nil && req.Body != http.NoBody {
		body = &trackedBody{rc: req.Body}
	}
	cur := candidate{st.rel, st.rel.nextBackend()}
	var rest []candidate // computed after the first failure
	tried := 0
	for {
		out := *req
		u := *req.URL
		u.Host = cur.b.addr
		out.URL = &u
		if body != nil {
			out.Body = body
		}
		res, err := t.base.RoundTrip(&out)
		if err == nil {
			return res, nil
		}
		if !isDialError(err) || (body != nil && body.read.Load()) || req.Context().Err() != nil {
			return nil, err
		}
		cur.b.downUntil.Store(time.Now().Add(downFor).UnixNano())
		t.g.log.Warn("backend unreachable; trying another", "env", st.env.name, "release", cur.rel.id,
			"backend", cur.b.addr, "err", err)
		if rest == nil {
			rest = candidates(st.env, cur)
		}
		if tried >= len(rest) {
			return nil, err
		}
		next := rest[tried]
		tried++
		if next.rel != st.rel {
			// Move the request's accounting to the release now serving it.
			st.rel.stats.inFlight.Add(-1)
			next.rel.stats.inFlight.Add(1)
			st.rel = next.rel
		}
		cur = next
	}
}

// candidates lists where to try a request after failed: failed's release's
// other backends, then every weighted release's backends, stable first;
// within a release backends not known to be down come first.
func candidates(e *envRoute, failed candidate) []candidate {
	seen := map[*backend]bool{failed.b: true}
	var out []candidate
	add := func(r *release) {
		now := time.Now().UnixNano()
		for _, down := range []bool{false, true} {
			for _, b := range r.backends {
				if !seen[b] && b.isDown(now) == down {
					seen[b] = true
					out = append(out, candidate{r, b})
				}
			}
		}
	}
	add(failed.rel)
	for _, r := range e.fallback {
		if r != failed.rel {
			add(r)
		}
	}
	return out
}

// trackedBody passes the client's request body to the transport and
// remembers whether any of it was read, so a request is never retried
// after its body was (even partly) sent. Close is left to the server,
// which closes the body when the handler returns; closing it here would
// make a retry impossible.
type trackedBody struct {
	rc   io.ReadCloser
	read atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.rc.Read(p)
}

func (b *trackedBody) Close() error { return nil }
