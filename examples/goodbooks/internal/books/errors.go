package books

import "net/http"

// jsonErrors serves mux, turning the plain-text 404 and 405 replies the mux
// writes itself (no route, or a route without this method) into JSON bodies.
// The mux keeps deciding the status and the Allow header.
func jsonErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			mux.ServeHTTP(&errorWriter{ResponseWriter: w}, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// errorWriter replaces the body of an error status with an ErrorBody.
type errorWriter struct {
	http.ResponseWriter
	replaced bool
}

// WriteHeader writes a JSON error body for statuses of 400 and above.
func (e *errorWriter) WriteHeader(status int) {
	if status < http.StatusBadRequest {
		e.ResponseWriter.WriteHeader(status)
		return
	}
	e.replaced = true
	writeError(e.ResponseWriter, status, http.StatusText(status))
}

// Write drops the mux's own text once the JSON body went out.
func (e *errorWriter) Write(p []byte) (int, error) {
	if e.replaced {
		return len(p), nil
	}
	return e.ResponseWriter.Write(p)
}
