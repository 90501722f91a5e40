package edge

import (
	"net/http"

	"github.com/corazawaf/coraza/v3/types"
)

// wafResponseWriter holds a response back until the outbound rules ran:
// the status and headers go through phase 3 when the handler writes the
// header, the body is held up to limit bytes (when its type is
// inspected) and goes through phase 4 in finish. A response that grows
// past the limit, or that the handler flushes, is passed on from then on
// and is no longer held.
type wafResponseWriter struct {
	w     http.ResponseWriter
	tx    types.Transaction
	limit int
	proto string

	enforce     bool // swallow the body after a phase 3 interruption
	code        int
	wroteHeader bool
	blocked     bool // phase 3 interrupted in enforce mode: swallow the body
	passing     bool // the header and held bytes went out
	held        []byte
	it          *types.Interruption
}

func (rw *wafResponseWriter) Header() http.Header { return rw.w.Header() }

func (rw *wafResponseWriter) WriteHeader(code int) {
	if rw.wroteHeader {
		return
	}
	if code >= 100 && code < 200 {
		rw.w.WriteHeader(code) // informational responses pass
		return
	}
	rw.wroteHeader, rw.code = true, code
	for k, vs := range rw.w.Header() {
		for _, v := range vs {
			rw.tx.AddResponseHeader(k, v)
		}
	}
	if it := rw.tx.ProcessResponseHeaders(code, rw.proto); it != nil {
		rw.it, rw.blocked = it, rw.enforce
	}
}

func (rw *wafResponseWriter) Write(p []byte) (int, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.blocked {
		return len(p), nil
	}
	if rw.passing {
		return rw.w.Write(p)
	}
	if !rw.tx.IsResponseBodyProcessable() || len(rw.held)+len(p) > rw.limit {
		// Inspect what fits, then let the rest stream.
		taken := 0
		if room := rw.limit - len(rw.held); room > 0 && rw.tx.IsResponseBodyProcessable() {
			taken = min(room, len(p))
			rw.held = append(rw.held, p[:taken]...)
		}
		rw.startPassing()
		n, err := rw.writeRest(p[taken:])
		return taken + n, err
	}
	rw.held = append(rw.held, p...)
	return len(p), nil
}

// writeRest writes the part of a Write that was not held, reporting the
// whole Write as done.
func (rw *wafResponseWriter) writeRest(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return rw.w.Write(p)
}

// Flush passes the response on from now on, for streaming handlers.
func (rw *wafResponseWriter) Flush() {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.blocked {
		return
	}
	if !rw.passing {
		rw.startPassing()
	}
	if f, ok := rw.w.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (rw *wafResponseWriter) Unwrap() http.ResponseWriter { return rw.w }

func (rw *wafResponseWriter) startPassing() {
	rw.passing = true
	// The held prefix is still inspected in finish, for reporting only.
	if len(rw.held) > 0 && rw.it == nil && rw.tx.IsResponseBodyProcessable() {
		if it, _, err := rw.tx.WriteResponseBody(rw.held); err == nil && it != nil {
			rw.it = it
		}
	}
	rw.flushHeld()
}

// flushHeld sends the header and the held bytes.
func (rw *wafResponseWriter) flushHeld() {
	if !rw.wroteHeader {
		rw.wroteHeader, rw.code = true, http.StatusOK
	}
	rw.w.WriteHeader(rw.code)
	if len(rw.held) > 0 {
		_, _ = rw.w.Write(rw.held)
		rw.held = nil
	}
}

// finish runs phase 4 over the held body. It returns the interruption of
// phase 3 or 4, if any, and whether part of the response was already
// sent. With no interruption the held response is sent.
func (rw *wafResponseWriter) finish() (it *types.Interruption, alreadySent bool) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.it == nil && rw.tx.IsResponseBodyProcessable() {
		if len(rw.held) > 0 && !rw.passing {
			if it, _, err := rw.tx.WriteResponseBody(rw.held); err == nil && it != nil {
				rw.it = it
			}
		}
		if rw.it == nil {
			if it, err := rw.tx.ProcessResponseBody(); err == nil && it != nil {
				rw.it = it
			}
		}
	}
	if rw.it != nil {
		return rw.it, rw.passing
	}
	if !rw.passing {
		rw.flushHeld()
	}
	return nil, rw.passing
}
