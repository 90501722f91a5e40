package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"
)

// apiError is a refusal or failure the API answered.
type apiError struct {
	Status  int
	Code    string
	Message string
	// RetryAfter is the API's Retry-After header (429).
	RetryAfter string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("the API answered %d %s: %s", e.Status, e.Code, e.Message)
}

// missingPermission is the action a 403 names ("key k may not runs:read
// here"), or "".
func (e *apiError) missingPermission() string {
	if m := permissionRE.FindStringSubmatch(e.Message); m != nil {
		return m[1]
	}
	return ""
}

var permissionRE = regexp.MustCompile(`may not ([a-z]+:[a-z]+)`)

// asAPIError returns err's *apiError with the given status, or nil.
func asAPIError(err error, status int) *apiError {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == status {
		return ae
	}
	return nil
}

// recorder collects one in-process API response.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
}

func (rec *recorder) Write(p []byte) (int, error) {
	rec.WriteHeader(http.StatusOK)
	return rec.body.Write(p)
}

// apiRequest builds the in-process request of the API for r, carrying the
// session's key. It keeps r's context (a browser that goes away cancels
// the call) and r's peer address (the API's limiter of failed
// authentications counts per browser, not per UI).
func apiRequest(r *http.Request, key, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(r.Context(), method, path, body) // #nosec G704 -- handed to the API handler in-process, never sent over a network
	if err != nil {
		return nil, fmt.Errorf("API request %s %s: %w", method, path, err)
	}
	if body == nil {
		req.Body = http.NoBody // as a served request has: the API's handlers read it
	}
	req.RemoteAddr = r.RemoteAddr
	req.Host = r.Host
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// call runs one API request in-process with key and decodes a 2xx JSON
// answer into out (when not nil). Any other answer is an *apiError.
func (u *UI) call(r *http.Request, key, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(data)
	}
	rec, err := u.do(r, key, method, path, body)
	if err != nil {
		return err
	}
	if out == nil || rec.status == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
		return fmt.Errorf("read the answer of %s %s: %w", method, path, err)
	}
	return nil
}

// do runs one API request in-process with key and returns its 2xx
// answer; any other answer is an *apiError.
func (u *UI) do(r *http.Request, key, method, path string, body io.Reader) (*recorder, error) {
	req, err := apiRequest(r, key, method, path, body)
	if err != nil {
		return nil, err
	}
	rec := newRecorder()
	u.o.API.ServeHTTP(rec, req)
	if rec.status < 200 || rec.status > 299 {
		return nil, apiErrorOf(rec)
	}
	return rec, nil
}

// apiErrorOf is the *apiError of an answer of the API that is not a 2xx.
func apiErrorOf(rec *recorder) *apiError {
	ae := &apiError{Status: rec.status, RetryAfter: rec.header.Get("Retry-After")}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(rec.body.Bytes(), &e) == nil && e.Error.Message != "" {
		ae.Code, ae.Message = e.Error.Code, e.Error.Message
	} else {
		ae.Message = http.StatusText(rec.status)
	}
	return ae
}

// raw reads path from the API as the session's key, whatever its type.
func (u *UI) raw(r *http.Request, s *session, path string) (*recorder, error) {
	return u.do(r, s.key, http.MethodGet, path, nil)
}

// getJSON reads path from the API as the session's key.
func (u *UI) getJSON(r *http.Request, s *session, path string, out any) error {
	return u.call(r, s.key, http.MethodGet, path, nil, out)
}

// postJSON posts in to path as the session's key and reads the answer.
func (u *UI) postJSON(r *http.Request, s *session, path string, in, out any) error {
	return u.call(r, s.key, http.MethodPost, path, in, out)
}

// streamWriter passes an API response through to the browser as it is
// written, flushing each chunk: the server-sent events of a log stream
// reach the browser live.
type streamWriter struct {
	w      http.ResponseWriter
	rc     *http.ResponseController
	header http.Header
	wrote  bool
}

func newStreamWriter(w http.ResponseWriter) *streamWriter {
	return &streamWriter{w: w, rc: http.NewResponseController(w), header: http.Header{}}
}

func (sw *streamWriter) Header() http.Header { return sw.header }

// WriteHeader copies only the headers that describe the body: the UI's
// own security headers stay as they are.
func (sw *streamWriter) WriteHeader(code int) {
	if sw.wrote {
		return
	}
	sw.wrote = true
	for _, h := range []string{"Content-Type", "X-Accel-Buffering", "Retry-After", "WWW-Authenticate"} {
		if v := sw.header.Get(h); v != "" {
			sw.w.Header().Set(h, v)
		}
	}
	sw.w.WriteHeader(code)
}

func (sw *streamWriter) Write(p []byte) (int, error) {
	sw.WriteHeader(http.StatusOK)
	return sw.w.Write(p)
}

// Flush sends what was written to the browser now.
func (sw *streamWriter) Flush() {
	sw.WriteHeader(http.StatusOK)
	_ = sw.rc.Flush()
}

// stream proxies a streaming GET of the API to the browser. The server's
// read deadline is lifted for the connection first: a stream outlives
// ReadTimeout, and an expired read deadline would cancel it.
func (u *UI) stream(w http.ResponseWriter, r *http.Request, s *session, path string) error {
	req, err := apiRequest(r, s.key, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	sw := newStreamWriter(w)
	_ = sw.rc.SetReadDeadline(time.Time{})
	_ = sw.rc.SetWriteDeadline(time.Time{})
	u.o.API.ServeHTTP(sw, req)
	return nil
}

var _ http.Flusher = (*streamWriter)(nil)
